import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Frontier } from "../../src/state/frontier.ts";
import { UsageError } from "../../src/errors.ts";

function withDir(body: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "rxcrawl-frontier-test-"));
    try {
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const request = (i: number) => ({ url: `https://example.com/p/${i}?q=${"x".repeat(i % 7)}`, depth: i % 5 });

test(
  "Frontier gives requests back first in, first out, through memory and disk, with pushes and shifts interleaved",
  withDir((dir) => {
    const frontier = new Frontier({ memoryLimit: 5_000, dir });
    let pushed = 0;
    let shifted = 0;
    let maxSpilled = 0;
    // Push 3 for every 1 shifted, then drain: the queue grows well past the memory limit, then empties.
    for (let round = 0; round < 20_000; round++) {
      for (let k = 0; k < 3; k++) frontier.push(request(pushed++));
      assert.deepEqual(frontier.shift(), request(shifted++));
      maxSpilled = Math.max(maxSpilled, frontier.spilled);
    }
    assert.equal(frontier.size, 40_000);
    assert.ok(frontier.size - frontier.spilled <= 5_000 + 4096, `in memory: ${frontier.size - frontier.spilled}`);
    assert.ok(maxSpilled > 30_000, `spilled at most ${maxSpilled}`);
    for (let next = frontier.shift(); next !== undefined; next = frontier.shift()) {
      assert.deepEqual(next, request(shifted++));
    }
    assert.equal(shifted, pushed);
    assert.equal(frontier.size, 0);
    assert.equal(frontier.spilled, 0);
    frontier.push(request(1));
    assert.deepEqual(frontier.shift(), request(1));
    frontier.close();
    assert.deepEqual(readdirSync(dir), [], "the temporary file is removed");
  }),
);

test(
  "Frontier.clear() drops every request, memory and disk, and removes the temporary file",
  withDir((dir) => {
    const frontier = new Frontier({ memoryLimit: 100, dir });
    for (let i = 0; i < 20_000; i++) frontier.push(request(i));
    assert.ok(frontier.spilled > 0);
    assert.equal(readdirSync(dir).length, 1);
    frontier.clear();
    assert.equal(frontier.size, 0);
    assert.equal(frontier.shift(), undefined);
    assert.deepEqual(readdirSync(dir), []);
    frontier.push(request(7));
    assert.deepEqual(frontier.shift(), request(7));
    frontier.close();
    assert.equal(existsSync(dir), true);
  }),
);

test("Frontier below its memory limit never touches the disk", withDir((dir) => {
  const frontier = new Frontier({ memoryLimit: 50_000, dir });
  for (let i = 0; i < 40_000; i++) frontier.push(request(i));
  assert.equal(frontier.spilled, 0);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(frontier.shift(), request(0));
  frontier.close();
}));

test("Frontier rejects a memory limit that is not a positive integer", () => {
  assert.throws(() => new Frontier({ memoryLimit: 0 }), new UsageError("Expected memoryLimit to be a positive integer, got 0"));
});
