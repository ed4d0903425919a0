import { test } from "node:test";
import assert from "node:assert/strict";
import { shebangFlags } from "../../bench/runners.ts";

test("shebangFlags() reads the node flags of a pipeline's first lines, tsx taken from the repository root", () => {
  assert.deepEqual(shebangFlags("pipelines/crawl.ts"), ["--import", "tsx", "--max-semi-space-size=2"]);
  assert.deepEqual(shebangFlags("pipelines/concurrency-demo.ts"), ["--import", "tsx"]);
  assert.throws(() => shebangFlags("src/mod.ts"), { message: "src/mod.ts does not start with the #!/bin/sh lines that run node" });
});
