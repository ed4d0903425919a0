// Pages rendered in the real Chromium, through one pool: what the browser builds, where the page's document comes from
// (never the browser's own network), how long a page is waited for, and what a crash or an abort does. What the
// page's own requests go through is in render_requests.test.ts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { lastValueFrom, of } from "rxjs";
import { compileSpec, parsePage } from "../../src/parse/parse_page.ts";
import { parseHtml } from "../../src/parse/parse_html.ts";
import type { FetchedPage } from "../../src/records.ts";
import { BrowserPool } from "../../src/render/browser_pool.ts";
import type { DocumentResponse, RenderResult } from "../../src/render/render_records.ts";
import { renderedPage } from "../../src/render/rendered_page.ts";
import { fetchedPage } from "../helpers/page.ts";
import { CATALOG, fetchDocument, type RenderSite, startRenderSite } from "../helpers/render_site.ts";

const BROWSER = "HeadlessChrome";
let site: RenderSite;
let pool: BrowserPool;

before(async () => {
  site = await startRenderSite();
  pool = new BrowserPool({ pages: 2, timeout: 15_000 });
  await pool.start();
});

after(async () => {
  await pool?.close();
  await site?.close();
});

/** The page as the parse stage reads it: title, `h1` and links. */
function parsed(result: Pick<RenderResult, "finalUrl" | "html">) {
  const record = parsePage(fetchedPage(result.finalUrl, result.html), compileSpec({ extract: { h1: "h1" } }));
  return { title: record.title, h1: record.fields.h1, links: record.links };
}

test("the single-page app rendered has the title, h1 and links its script built from its host's JSON", async () => {
  const response = await fetchDocument(site.url("/spa"));
  const shell = parsed({ finalUrl: response.url, html: new TextDecoder().decode(response.body) });
  assert.deepEqual(shell, { title: "Loading", h1: null, links: [] }, "the HTML alone has none of it");

  const result = await pool.render({ url: site.url("/spa"), response });
  assert.equal(result.errorCode, "");
  assert.deepEqual(parsed(result), {
    title: CATALOG.title,
    h1: CATALOG.heading,
    links: CATALOG.items.map((item) => site.url(item.href)),
  });
  assert.equal(result.status, 200);
  assert.equal(result.finalUrl, site.url("/spa"));
  assert.equal(result.attempts, 1);
  assert.equal(result.requests, 2, "the script and its JSON");
  assert.deepEqual(result.requestsByHost, { [new URL(site.server.origin).host]: 2 });
  assert.ok(result.timings.readyMs >= result.timings.loadMs && result.timings.totalMs >= result.timings.readyMs);
  const fromBrowser = site.pathsFrom(BROWSER);
  assert.ok(fromBrowser.includes("/spa.js") && fromBrowser.includes("/api/catalog.json"), fromBrowser.join(" "));
});

test("the rendered page goes through parseHtml on a parser thread as any page does", async () => {
  const response = await fetchDocument(site.url("/spa"));
  const fetched: FetchedPage = fetchedPage(site.url("/spa"), response.body, { contentType: "text/html" });
  const result = await pool.render({ url: fetched.url, response });
  const record = await lastValueFrom(of(renderedPage(fetched, result)).pipe(parseHtml({ extract: { h1: "h1" }, workers: 1 })));
  assert.equal(record.title, CATALOG.title);
  assert.equal(record.fields.h1, CATALOG.heading);
  assert.deepEqual(record.links, CATALOG.items.map((item) => site.url(item.href)));
  assert.equal(record.charset, "utf-8");
});

test("the navigation is fulfilled from the given response: the server never sees the page, and its bytes are rendered", async () => {
  const html = '<!DOCTYPE html><title>Fetched</title><h1 id="h">From the fetcher</h1><script>h.textContent += " and its script"</script>';
  // Headers as a fetcher saw them on the wire: the body here is already decompressed, as a fetcher hands it over.
  const response: DocumentResponse = {
    url: site.url("/static"),
    status: 200,
    headers: { "Content-Type": "text/html; charset=utf-8", "content-encoding": "gzip", "content-length": String(gzipSync(html).length) },
    body: new TextEncoder().encode(html),
  };
  const before = site.requests.length;
  const result = await pool.render({ url: site.url("/static"), response });
  assert.equal(result.errorCode, "", result.error);
  assert.equal(parsed(result).h1, "From the fetcher and its script");
  assert.deepEqual(site.requests.slice(before), [], "no request reached the server");
});

test("without a response, the document comes from the fetch function, its redirect followed to the final URL", async () => {
  const fetched: string[] = [];
  const before = site.requests.length;
  const result = await pool.render({
    url: site.url("/old"),
    fetch: (url, signal) => {
      fetched.push(url);
      return fetchDocument(url, signal);
    },
  });
  assert.equal(result.errorCode, "", result.error);
  assert.deepEqual(fetched, [site.url("/old")]);
  assert.equal(result.finalUrl, site.url("/static"));
  assert.equal(parsed(result).title, CATALOG.title);
  assert.deepEqual(
    site.requests.slice(before).map((request) => `${request.path} ${request.userAgent}`),
    ["/old node", "/static node"],
    "the page's requests were the fetch function's, none the browser's",
  );
});

test("a fetch function that fails fails the render with its error", async () => {
  const result = await pool.render({ url: site.url("/static"), fetch: () => Promise.reject(new Error("connection refused")) });
  assert.equal(result.errorCode, "ERENDER");
  assert.match(result.error, /^Fetching the page failed: connection refused \(http:\/\/127\.0\.0\.1:\d+\/static\)$/);
  assert.equal(result.html, "");
});

test("a page built after a timer is read once its waitFor selector matches", async () => {
  const result = await pool.render({ url: site.url("/timer?ms=1200"), fetch: fetchDocument, waitFor: "#late" });
  assert.equal(result.errorCode, "", result.error);
  assert.equal(parsed(result).h1, "Built after 1200 ms");
});

test("a page that never stops loading ends at its timeout with ERENDERTIMEOUT and the DOM it had", async () => {
  const result = await pool.render({ url: site.url("/never"), fetch: fetchDocument, timeout: 2000 });
  assert.equal(result.errorCode, "ERENDERTIMEOUT");
  assert.match(result.error, /^Rendering timed out after 2000 ms waiting for the network to settle \(1 requests in flight\) \(http:.*\/never\)$/);
  assert.equal(parsed(result).h1, "Still loading");
  assert.equal(result.timings.readyMs, 0);

  const waited = await pool.render({ url: site.url("/static"), fetch: fetchDocument, timeout: 1000, waitFor: "#nothing" });
  assert.equal(waited.errorCode, "ERENDERTIMEOUT");
  assert.match(waited.error, /waiting for "#nothing"/);
});

test("a render whose signal aborts rejects with its reason at once, and the next page renders", async () => {
  const hangs = () => site.pathsFrom(BROWSER).filter((path) => path === "/hang").length;
  const before = hangs();
  const controller = new AbortController();
  const rendering = pool.render({ url: site.url("/never"), fetch: fetchDocument }, controller.signal);
  while (hangs() === before) await new Promise((resolve) => setTimeout(resolve, 20));
  controller.abort(new Error("the crawl stopped"));
  await assert.rejects(rendering, { message: "the crawl stopped" });
  const next = await pool.render({ url: site.url("/spa"), fetch: fetchDocument });
  assert.equal(parsed(next).h1, CATALOG.heading);
});

test("a page that crashes its tab is tried once more, then gives ERENDER, and the next page renders", async () => {
  const response = await fetchDocument(site.url("/crash"));
  const crashesBefore = pool.stats.crashes;
  const result = await pool.render({ url: site.url("/crash"), response });
  assert.equal(result.errorCode, "ERENDER");
  assert.match(result.error, /^Rendering failed: the page crashed its tab, and again when tried once more \(http:.*\/crash\)$/);
  assert.equal(result.attempts, 2);
  assert.equal(pool.stats.crashes - crashesBefore, 2);
  assert.equal(site.pathsFrom(BROWSER).filter((path) => path === "/crash.js").length, 2, "the page was loaded twice");

  const next = await pool.render({ url: site.url("/spa"), fetch: fetchDocument });
  assert.equal(next.errorCode, "", next.error);
  assert.equal(parsed(next).h1, CATALOG.heading);
});
