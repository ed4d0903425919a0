// crawl() with rendering, against the real Chromium: the per-host gap with the browser's own requests, pages that crash
// or never settle, the fetcher's rules for the document, and no browser left behind however the crawl ends. The
// browsers of this file start in a temporary directory of their own, so that what they leave (or do not) is told apart
// from other tests' browsers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastValueFrom, take, tap, toArray } from "rxjs";
import { crawl } from "../src/crawl.ts";
import { type BroadSite, startBroadSite } from "../src/demo/broad_site.ts";
import { UsageError } from "../src/errors.ts";
import { CrawlStats } from "../src/stats/crawl_stats.ts";
import { startBroadSiteProcess } from "../bench/site_process.ts";
import { untilNothingLeft } from "./helpers/browser_process.ts";
import { type RenderSite, startRenderSite } from "./helpers/render_site.ts";

const TMP = mkdtempSync(join(tmpdir(), "rxcrawl-render-test-"));
const OUR_TMPDIR = process.env.TMPDIR;
/** A small mixed site: host 0 serves plain HTML; host 1's pages are shells that a script builds from JSON. */
const SCRIPT_HOST = 1;
const HOSTS = 2;
const PAGES = 5;
let broad: BroadSite;
let site: RenderSite;

before(async () => {
  process.env.TMPDIR = TMP; // where each crawl's browser keeps its profile
  broad = await startBroadSite({ hosts: HOSTS, pagesPerHost: PAGES, ownLinks: 2, otherLinks: 1, bodyKb: 2, scriptHosts: [SCRIPT_HOST] });
  site = await startRenderSite();
});

after(async () => {
  await broad?.close();
  await site?.close();
  if (OUR_TMPDIR === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = OUR_TMPDIR;
  rmSync(TMP, { recursive: true, force: true });
});

/** Polls until this file's browsers left nothing behind (see `untilNothingLeft`). */
const nothingLeft = (ms?: number): Promise<void> => untilNothingLeft(TMP, ms);

test("the per-host gap holds for rendered pages, the browser's own requests included", async () => {
  // The site in a process of its own: the arrival times it logs do not wait for this process's event loop.
  const settings = { hosts: 2, pagesPerHost: 5, ownLinks: 2, otherLinks: 1, bodyKb: 2, latencyMs: 0, seed: 1, robots: "allow", scriptHosts: 0.5 } as const;
  const apart = await startBroadSiteProcess(settings); // host 1 builds its pages by script
  try {
    // 1 s between two starts on a host: a browser on two busy cores can send a request it was let go a few hundred ms
    // late, which would bring it closer to the next one than a shorter interval allows for.
    const rate = 1;
    const records = await lastValueFrom(crawl({ start: apart.startUrl, hosts: "any", render: "always", rate, concurrency: 8 }).pipe(toArray()));
    assert.equal(records.length, 10);
    assert.ok(records.every((record) => record.error === "" && record.title !== ""));
    // A lower bound with a margin for the time a request takes to arrive once let go, the browser's or the fetcher's.
    const site = await apart.takeStats(500);
    assert.equal(site.requests, 2 + 10 + 5, "robots.txt, the pages, and each script-built page's JSON, once each");
    assert.equal(site.gaps.below, 0, `shortest gap ${site.gaps.shortestMs} ms`);
  } finally {
    await apart.close();
  }
});

test("a page that crashes its tab and one that never settles are rows with their codes, and the crawl goes on", async () => {
  const stats = new CrawlStats();
  const records = await lastValueFrom(
    crawl({ start: site.url("/trouble"), render: "always", maxDepth: 1, timeout: 8000, maxBytes: 32 * 1024, stats }).pipe(toArray()),
  );
  const rows = Object.fromEntries(records.map((record) => [new URL(record.url).pathname, record]));
  assert.deepEqual(Object.keys(rows).sort(), ["/big", "/crash", "/never", "/old", "/spa", "/trouble"]);
  assert.equal(rows["/crash"]!.errorCode, "ERENDER");
  assert.match(rows["/crash"]!.error, /crashed its tab, and again when tried once more/);
  assert.equal(rows["/never"]!.errorCode, "ERENDERTIMEOUT");
  assert.match(rows["/never"]!.error, /^Rendering timed out after 8000 ms waiting for the network to settle/);
  assert.equal(rows["/spa"]!.title, "Catalog", "built by its script");
  assert.deepEqual([rows["/spa"]!.errorCode, rows["/spa"]!.rendered], ["", true]);
  // The fetcher's rules hold for the document: its redirect followed, its size limit kept (not rendered).
  assert.deepEqual([rows["/old"]!.finalUrl, rows["/old"]!.title, rows["/old"]!.rendered], [site.url("/static"), "Catalog", true]);
  assert.deepEqual([rows["/big"]!.errorCode, rows["/big"]!.rendered], ["ETOOBIG", false]);
  const summary = stats.summary();
  assert.deepEqual(summary.errorCodes, { ERENDER: 1, ERENDERTIMEOUT: 1, ETOOBIG: 1 });
  assert.equal(summary.render?.failed, 2);
  assert.ok((summary.render?.browser.crashes ?? 0) >= 2, "the crash, and its retry's");
  await nothingLeft(1);
});

test("unsubscribing, stopping or failing a rendering crawl leaves no browser process or directory", async () => {
  // Unsubscribed after two records: the renders in flight are aborted and the browser closed meanwhile.
  const two = await lastValueFrom(crawl({ start: broad.startUrl, hosts: "any", render: "always", concurrency: 8 }).pipe(take(2), toArray()));
  assert.equal(two.length, 2);
  await nothingLeft();

  // Stopped after the first record: what is in flight finishes, and the crawl completes with the browser closed.
  const stop = new AbortController();
  const stopped = await lastValueFrom(
    crawl({ start: broad.startUrl, hosts: "any", render: "always", concurrency: 4, signal: stop.signal }).pipe(
      tap(() => stop.abort()),
      toArray(),
    ),
  );
  assert.ok(stopped.length >= 1 && stopped.length < HOSTS * PAGES, `${stopped.length} records`);
  await nothingLeft(1);

  // A browser that does not start fails the crawl with a UsageError.
  await assert.rejects(lastValueFrom(crawl({ start: broad.startUrl, render: "auto", rendering: { browser: "/bin/true" } })), (error: Error) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /^Expected browser to be a Chromium that starts, but \/bin\/true failed/);
    return true;
  });
  await nothingLeft(1);
});

