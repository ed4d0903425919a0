/**
 * A binary min-heap, ordered by `before`. With `moved`, it tells each item where it went, so that an item whose key
 * changes can be moved ({@linkcode update}) or taken out ({@linkcode remove}) in O(log n) without a search: the
 * frontier's hosts change their next start while they wait in it.
 *
 * @example
 * ```ts
 * import { MinHeap } from "./min_heap.ts";
 * const heap = new MinHeap<number>((a, b) => a < b);
 * heap.push(3);
 * heap.push(1);
 * heap.pop(); // 1
 * ```
 */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;
  readonly #moved: (item: T, index: number) => void;

  /** `moved(item, index)` is called whenever an item takes a place, and with -1 when it leaves the heap. */
  constructor(before: (a: T, b: T) => boolean, moved: (item: T, index: number) => void = () => {}) {
    this.#before = before;
    this.#moved = moved;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The least item, left in place. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  /** Takes the least item out. */
  pop(): T | undefined {
    return this.#items.length === 0 ? undefined : this.remove(0);
  }

  /** Takes out the item at `index` (as `moved` gave it). */
  remove(index: number): T {
    const items = this.#items;
    const item = items[index]!;
    const last = items.pop()!;
    if (index < items.length) {
      items[index] = last;
      this.#moved(last, index);
      this.update(index);
    }
    this.#moved(item, -1);
    return item;
  }

  /** Puts the item at `index` back in order after its key changed. */
  update(index: number): void {
    if (!this.#up(index)) this.#down(index);
  }

  /** Moves the item at `index` up while it comes before its parent; whether it moved. */
  #up(index: number): boolean {
    const items = this.#items;
    const item = items[index]!;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(item, items[parent]!)) break;
      items[i] = items[parent]!;
      this.#moved(items[i]!, i);
      i = parent;
    }
    items[i] = item;
    this.#moved(item, i);
    return i !== index;
  }

  #down(index: number): void {
    const items = this.#items;
    const item = items[index]!;
    const half = items.length >> 1;
    let i = index;
    while (i < half) {
      let child = 2 * i + 1;
      const right = child + 1;
      if (right < items.length && this.#before(items[right]!, items[child]!)) child = right;
      if (!this.#before(items[child]!, item)) break;
      items[i] = items[child]!;
      this.#moved(items[i]!, i);
      i = child;
    }
    items[i] = item;
    this.#moved(item, i);
  }
}
