import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, shebangFlags } from "../../bench/runners.ts";

test("shebangFlags() reads the node flags of a pipeline's first lines, and the repository's runner of its sources", () => {
  const runner = join(ROOT, "bin", "run_source.mjs");
  assert.deepEqual(shebangFlags("pipelines/crawl.ts"), ["--max-semi-space-size=8", "--heap-growing-percent=50", runner]);
  assert.deepEqual(shebangFlags("pipelines/concurrency-demo.ts"), [runner]);
  assert.throws(() => shebangFlags("src/mod.ts"), { message: "src/mod.ts does not start with the #!/bin/sh lines that run node" });
});
