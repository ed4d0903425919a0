import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseHTML } from "linkedom";
import { UsageError } from "../../src/errors.ts";
import type { CrawlSummary } from "../../src/stats/crawl_summary.ts";
import { renderReport } from "../../src/report/render_report.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const SUMMARY = fixture("crawl_summary.json");
const EMPTY = fixture("empty_crawl_summary.json");
const CHART_IDS = ["chart-throughput", "chart-status", "chart-depth", "chart-response", "chart-body", "chart-hosts"];

function fixture(name: string): CrawlSummary {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as CrawlSummary;
}

/** The report as a browser's parser sees it. */
function parse(html: string): Document {
  return parseHTML(html).document as unknown as Document;
}

/** The page's chart data, read the way its script reads it. */
function pageData(document: Document): { charts: { id: string; config: { data: { labels: unknown[] } } | null }[] } {
  return JSON.parse(document.getElementById("report-data")?.textContent ?? "null");
}

/**
 * The visible text of the page, with a space between the texts of elements (as cells and figures read) and runs of
 * white space made one space.
 */
function text(document: Document): string {
  const walk = (node: Node): string =>
    [...node.childNodes].map((child) => (child.nodeType === 3 ? (child.textContent ?? "") : ` ${walk(child)} `)).join("");
  const main = document.querySelector("main");
  return (main === null ? "" : walk(main)).replace(/\s+/g, " ");
}

function assertShows(shown: string, expected: string): void {
  assert.ok(shown.includes(expected), `the page shows ${JSON.stringify(expected)}`);
}

/** A summary whose URLs, messages and names try to break out of the HTML and of the page's JSON. */
function hostileSummary(): CrawlSummary {
  const breakout = `https://evil.test/"><script>alert(1)</script>`;
  const closer = `https://evil.test/</script><script>alert(2)</script><!--`;
  return {
    ...SUMMARY,
    slowest: [{ url: breakout, ms: 4200, status: 200 }, ...SUMMARY.slowest.slice(1)],
    failing: [
      { url: closer, status: 404, code: "EHTTP", error: `HTTP 404 <img src=x onerror="alert(3)"> (${closer})` },
      { url: "javascript:alert(4)", status: 0, code: "<i>ENETWORK</i>", error: "'quoted' & <b>bold</b>" },
      ...SUMMARY.failing.slice(2),
    ],
    hosts: [{ host: `</script><b>host</b>`, pages: 10, errors: 1 }, ...SUMMARY.hosts.slice(1)],
    errorCodes: { ...SUMMARY.errorCodes, "<u>ECODE</u>": 1 },
  };
}

test("renderReport() makes one self-contained page: Chart.js inlined, no script, style or image loaded from anywhere", () => {
  const html = renderReport(SUMMARY);
  const document = parse(html);
  const chartJs = readFileSync(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8");
  assert.ok(html.includes(chartJs.slice(0, 20_000)), "the start of Chart.js's UMD build is in the page");
  assert.ok(html.includes(chartJs.slice(-20_000).replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "")), "and its end");
  assert.doesNotMatch(html, /sourceMappingURL/);

  const scripts = [...document.querySelectorAll("script")];
  assert.equal(scripts.length, 3, "the data, Chart.js and the report's own script");
  assert.ok(scripts.every((script) => !script.hasAttribute("src")), "no script has a src");
  assert.equal(document.querySelectorAll("link, img, iframe, object, embed, source, video, audio").length, 0);
  assert.doesNotMatch(document.querySelector("style")?.textContent ?? "", /url\(|@import/);

  // The only URLs to the web are the links to crawled pages, in the tables.
  const crawled = new Set([...SUMMARY.slowest, ...SUMMARY.failing].map((row) => row.url));
  const external = [...document.querySelectorAll("[src], [href]")].filter((element) =>
    /^https?:/i.test(element.getAttribute("src") ?? element.getAttribute("href") ?? ""),
  );
  assert.ok(external.length > 0, "the tables link to crawled URLs");
  for (const element of external) {
    assert.equal(element.tagName, "A");
    assert.ok(element.closest("table") !== null, "the link is in a table");
    assert.ok(crawled.has(element.getAttribute("href") ?? ""), `${element.getAttribute("href")} is a crawled URL`);
  }
});

test("renderReport() counts the files apart from the pages among the records without an error", () => {
  const shown = text(parse(renderReport({ ...SUMMARY, files: 12 })));
  assertShows(shown, "URLs 4,812 one record each Pages 4,491 93.3% of URLs, read Files 12 not HTML or XML, not downloaded");
});

test("renderReport() shows the headline figures, the period and a canvas for each chart", () => {
  const document = parse(renderReport(SUMMARY));
  const shown = text(document);
  for (const figure of [
    "URLs 4,812 one record each",
    "Pages 4,503 93.6% of URLs, read",
    "Files 0 not HTML or XML, not downloaded",
    "Errors 309 6.4% of URLs",
    "URLs/s 11.7",
    "Elapsed 6 min 53 s",
    "Finish done nothing left to fetch",
    "Requests 5,035 1.05 per URL",
    "Retries 97 1.9% of requests",
    "Redirects 164 3.3% of requests",
    "Robots refusals 38",
    "On the wire 57.8 MB",
    "Decoded 249 MB ×4.31 the wire size",
    "Peak memory 187 MB",
    "2026-11-25 21:00:03 UTC → 2026-11-25 21:06:55 UTC (6 min 53 s)",
    "p50 178 ms p90 491 ms p99 1.66 s max 19.5 s",
    "p50 43.1 KB p90 106 KB p99 216 KB max 660 KB",
    "The first 100 of 309 errors",
  ]) {
    assertShows(shown, figure);
  }
  assert.deepEqual(
    [...document.querySelectorAll("canvas")].map((canvas) => canvas.id),
    CHART_IDS,
  );
  assert.equal(document.querySelectorAll(".no-data").length, 0);
  const data = pageData(document);
  assert.deepEqual(data.charts.find((chart) => chart.id === "chart-body")?.config?.data.labels, [
    "1–4 KB",
    "4–16 KB",
    "16–64 KB",
    "64–256 KB",
    "0.25–1 MB",
  ]);
  // Tables: the slowest URLs in order, the failing ones with code, status and message, errors by code.
  const slowest = [...document.querySelectorAll("table")][1]!;
  assert.equal(slowest.querySelectorAll("tbody tr").length, 10);
  assert.equal(slowest.querySelector("a")?.getAttribute("href"), SUMMARY.slowest[0]!.url);
  assertShows(shown, "book.douban.com/subject/8884778/reviews?sort=time&start=60 200 19.1 s");
  assertShows(shown, "EHTTP the server answered with an error status 187 60.5%");
  assert.equal(document.querySelectorAll("td.message").length, SUMMARY.failing.length);
});

test("renderReport() lets no URL, message or name from the crawl inject markup, in the HTML or in the page's JSON", () => {
  const summary = hostileSummary();
  const html = renderReport(summary);
  const document = parse(html);
  assert.equal(document.querySelectorAll("script").length, 3);
  assert.equal(document.querySelectorAll("img").length, 0);
  const injected = [...document.querySelectorAll("b, i, u")].filter((e) => /^(bold|ENETWORK|ECODE|host)$/.test(e.textContent ?? ""));
  assert.deepEqual(
    injected.map((element) => element.outerHTML),
    [],
  );
  assert.ok([...document.querySelectorAll("*")].every((element) => !element.hasAttribute("onerror")), "no onerror attribute");
  assert.doesNotMatch(html, /<script>alert/);

  // The JSON ends where the browser ends the element, at the first "</script": it must hold all of it.
  const json = document.getElementById("report-data")?.textContent ?? "";
  assert.doesNotMatch(json, /</);
  const hosts = pageData(document).charts.find((chart) => chart.id === "chart-hosts");
  assert.equal(hosts?.config?.data.labels[0], "</script><b>host</b>");

  // Escaped, the text still reads as it was; a javascript: URL is shown, not linked.
  const shown = text(document);
  assertShows(shown, `evil.test/"><script>alert(1)</script>`);
  assertShows(shown, `HTTP 404 <img src=x onerror="alert(3)">`);
  assertShows(shown, "javascript:alert(4)");
  assertShows(shown, "'quoted' & <b>bold</b>");
  assert.equal(document.querySelector('a[href^="javascript:"]'), null);
  assert.equal(document.querySelector("a")?.getAttribute("href"), summary.slowest[0]!.url);
});

test("renderReport() of an empty crawl has a note in place of each chart and empty tables said so", () => {
  const document = parse(renderReport(EMPTY));
  assert.equal(document.querySelectorAll("canvas").length, 0);
  assert.equal(document.querySelectorAll(".no-data").length, CHART_IDS.length);
  assert.deepEqual(
    pageData(document).charts.map((chart) => [chart.id, chart.config]),
    CHART_IDS.map((id) => [id, null]),
  );
  const shown = text(document);
  for (const note of ["Pages 0", "No errors.", "No response came.", "No URL failed.", "No page finished"]) {
    assertShows(shown, note);
  }
  assert.doesNotMatch(shown, /NaN|undefined|Infinity/);
});

test("renderReport() uses the title option for the page's title and heading, escaped", () => {
  const document = parse(renderReport(SUMMARY, { title: "Books & </title><script>x</script>" }));
  assert.equal(document.querySelector("title")?.textContent, "Books & </title><script>x</script>");
  assert.equal(document.querySelector("h1")?.textContent, "Books & </title><script>x</script>");
  assert.equal(parse(renderReport(SUMMARY)).querySelector("h1")?.textContent, "Crawl report");
});

test("renderReport() refuses statistics of another format with a UsageError", () => {
  const future = { ...SUMMARY, format: 2 } as unknown as CrawlSummary;
  assert.throws(() => renderReport(future), (error: unknown) => {
    assert.ok(error instanceof UsageError, "a UsageError");
    assert.equal(error.message, "Expected crawl statistics of format 1, got 2");
    return true;
  });
});
