import { test } from "node:test";
import assert from "node:assert/strict";
import { measure, measureGroup } from "../../bench/measure.ts";

// A child that holds 150 MB and spins until it has used 0.4 s of CPU (however long a busy machine makes that take),
// then waits: what the tree's figures must include.
const HEAVY_CHILD =
  'const b = Buffer.alloc(150e6, 1); while (process.cpuUsage().user < 400e3); setTimeout(() => b.length, 1500)';

test("measure() counts a child process's memory and CPU time in its parent's", async () => {
  const parent = `require("node:child_process").spawnSync(process.execPath, ["-e", ${JSON.stringify(HEAVY_CHILD)}])`;
  const run = await measure(process.execPath, ["-e", parent], { treeInterval: 100 });
  assert.equal(run.code, 0);
  assert.ok(run.peakRssMb >= 150, `${run.peakRssMb} MB`);
  assert.ok(run.cpuSeconds >= 0.4, `${run.cpuSeconds} CPU s`);
});

test("measureGroup() runs the commands at once, and the group's memory is theirs together", async () => {
  const command = { file: process.execPath, args: ["-e", 'const b = Buffer.alloc(100e6, 1); setTimeout(() => b.length, 800)'] };
  const run = await measureGroup([command, command, { file: process.execPath, args: ["-e", "process.exit(3)"] }]);
  assert.deepEqual(run.processes.map((p) => p.code), [0, 0, 3]);
  assert.ok(run.peakRssMb >= 200, `${run.peakRssMb} MB`);
  for (const p of run.processes.slice(0, 2)) assert.ok(p.peakRssMb >= 100 && p.peakRssMb < run.peakRssMb, `${p.peakRssMb} MB`);
  assert.ok(run.wallSeconds >= 0.8, `${run.wallSeconds} s`);
});
