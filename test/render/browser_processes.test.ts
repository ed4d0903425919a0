import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { memoryOf, processesWith } from "../../src/render/browser_processes.ts";

test("processesWith() finds the live processes whose command line holds the marker, and memoryOf() their memory", async () => {
  const marker = `/tmp/rxcrawl-marker-${randomUUID()}`;
  // 64 MB of its own, written: pages no other process shares, whatever the machine's state.
  const script = "globalThis.held = Buffer.alloc(64 * 2 ** 20, 1); setInterval(() => {}, 1000); console.log('ready')";
  const child = spawn(process.execPath, ["-e", script, marker], { stdio: ["ignore", "pipe", "ignore"] });
  await once(child.stdout, "data");
  try {
    assert.deepEqual(processesWith(marker), [child.pid]);
    const bytes = memoryOf([child.pid!]);
    assert.ok(bytes > 64 * 2 ** 20, `a node process holding a 64 MB buffer holds more than 64 MB, got ${bytes}`);
    assert.ok(memoryOf([child.pid!, process.pid]) > bytes, "two processes hold more than one");
    assert.equal(memoryOf([2 ** 22 + 1]), 0, "a process that does not exist holds nothing");
  } finally {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  assert.deepEqual(processesWith(marker), []);
});
