import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { compileSpec, parsePage } from "../../src/parse/parse_page.ts";
import type { WorkerSpec } from "../../src/parse/parser_pool.ts";
import type { PageRecord } from "../../src/records.ts";
import { bundleParserWorker } from "../../src/parse/worker_bundle.ts";
import { fetchedPage } from "../helpers/page.ts";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const parent = await mkdtemp(join(tmpdir(), "rxcrawl-bundle-"));
  try {
    await run(join(parent, "cache"));
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

const PAGE =
  '<meta charset="utf-8"><title> 围城 </title><div id="db-rec-section"><dl><dt><a href="/subject/2/">2</a></dt></dl>' +
  '<dl><dt><a href="/subject/3/#x">3</a></dt></dl></div><span class="pl">ISBN:</span><b id="isbn">978</b>';
const SPEC: WorkerSpec = { follow: "#db-rec-section dt a", extract: { fields: { isbn: "#isbn" } } };

/** Parses one page on a worker thread started on `script`, as the pool does, and stops the worker. */
async function parseOn(script: URL): Promise<PageRecord> {
  const worker = new Worker(script, { workerData: { spec: SPEC } });
  try {
    const [ready] = (await once(worker, "message")) as [{ ready?: true }];
    assert.equal(ready.ready, true);
    worker.postMessage({ id: 1, page: fetchedPage("https://book.example.com/subject/1/", PAGE) });
    const [answer] = (await once(worker, "message")) as [{ id: number; record: PageRecord }];
    assert.equal(answer.id, 1);
    return answer.record;
  } finally {
    await worker.terminate();
  }
}

test("the bundled parser worker parses a page as parsePage() does on the main thread", async () => {
  await withDir(async (dir) => {
    const script = await bundleParserWorker(dir);
    assert.equal(script.protocol, "file:");
    const inline = parsePage(
      fetchedPage("https://book.example.com/subject/1/", PAGE),
      compileSpec({ follow: SPEC.follow as string, extract: { isbn: "#isbn" } }),
    );
    const record = await parseOn(script);
    assert.deepEqual(record, inline);
    assert.equal(record.title, "围城");
    assert.deepEqual(record.links, ["https://book.example.com/subject/2/", "https://book.example.com/subject/3/"]);
  });
});

test("the bundle holds rxcrawl's EventTarget in place of linkedom's, and no TypeScript", async () => {
  await withDir(async (dir) => {
    const code = await readFile(await bundleParserWorker(dir), "utf8");
    // esbuild heads each module it inlines with its path.
    assert.match(code, /^\/\/ linkedom\/event_target\.ts$/m);
    assert.doesNotMatch(code, /^\/\/ .*linkedom\/esm\/interface\/event-target\.js$/m);
    assert.doesNotMatch(code, /from "tsx|\.\/hooks\.mjs/);
    assert.doesNotMatch(code, /^import .* from "(linkedom|\.\/)/m, "every module is inlined");
  });
});

test("a bundle is reused while its sources are unchanged and made again when one of them changes", async () => {
  await withDir(async (dir) => {
    const first = await bundleParserWorker(dir);
    const madeAt = (await stat(first)).mtimeMs;
    const again = await bundleParserWorker(dir);
    assert.equal(again.href, first.href);
    assert.equal((await stat(again)).mtimeMs, madeAt, "not written again");

    // A source file whose size or time differs from the manifest's makes the bundle stale.
    const [manifestName] = (await readdir(dir)).filter((name) => name.endsWith(".json"));
    const manifestPath = join(dir, manifestName!);
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { inputs: Record<string, string> };
    const entry = Object.keys(manifest.inputs).find((file) => file.endsWith("parse_worker.ts"))!;
    assert.equal(entry, fileURLToPath(new URL("../../src/parse/parse_worker.ts", import.meta.url)));
    manifest.inputs[entry] = "0:0";
    await writeFile(manifestPath, JSON.stringify(manifest));
    const rebuilt = await bundleParserWorker(dir);
    assert.equal(rebuilt.href, first.href, "the same sources make the same bundle");
    assert.ok((await stat(rebuilt)).mtimeMs >= madeAt);
    const fresh = JSON.parse(await readFile(manifestPath, "utf8")) as { inputs: Record<string, string> };
    assert.notEqual(fresh.inputs[entry], "0:0", "the manifest is written again");
    assert.deepEqual(await parseOn(rebuilt), await parseOn(first));
  });
});

test("a cache directory that others can write to is refused: its code would run in the crawl", async () => {
  await withDir(async (dir) => {
    await bundleParserWorker(dir);
    await chmod(dir, 0o777);
    await assert.rejects(bundleParserWorker(dir), /is not a private directory of this user/);
  });
});

test("making a bundle removes the bundles no manifest names that nobody has written for a week, and only those", async () => {
  await withDir(async (dir) => {
    const current = await bundleParserWorker(dir);
    const old = join(dir, "parse-worker-00000000000000aa.mjs");
    const recent = join(dir, "parse-worker-00000000000000bb.mjs");
    const other = join(dir, "notes.mjs");
    for (const file of [old, recent, other]) await writeFile(file, "export {};\n");
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    await utimes(old, eightDaysAgo, eightDaysAgo);
    await utimes(other, eightDaysAgo, eightDaysAgo);
    await utimes(current, eightDaysAgo, eightDaysAgo); // old, but its manifest names it

    // A stale manifest makes the next call build, and so prune.
    const [manifestName] = (await readdir(dir)).filter((name) => name.endsWith(".json"));
    const manifestPath = join(dir, manifestName!);
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { inputs: Record<string, string> };
    for (const file of Object.keys(manifest.inputs)) manifest.inputs[file] = "0:0";
    await writeFile(manifestPath, JSON.stringify(manifest));
    assert.equal((await bundleParserWorker(dir)).href, current.href);

    const left = new Set(await readdir(dir));
    assert.ok(!left.has("parse-worker-00000000000000aa.mjs"), "the week-old bundle nobody names is gone");
    assert.ok(left.has("parse-worker-00000000000000bb.mjs"), "a recent one stays: a running crawl may use it");
    assert.ok(left.has("notes.mjs"), "files that are not bundles stay");
    assert.ok(left.has(fileURLToPath(current).split("/").at(-1)!), "the bundle the manifest names stays");
  });
});
