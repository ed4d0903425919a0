import { test } from "node:test";
import assert from "node:assert/strict";
import { MinHeap } from "../../src/state/min_heap.ts";

interface Item {
  key: number;
  index: number;
}

test("MinHeap pops items least first, and keeps each item's index up to date through updates and removals", () => {
  const heap = new MinHeap<Item>((a, b) => a.key < b.key, (item, index) => (item.index = index));
  const items = [50, 20, 80, 10, 70, 30, 60, 40, 90].map((key) => ({ key, index: -1 }));
  for (const item of items) heap.push(item);
  for (const item of items) assert.equal(heap.peek() === item || item.index > 0, true);
  const eighty = items[2]!;
  eighty.key = 5;
  heap.update(eighty.index);
  assert.equal(heap.peek(), eighty);
  const seventy = items[4]!;
  assert.equal(heap.remove(seventy.index), seventy);
  assert.equal(seventy.index, -1);
  const order: number[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) {
    assert.equal(item.index, -1);
    order.push(item.key);
  }
  assert.deepEqual(order, [5, 10, 20, 30, 40, 50, 60, 90]);
  assert.equal(heap.size, 0);
});
