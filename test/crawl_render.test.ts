// crawl() with render "auto" and "always", against the real Chromium, on a site of plain and script-built hosts: what
// each mode reads in the browser and what it finds. The per-host gap, failing pages and the ends of a crawl are in
// crawl_render_ends.test.ts. The browsers of this file start in a temporary directory of their own, so that what they
// leave (or do not) is told apart from other tests' browsers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastValueFrom, toArray } from "rxjs";
import { crawl } from "../src/crawl.ts";
import { crawlConfig } from "../src/crawl_options.ts";
import { checkSameCrawl } from "../src/state/crawl_definition.ts";
import type { RenderMode } from "../src/render/render_stage.ts";
import { type BroadSite, startBroadSite } from "../src/demo/broad_site.ts";
import type { PageRecord } from "../src/records.ts";
import { CrawlStats } from "../src/stats/crawl_stats.ts";
import { summaryLines } from "../src/stats/summary_lines.ts";
import { untilNothingLeft } from "./helpers/browser_process.ts";

const TMP = mkdtempSync(join(tmpdir(), "rxcrawl-render-test-"));
const OUR_TMPDIR = process.env.TMPDIR;
/** A mixed site: hosts 0, 1 and 3 serve plain HTML; host 2's pages are shells that a script builds from JSON. */
const SCRIPT_HOST = 2;
const HOSTS = 4;
const PAGES = 6;
let broad: BroadSite;

before(async () => {
  process.env.TMPDIR = TMP; // where each crawl's browser keeps its profile
  broad = await startBroadSite({ hosts: HOSTS, pagesPerHost: PAGES, ownLinks: 3, otherLinks: 1, bodyKb: 2, scriptHosts: [SCRIPT_HOST] });
});

after(async () => {
  await broad?.close();
  if (OUR_TMPDIR === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = OUR_TMPDIR;
  rmSync(TMP, { recursive: true, force: true });
});

/** Polls until this file's browsers left nothing behind (see `untilNothingLeft`). */
const nothingLeft = (ms?: number): Promise<void> => untilNothingLeft(TMP, ms);

/** The crawl of the broad site from host 0, every host, with `render`; the records, the stats and the site's log. */
async function crawlBroad(render: RenderMode, rate: number): Promise<{ records: PageRecord[]; stats: CrawlStats }> {
  broad.log.reset();
  const stats = new CrawlStats();
  const records = await lastValueFrom(
    crawl({ start: broad.startUrl, hosts: "any", render, rate, concurrency: 8, extract: { h1: "h1" }, stats }).pipe(toArray()),
  );
  return { records, stats };
}

/** What a user compares between two crawls: each URL's title, h1 and links. */
function found(records: readonly PageRecord[]): Map<string, string> {
  return new Map(
    [...records]
      .sort((a, b) => (a.url < b.url ? -1 : 1))
      .map((record) => [record.url, JSON.stringify([record.title, record.fields.h1, [...record.links].sort(), record.error])]),
  );
}

const hostName = (host: number) => new URL(broad.origin(host)).host;

test("auto renders only the script-built host's pages (after three comparisons a plain host) and finds all that always finds", async () => {
  const always = await crawlBroad("always", 20);
  const auto = await crawlBroad("auto", 20);
  const autoArrivals = Array.from({ length: HOSTS }, (_, host) => broad.log.arrivals(host).length);
  const never = await crawlBroad("never", 20);

  assert.equal(always.records.length, HOSTS * PAGES);
  assert.ok(always.records.every((record) => record.error === "" && record.fields.h1 !== null && record.rendered === true));
  assert.deepEqual(found(auto.records), found(always.records), "every page, title, field and link");
  const scriptRows = never.records.filter((record) => record.url.startsWith(broad.origin(SCRIPT_HOST)));
  assert.ok(scriptRows.length > 0 && scriptRows.every((record) => record.fields.h1 === null), "over HTTP alone, the script host's pages are empty");
  assert.ok(never.records.every((record) => record.rendered === undefined));

  // The browser's navigations, by host: every page of the script host; three comparisons of each plain host.
  const renders = auto.stats.summary().render!;
  const byHost = Object.fromEntries(renders.hosts.map(({ host, pages, compared }) => [host, { pages, compared }]));
  for (let host = 0; host < HOSTS; host++) {
    if (host === SCRIPT_HOST) assert.equal(byHost[hostName(host)]?.pages, PAGES, "the script host: every page");
    else assert.deepEqual(byHost[hostName(host)], { pages: 3, compared: 3 }, `plain host ${host}: its three comparisons only`);
  }
  assert.deepEqual(
    auto.records.filter((record) => record.rendered).map((record) => record.url).sort(),
    Array.from({ length: PAGES }, (_, page) => broad.url(SCRIPT_HOST, page)).sort(),
    "the rows read from the browser's DOM are the script host's",
  );
  // The site saw the browser's own requests: one JSON per script-built page, nothing else; each page fetched once.
  const expected = Array.from({ length: HOSTS }, (_, host) => 1 + PAGES + (host === SCRIPT_HOST ? PAGES : 0)); // robots.txt, pages, JSON
  assert.deepEqual(autoArrivals, expected);
  assert.equal(always.stats.summary().render?.compared, 0);
  assert.match(
    summaryLines(auto.stats.summary()).join("\n"),
    /rendered: 15 pages in the browser \(\d+ read both ways to decide\), 0 failed; 6 rows read from the rendered DOM; browser peak \d/,
  );
  await nothingLeft(1); // closed before the crawl completed
});

test("the render mode is part of the crawl's definition: a crawl continued or joined must render the same way", () => {
  const definition = (render?: RenderMode) => crawlConfig({ start: broad.startUrl, ...(render === undefined ? {} : { render }) }).definition;
  assert.equal(definition("auto").render, "auto");
  assert.equal("render" in definition("never"), false, "a crawl that renders nothing is defined as before rendering existed");
  assert.deepEqual(definition("never"), definition());
  assert.throws(() => checkSameCrawl(definition("always"), definition("auto"), "the crawl x"), {
    name: "UsageError",
    message: 'Cannot continue the crawl x: render differs (it has "always", got "auto")',
  });
  assert.throws(() => checkSameCrawl(definition(), definition("auto"), "the crawl x"), {
    message: 'Cannot continue the crawl x: render differs (it has none, got "auto")',
  });
});

test("crawl() checks its render options before anything is fetched", () => {
  assert.throws(() => crawl({ start: broad.startUrl, render: "sometimes" as "auto" }), {
    name: "UsageError",
    message: 'Expected render to be "never", "auto", "always", got "sometimes"',
  });
  assert.throws(() => crawl({ start: broad.startUrl, rendering: { waitFor: "h1" } }), {
    name: "UsageError",
    message: 'Expected rendering options only with render "auto" or "always"',
  });
  assert.throws(() => crawl({ start: broad.startUrl, render: "auto", rendering: { browser: "/nonexistent/chromium" } }), {
    name: "UsageError",
    message: 'Expected browser to be the path of a Chromium or Chrome executable, got "/nonexistent/chromium" (no executable file there)',
  });
  assert.throws(() => crawl({ start: broad.startUrl, render: "always", rendering: { waitFor: "h1[" } }), {
    name: "UsageError",
    message: 'Expected waitFor to be a valid CSS selector, got "h1["',
  });
});
