import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { processesWith, residentBytes } from "../../src/render/browser_processes.ts";

test("processesWith() finds the live processes whose command line holds the marker, and residentBytes() their memory", async () => {
  const marker = `/tmp/rxcrawl-marker-${randomUUID()}`;
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], { stdio: "ignore" });
  await once(child, "spawn");
  try {
    assert.deepEqual(processesWith(marker), [child.pid]);
    const bytes = residentBytes([child.pid!]);
    assert.ok(bytes > 10 * 2 ** 20, `a node process holds more than 10 MB, got ${bytes}`);
    assert.equal(residentBytes([child.pid!, 2 ** 22 + 1]), bytes, "a process that does not exist holds nothing");
  } finally {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  assert.deepEqual(processesWith(marker), []);
});
