import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RequestQueue } from "../../src/state/request_queue.ts";
import { SpillFiles } from "../../src/state/spill_files.ts";

const request = (i: number) => ({ url: `http://a.test/${i}`, depth: 1 });

test("RequestQueue keeps first-in-first-out order through its head, its segments on disk and its tail", () => {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-queue-test-"));
  const files = new SpillFiles({ dir });
  try {
    const queue = new RequestQueue(files, 4);
    let pushed = 0;
    let shifted = 0;
    for (let i = 0; i < 10; i++) queue.push(request(pushed++));
    assert.equal(queue.spill(7), 8, "the back of the head, a chunk at a time, until 7 at least");
    assert.equal(queue.inMemory, 2);
    for (let i = 0; i < 9; i++) queue.push(request(pushed++)); // to the tail, written out at every fourth
    assert.equal(queue.inMemory, 3);
    for (let round = 0; round < 5; round++) assert.deepEqual(queue.shift(), request(shifted++));
    queue.push(request(pushed++));
    assert.equal(queue.spill(1), 2, "the tail first");
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) assert.deepEqual(next, request(shifted++));
    assert.equal(shifted, pushed);
    assert.deepEqual([queue.size, queue.inMemory, files.files], [0, 0, 1]);
  } finally {
    files.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
