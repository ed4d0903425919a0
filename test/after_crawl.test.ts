// End-to-end tests of what a crawl leaves behind for analysis: typed Parquet, the --stats file, the --report page, the
// report command, and sitemaps, with the pipelines run as a user runs them and their files read back as a user reads
// them (DuckDB for Parquet and JSON).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { demoLastmod, startDemoSite } from "../src/demo/demo_site.ts";
import { DOUBAN_RECOMMENDATIONS } from "../src/parse/douban.ts";
import type { CrawlSummary } from "../src/stats/crawl_summary.ts";
import { runDuckDb } from "./helpers/analysis.ts";
import { readCsv, run, start } from "./helpers/pipeline.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-after-"));
after(() => rm(TMP, { recursive: true, force: true }));

/** Column name → DuckDB type of a Parquet file. */
async function parquetTypes(file: string): Promise<Record<string, string>> {
  const [rows] = await runDuckDb([`DESCRIBE SELECT * FROM '${file}'`], TMP);
  return Object.fromEntries(rows!.map((row) => [row.column_name, row.column_type]));
}

test("crawl.ts writes the same rows to CSV and typed Parquet, the --stats JSON the rows and the site agree with, and a --report page", async () => {
  const site = await startDemoSite({ pages: 80, bodyKb: 2 });
  try {
    const [csv, parquet, stats, report] = ["site.csv", "site.parquet", "site.stats.json", "site.html"].map((name) => join(TMP, name)) as [
      string,
      string,
      string,
      string,
    ];
    const result = await run("crawl.ts", [
      `${site.origin}/subject/0/`,
      ...["--follow", "a[href]", "--workers", "0", "--out", csv, "--out", parquet, "--stats", stats, "--report", report],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { rows } = await readCsv(csv);

    assert.deepEqual(await parquetTypes(parquet), {
      url: "VARCHAR",
      final_url: "VARCHAR",
      status: "INTEGER",
      content_type: "VARCHAR",
      depth: "INTEGER",
      title: "VARCHAR",
      error: "VARCHAR",
      fetched_at: "TIMESTAMP WITH TIME ZONE",
    });
    const [[counts]] = (await runDuckDb(
      [`SELECT count(*) AS rows, count(error) AS errors, sum(status) AS statuses, max(depth) AS depth FROM '${parquet}'`],
      TMP,
    )) as [[Record<string, number>]];
    const errorRows = rows.filter((row) => row.error !== "");
    assert.deepEqual(counts, {
      rows: rows.length,
      errors: errorRows.length,
      statuses: rows.reduce((sum, row) => sum + Number(row.status), 0),
      depth: Math.max(...rows.map((row) => Number(row.depth))),
    });
    assert.ok(!existsSync(`${parquet}.partial`), "no .partial left after a normal end");

    const summary = JSON.parse(await readFile(stats, "utf8")) as CrawlSummary;
    assert.equal(summary.format, 1);
    assert.equal(summary.finish, "done");
    assert.equal(summary.pages, rows.length);
    assert.equal(summary.errors, errorRows.length, "the demo site's nav links answer 404");
    assert.ok(summary.errors > 0);
    assert.deepEqual(summary.errorCodes, { EHTTP: errorRows.length });
    assert.deepEqual(summary.statusClasses, { "2xx": rows.length - errorRows.length, "4xx": errorRows.length });
    assert.equal(summary.requests, site.stats.requests - 1, "every request the site saw, robots.txt aside");
    assert.equal(summary.timeline.pages.reduce((a, b) => a + b, 0), rows.length);
    assert.equal(summary.responseMs.count, rows.length);
    assert.ok(summary.bytes.wire > 0 && summary.bytes.decoded > summary.bytes.wire, "gzipped on the wire");
    assert.equal(summary.hosts[0]!.host, site.origin.slice("http://".length));
    assert.match(result.stderr, new RegExp(`^  status: 2xx ${rows.length - errorRows.length}, 4xx ${errorRows.length}$`, "m"));

    const page = await readFile(report, "utf8");
    assert.match(page, /^<!DOCTYPE html>/i);
    assert.equal((page.match(/<canvas/g) ?? []).length, 6, "six charts");
    assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href="https?:/, "nothing to load from elsewhere");
  } finally {
    await site.close();
  }
});

test("douban-books.ts writes a Parquet file with a double rating and integer year and ratings", async () => {
  const out = join(TMP, "books.parquet");
  const result = await run("douban-books.ts", ["--demo", "--max-pages", "30", "--out", out, "--workers", "0"]);
  assert.equal(result.code, 0, result.stderr);
  const types = await parquetTypes(out);
  assert.deepEqual([types.rating, types.year, types.ratings, types.isbn, types.fetched_at], [
    "DOUBLE",
    "INTEGER",
    "INTEGER",
    "VARCHAR",
    "TIMESTAMP WITH TIME ZONE",
  ]);
  const [[row]] = (await runDuckDb([`SELECT count(*) AS n, min(rating) >= 0 AS rated FROM '${out}'`], TMP)) as [[Record<string, unknown>]];
  assert.deepEqual(row, { n: 30, rated: true });
});

test("crawl.ts stopped by SIGINT leaves a whole Parquet file of the rows finished, and no .partial", { timeout: 40_000 }, async () => {
  const site = await startDemoSite({ pages: 400, bodyKb: 2, latencyMs: 40 });
  const out = join(TMP, "stopped.parquet");
  const crawl = start("crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", out, "--workers", "0"]);
  try {
    while (site.stats.subjectsServed() < 30) await sleep(20);
    crawl.child.kill("SIGINT");
    const result = await crawl.exit;
    assert.equal(result.code, 130, result.stderr);
    const [[row]] = (await runDuckDb([`SELECT count(*) AS n, count(DISTINCT url) AS urls FROM '${out}'`], TMP)) as [[Record<string, number>]];
    assert.ok(row!.n! >= 30 && row!.n! < 400, `${row!.n} rows`);
    assert.equal(row!.urls, row!.n);
    assert.equal(row!.n, site.stats.subjectsServed(), "every page fetched is a row");
    assert.ok(!existsSync(`${out}.partial`));
  } finally {
    if (crawl.child.exitCode === null) crawl.child.kill("SIGKILL");
    await site.close();
  }
});

test("crawl.ts refuses --resume of a Parquet output in one line, exit code 2, writing nothing", async () => {
  const out = join(TMP, "never.parquet");
  const result = await run("crawl.ts", ["http://127.0.0.1:9/", "--out", out, "--resume"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^crawl\.ts: Cannot resume .*never\.parquet: a Parquet file is written whole at the end of a crawl, .* \(see --help\)\n$/);
  assert.ok(!existsSync(out) && !existsSync(`${out}.partial`) && !existsSync(`${out}.journal`));
});

test("crawl.ts --sitemap --max-depth 0 crawls the pages the sitemaps list, with their lastmod, and a row per sitemap", async () => {
  const site = await startDemoSite({ pages: 60, bodyKb: 1 });
  try {
    const out = join(TMP, "sitemap.csv");
    const result = await run("crawl.ts", [site.origin, "--sitemap", "--max-depth", "0", "--out", out, "--workers", "0"]);
    assert.equal(result.code, 0, result.stderr);
    const { header, rows } = await readCsv(out);
    assert.deepEqual(header.slice(5, 7), ["title", "lastmod"]);
    const paths = rows.map((row) => new URL(row.url!).pathname);
    assert.deepEqual(paths.filter((path) => !path.startsWith("/subject/")).sort(), ["/", "/sitemap.xml", "/sitemaps/books-1.xml.gz"]);
    const pages = rows.filter((row) => row.url!.includes("/subject/"));
    assert.deepEqual(pages.map((row) => row.url).sort(), site.urls().sort());
    for (const row of pages) assert.equal(row.lastmod, demoLastmod(Number(/subject\/(\d+)/.exec(row.url!)![1])), row.url);
    assert.equal(site.stats.duplicateRequests(), 0);
  } finally {
    await site.close();
  }
});

test("report.ts makes the report from a stats file and the output's rows; a missing stats file is one line, exit 2", async () => {
  const site = await startDemoSite({ pages: 40, bodyKb: 1 });
  try {
    const [csv, stats, report] = ["r.csv", "r.stats.json", "r.html"].map((name) => join(TMP, name)) as [string, string, string];
    const crawled = await run("crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", csv, "--stats", stats, "--workers", "0"]);
    assert.equal(crawled.code, 0, crawled.stderr);
    const made = await run("report.ts", [stats, csv, "--out", report, "--title", "Forty books"]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stderr, `report.ts: wrote ${report}: 40 pages\n`);
    const page = await readFile(report, "utf8");
    assert.match(page, /<title>Forty books/);
    assert.match(page, /<div class="label">URLs<\/div><div class="value">40<\/div>/, "the URLs counted from the rows");
    assert.match(page, /<div class="label">Files<\/div><div class="value">0<\/div>/, "the files counted from the rows");

    const missing = await run("report.ts", [join(TMP, "nothing.json")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^report\.ts: Cannot read the stats file .*nothing\.json: .* \(see --help\)\n$/);
  } finally {
    await site.close();
  }
});
