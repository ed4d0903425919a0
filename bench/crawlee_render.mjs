#!/usr/bin/env node
// The reference crawlers of the render benchmark: Crawlee 3's PlaywrightCrawler (every page in a browser) or its
// AdaptivePlaywrightCrawler (plain HTTP where its detection finds it enough), crawling from one start URL, following the
// links a selector picks, extracting fields by CSS selector, at a fixed concurrency, storing nothing on disk. They drive
// the system's Chromium (launchContext.launchOptions.executablePath, through the `playwright` package, which downloads
// nothing), headless, with the flags rxcrawl's browser gets (src/render/launch_browser.ts), the sandbox off only as root,
// images, media and fonts blocked by their URL (Crawlee blocks by URL pattern, rxcrawl by resource type), and a page
// read once its network is idle (Playwright's networkidle: 500 ms with no request, as rxcrawl waits) or once
// --wait-for matches. Crawlee's other defaults stay (fingerprints, its browser pool's tabs per browser).
// Prints {"crawler","pages","repeats","errors","fields","titled","browserPages","httpPages","seconds"} as one JSON line:
// distinct pages handled, pages handled more than once, requests that failed for good, extracted fields with a value
// summed over the pages, pages with a title, pages handled in the browser and over plain HTTP (the adaptive crawler's
// own counts; every page is in the browser for the other), and the crawl's own time. Plain JavaScript on plain node: Crawlee lives in
// bench/node_modules only, outside the type-checked project.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import { AdaptivePlaywrightCrawler, Configuration, log, PlaywrightCrawler, playwrightUtils } from "crawlee";
import { chromium } from "playwright";

const HELP = `usage: crawlee_render.mjs <start-url> --crawler playwright|adaptive [options]

  --crawler NAME        playwright (PlaywrightCrawler) or adaptive (AdaptivePlaywrightCrawler)
  --max-pages N         pages handled at most (default: 1000)
  --concurrency N       pages in hand at once, held fixed (default: 4)
  --follow <css>        links to enqueue (default: "a[href]")
  --any-host            enqueue links to any host (strategy "all"), not only the start URL's hostname
  --extract name=css    a field to extract, its text; repeatable
  --wait-for <css>      read a page once this matches, instead of once its network is idle
  --timeout <ms>        time a page's navigation may take (default: 30000)
  --detection-ratio R   the adaptive crawler's share of pages read both ways to learn (default: Crawlee's, 0.1)
  --browser PATH        the Chromium to drive (default: chromium, chromium-browser or google-chrome on PATH)
  -h, --help            this help`;

/** The flags of rxcrawl's browser (src/render/launch_browser.ts), so that both crawl with the same Chromium. */
const BROWSER_FLAGS = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-gpu",
  "--disable-quic",
];
/** Images, media and fonts, by the extensions of their URLs: what rxcrawl blocks by resource type. */
const BLOCKED = [".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".mp4", ".webm", ".mp3", ".ogg"];

function fail(message) {
  process.stderr.write(`crawlee_render.mjs: ${message} (see --help)\n`);
  process.exit(2);
}

function findBrowser(path) {
  const candidates = path !== undefined ? [path] : ["chromium", "chromium-browser", "google-chrome"].flatMap((name) =>
    (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, name)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return fail(path !== undefined ? `no executable at --browser ${path}` : "no chromium, chromium-browser or google-chrome on PATH");
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      crawler: { type: "string" },
      "max-pages": { type: "string", default: "1000" },
      concurrency: { type: "string", default: "4" },
      follow: { type: "string", default: "a[href]" },
      "any-host": { type: "boolean", default: false },
      extract: { type: "string", multiple: true, default: [] },
      "wait-for": { type: "string" },
      timeout: { type: "string", default: "30000" },
      "detection-ratio": { type: "string" },
      browser: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (error) {
  fail(error.message.split(/\.\s/)[0]);
}
const { values } = args;
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const maxPages = Number(values["max-pages"]);
const concurrency = Number(values.concurrency);
const timeout = Number(values.timeout);
if (args.positionals.length !== 1 || !["playwright", "adaptive"].includes(values.crawler)) {
  fail("Expected one start URL and --crawler playwright or adaptive");
}
if (!(maxPages > 0) || !(concurrency > 0) || !(timeout > 0)) fail("Expected --max-pages, --concurrency and --timeout to be positive");
const fields = values.extract.map((spec) => {
  const at = spec.indexOf("=");
  if (at < 1) fail(`Expected --extract name=css, got "${spec}"`);
  return [spec.slice(0, at), spec.slice(at + 1)];
});
const waitFor = values["wait-for"];
const adaptive = values.crawler === "adaptive";
const strategy = values["any-host"] ? { strategy: "all" } : {};

log.setLevel(log.LEVELS.WARNING);
/**
 * Per URL: the ids of the requests that handled it (the adaptive crawler runs one request's handler twice when it
 * compares readings), and the most fields with a value one reading found.
 */
const handled = new Map();
const fieldsOf = new Map();
/** The URLs whose page had a title in some reading. */
const titled = new Set();

/** Records a page and its fields with a value; returns the fields, which the adaptive crawler compares between readings. */
function extracted(request, $) {
  const ids = handled.get(request.url) ?? new Set();
  handled.set(request.url, ids.add(request.id));
  const item = { url: request.url };
  if ($("title").first().text().trim() !== "") titled.add(request.url);
  let found = 0;
  for (const [name, css] of fields) {
    const text = $(css).first().text().trim();
    item[name] = text;
    if (text !== "") found++;
  }
  fieldsOf.set(request.url, Math.max(fieldsOf.get(request.url) ?? 0, found));
  return item;
}

const common = {
  // Min = max: autoscaling would start at one page and grow, and the comparison is at a given concurrency.
  minConcurrency: concurrency,
  maxConcurrency: concurrency,
  maxRequestsPerCrawl: maxPages,
  navigationTimeoutSecs: timeout / 1000,
  launchContext: {
    launcher: chromium,
    launchOptions: {
      executablePath: findBrowser(values.browser),
      headless: true,
      chromiumSandbox: process.getuid?.() !== 0,
      args: BROWSER_FLAGS,
    },
  },
  preNavigationHooks: [
    async ({ page }, gotoOptions) => {
      if (page === undefined) return; // the adaptive crawler reading over plain HTTP
      await playwrightUtils.blockRequests(page, { urlPatterns: BLOCKED });
      if (gotoOptions !== undefined && waitFor === undefined) gotoOptions.waitUntil = "networkidle";
    },
  ],
};
if (values["detection-ratio"] !== undefined) common.renderingTypeDetectionRatio = Number(values["detection-ratio"]);

// In memory only: writing the request queue to disk would measure the disk, not the crawler.
const config = new Configuration({ persistStorage: false, purgeOnStart: true });
const crawler = adaptive
  ? new AdaptivePlaywrightCrawler(
      {
        ...common,
        async requestHandler({ request, waitForSelector, parseWithCheerio, enqueueLinks, pushData }) {
          if (waitFor !== undefined) await waitForSelector(waitFor);
          const $ = await parseWithCheerio();
          // What the handler pushes is what the crawler compares to tell whether plain HTTP finds the same.
          await pushData(extracted(request, $));
          // By URL: given a selector, its enqueueLinks waits up to 5 s in the browser for a link to appear, and then
          // fails a page that has none.
          const base = request.loadedUrl ?? request.url;
          const urls = $(values.follow).map((_, element) => $(element).attr("href")).get();
          await enqueueLinks({ urls: urls.flatMap((href) => URL.canParse(href, base) ? [new URL(href, base).href] : []), ...strategy });
        },
      },
      config,
    )
  : new PlaywrightCrawler(
      {
        ...common,
        async requestHandler({ request, page, parseWithCheerio, enqueueLinks }) {
          if (waitFor !== undefined) await page.waitForSelector(waitFor);
          extracted(request, await parseWithCheerio());
          await enqueueLinks({ selector: values.follow, ...strategy });
        },
      },
      config,
    );

const stats = await crawler.run(args.positionals);
let repeats = 0;
for (const ids of handled.values()) repeats += ids.size - 1;
let found = 0;
for (const count of fieldsOf.values()) found += count;
const state = crawler.stats.state;
const result = {
  crawler: values.crawler,
  pages: handled.size,
  repeats,
  errors: stats.requestsFailed,
  fields: found,
  titled: titled.size,
  browserPages: adaptive ? (state.browserRequestHandlerRuns ?? 0) : stats.requestsFinished,
  httpPages: adaptive ? (state.httpOnlyRequestHandlerRuns ?? 0) : 0,
  seconds: stats.crawlerRuntimeMillis / 1000,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
