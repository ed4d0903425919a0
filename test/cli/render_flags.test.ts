// The flags of rendering, end to end: crawl.ts run as a user runs it, with the system's Chromium, on a site of a plain
// host and a script-built one.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type BroadSite, startBroadSite } from "../../src/demo/broad_site.ts";
import { readRows } from "../../src/sinks/read_rows.ts";
import type { CrawlSummary } from "../../src/stats/crawl_summary.ts";
import { type Exit, readCsv, ROOT, run } from "../helpers/pipeline.ts";

const TMP = join(ROOT, "data", "out", "test-render-flags");
let site: BroadSite;

before(async () => {
  await mkdir(TMP, { recursive: true });
  site = await startBroadSite({ hosts: 2, pagesPerHost: 3, ownLinks: 2, otherLinks: 1, bodyKb: 1, scriptHosts: [1] });
});

after(async () => {
  await site?.close();
  await rm(TMP, { recursive: true, force: true });
});

function assertUsageError(result: Exit, message: string): void {
  assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  assert.equal(result.stderr, `crawl.ts: ${message} (see --help)\n`);
}

test("crawl.ts --render always writes a rendered column, true on every page, and the script-built pages' fields", async () => {
  const [csv, parquet, stats] = [join(TMP, "always.csv"), join(TMP, "always.parquet"), join(TMP, "always.stats.json")];
  const args = [site.startUrl, "--any-host", "--render", "always", "--extract", "h1=h1", "--workers", "0"];
  const result = await run("crawl.ts", [...args, "--out", csv, "--out", parquet, "--stats", stats]);
  assert.equal(result.code, 0, result.stderr);
  const { header, rows } = await readCsv(csv);
  assert.deepEqual(header, ["url", "final_url", "status", "content_type", "depth", "title", "rendered", "h1", "error", "fetched_at"]);
  assert.equal(rows.length, 6);
  for (const row of rows) {
    assert.deepEqual([row.rendered, row.error], ["true", ""], row.url);
    assert.match(row.h1!, / \d$/, `${row.url}: its h1, built by script on host 1`);
  }
  const typed: unknown[] = [];
  for await (const row of readRows(parquet)) typed.push(row.rendered);
  assert.deepEqual(typed, Array(6).fill(true), "a boolean column in Parquet");
  const summary = JSON.parse(await readFile(stats, "utf8")) as CrawlSummary;
  assert.deepEqual([summary.render?.mode, summary.render?.pages, summary.render?.rows], ["always", 6, 6]);
  assert.match(result.stderr, /^ {2}rendered: 6 pages in the browser, 0 failed; 6 rows read from the rendered DOM; browser peak /m);

  // Without --render the columns are today's: no rendered column, and the shells' h1s are empty.
  const plain = join(TMP, "never.csv");
  assert.equal((await run("crawl.ts", [site.startUrl, "--any-host", "--extract", "h1=h1", "--workers", "0", "--out", plain])).code, 0);
  const never = await readCsv(plain);
  assert.equal(never.header.includes("rendered"), false);
  assert.ok(never.rows.some((row) => row.url!.includes("127.0.0.3") && row.h1 === ""));
});

test("crawl.ts reports a bad render flag in one line with exit code 2, and --resume refuses another --render", async (t) => {
  const url = site.startUrl;
  const cases: [string[], string][] = [
    [[url, "--render", "sometimes"], 'Expected --render to be "never" or "auto" or "always", got "sometimes"'],
    [[url, "--wait-for", "h1"], "Expected --render auto or --render always with --wait-for: it sets how pages are rendered"],
    [[url, "--render", "never", "--browser", "/usr/bin/chromium"], "Expected --render auto or --render always with --browser: it sets how pages are rendered"],
    [[url, "--render", "auto", "--wait-for", "h1["], 'Expected --wait-for to be a valid CSS selector, got "h1["'],
    [
      [url, "--render", "auto", "--render-block", "images"],
      'Expected --render-block to list resource types (document, stylesheet, image, media, font, script, texttrack, xhr, fetch, ' +
        'eventsource, websocket, manifest, beacon, ping, cspreport, other) or "none", got "images"',
    ],
    [
      [url, "--render", "always", "--browser", "/nonexistent/chromium"],
      'Expected browser to be the path of a Chromium or Chrome executable, got "/nonexistent/chromium" (no executable file there)',
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => run("crawl.ts", [...args, "--workers", "0"])));
  for (const [i, [args, message]] of cases.entries()) {
    await t.test(`crawl.ts ${args.slice(1).join(" ")}`, () => assertUsageError(results[i]!, message));
  }

  const out = join(TMP, "resumed.csv");
  const first = await run("crawl.ts", [url, "--max-pages", "2", "--workers", "0", "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  const again = await run("crawl.ts", [url, "--max-pages", "4", "--render", "auto", "--workers", "0", "--out", out, "--resume"]);
  assertUsageError(again, `Cannot resume ${out} with a different crawl: --render was never, now auto (run without --resume to start over)`);
});
