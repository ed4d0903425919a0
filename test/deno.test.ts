// rxcrawl's sources under Deno 2, with the repository's node_modules installed (Deno then resolves npm packages from
// it): a pipeline run as `deno run -A pipelines/crawl.ts`, and a pipeline composed in code from the library's
// operators. Deno is a development dependency: the `deno` npm package ships its binary.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startDemoSite } from "../src/demo/demo_site.ts";
import { DOUBAN_RECOMMENDATIONS } from "../src/parse/douban.ts";
import { readCsv, ROOT } from "./helpers/pipeline.ts";

const execFileAsync = promisify(execFile);
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-deno-"));
after(() => rm(TMP, { recursive: true, force: true }));

/** `deno run -A <script> ...args` from the repository root; rejects with its output when it fails. */
async function deno(script: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.NODE_TEST_CONTEXT;
  try {
    return await execFileAsync(DENO, ["run", "-A", script, ...args], { cwd: ROOT, env, timeout: 60_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`deno run -A ${script} failed: ${(error as Error).message}\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

test("Deno 2 is the one the deno package installed", async () => {
  const { stdout } = await execFileAsync(DENO, ["--version"]);
  assert.match(stdout, /^deno 2\.\d+\.\d+ /);
});

test("deno run -A pipelines/crawl.ts crawls the test site, parsing on a worker thread, and writes its CSV", async () => {
  const site = await startDemoSite({ pages: 30, bodyKb: 1 });
  try {
    const out = join(TMP, "crawl.csv");
    const { stderr } = await deno("pipelines/crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", out, "--workers", "1"]);
    assert.match(stderr, /^Code runtime: [\d.]+ s: 30 pages, 0 errors, [\d.]+ pages\/s; wrote .*crawl\.csv\n(  [a-z ]+: .*\n){8}$/);
    const { rows } = await readCsv(out);
    assert.deepEqual(new Set(rows.map((row) => row.url)), new Set(site.urls()));
    assert.ok(rows.every((row) => row.status === "200" && row.error === "" && / \(豆瓣\)$/.test(row.title ?? "")));
    assert.equal(site.stats.duplicateRequests(), 0);
  } finally {
    await site.close();
  }
});

test("a pipeline composed from fetchPages(), parseHtml() on a worker thread and writeCsv() runs under Deno", async () => {
  const site = await startDemoSite({ pages: 10, bodyKb: 1 });
  try {
    const out = join(TMP, "composed.csv");
    const urls = site.urls();
    const result = await deno("test/fixtures/composed_pipeline.ts", [out, ...urls, `${site.origin}/missing`]);
    assert.equal(result.stdout + result.stderr, "");
    const { header, rows } = await readCsv(out);
    assert.deepEqual(header, ["url", "status", "title", "h1", "error"]);
    assert.equal(rows.length, 11);
    const missing = rows.find((row) => row.url === `${site.origin}/missing`);
    assert.deepEqual([missing?.status, missing?.title], ["404", ""]);
    assert.match(missing?.error ?? "", /^HTTP 404 Not Found/);
    assert.ok(rows.filter((row) => row !== missing).every((row) => row.status === "200" && row.h1 !== "" && row.error === ""));
  } finally {
    await site.close();
  }
});
