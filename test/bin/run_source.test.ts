import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../helpers/pipeline.ts";

const RUNNER = join(ROOT, "bin", "run_source.mjs");
const CACHE = join(ROOT, "node_modules", ".cache", "rxcrawl");

function run(script: string, ...args: string[]) {
  return spawnSync(process.execPath, [RUNNER, script, ...args], { encoding: "utf8", cwd: tmpdir() });
}

test("run_source.mjs runs a TypeScript script bundled, with its arguments, its own name and each file's own import.meta.url", () => {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-run-source-"));
  try {
    const helper = join(dir, "helper.ts");
    const script = join(dir, "greet.ts");
    writeFileSync(helper, 'export const where: string = import.meta.url;\nexport const greeting = (name: string): string => `hello ${name}`;\n');
    writeFileSync(script, 'import { greeting, where } from "./helper.ts";\nconsole.log(JSON.stringify({ text: greeting(process.argv[2]!), argv1: process.argv[1], where, self: import.meta.url }));\n');
    const first = run(script, "world");
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), {
      text: "hello world",
      argv1: script,
      where: pathToFileURL(helper).href,
      self: pathToFileURL(script).href,
    });
    const manifest = JSON.parse(readFileSync(join(CACHE, "greet.json"), "utf8")) as { entry: string; bundle: string; inputs: Record<string, string> };
    assert.equal(manifest.entry, script);
    const installed = join(ROOT, "node_modules", ".package-lock.json");
    assert.deepEqual(Object.keys(manifest.inputs).sort(), [script, helper, installed].sort(), "what tells when the bundle is stale");

    // A changed source file makes a new bundle; an unchanged one is reused as it is.
    assert.equal(JSON.parse(run(script, "again").stdout).text, "hello again");
    assert.equal(JSON.parse(readFileSync(join(CACHE, "greet.json"), "utf8")).bundle, manifest.bundle);
    writeFileSync(helper, 'export const where: string = import.meta.url;\nexport const greeting = (name: string): string => `bonjour ${name}`;\n');
    assert.equal(JSON.parse(run(script, "monde").stdout).text, "bonjour monde");
    assert.notEqual(JSON.parse(readFileSync(join(CACHE, "greet.json"), "utf8")).bundle, manifest.bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const file of readdirSync(CACHE)) if (file.startsWith("greet")) rmSync(join(CACHE, file), { force: true });
  }
});

test("run_source.mjs without a script says how to call it, with exit code 2", () => {
  const result = spawnSync(process.execPath, [RUNNER], { encoding: "utf8" });
  assert.equal(result.status, 2);
  assert.equal(result.stderr, "usage: node bin/run_source.mjs <pipeline.ts> [arguments]\n");
});
