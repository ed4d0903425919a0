// The report in a real browser: headless Chromium opens the written file from a file:// URL, as a person would open
// it from disk. Asserted: no error on the console or the page, no request leaves the file, every chart is drawn on a
// canvas of a real size with the summary's numbers (read back through Chart.js's own API) and visible pixels. The report
// of a real crawl (of the demo site and a site of faults) is drawn too, and its full-page screenshot lands in
// data/out/report.png (the README's picture, docs/report.png). Without Chromium the tests are skipped, saying how to
// install it.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { CrawlSummary } from "../../src/stats/crawl_summary.ts";
import { writeReport } from "../../src/report/write_report.ts";
import { lastValueFrom } from "rxjs";
import { crawl } from "../../src/crawl.ts";
import { startDemoSite } from "../../src/demo/demo_site.ts";
import { CrawlStats } from "../../src/stats/crawl_stats.ts";
import { startFaultSite } from "../helpers/faults.ts";
import { pageRecord } from "../helpers/page.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = join(ROOT, "data/out/report.png");
const SUMMARY = fixture("crawl_summary.json");

function fixture(name: string): CrawlSummary {
  return JSON.parse(readFileSync(join(ROOT, "test/fixtures", name), "utf8")) as CrawlSummary;
}

/** What the browser reports about one chart. */
interface DrawnChart {
  id: string;
  width: number;
  height: number;
  type: string;
  labels: string[];
  datasets: { label: string; data: number[] }[];
  plugins: string[];
  /** Share of the canvas's pixels that are not transparent (the canvas has no background of its own). */
  inked: number;
}

/**
 * Opens a fresh Chromium with a temporary profile, gives `body` a page and what went wrong on it, and closes the
 * browser and removes the profile whatever happens. Skips the test when Chromium is not installed.
 */
async function withChromium(
  t: TestContext,
  body: (page: Page, problems: string[], dir: string) => Promise<void>,
): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    t.skip(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-report-browser-"));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      // This machine's network is closed: Chromium's own background connections would only be refused.
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      // The page is laid out for a 1280 px window, and drawn at 2/3 scale: the screenshot (853 px wide) stays readable
      // and under 300 KB.
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 2 / 3,
    });
    // tsx compiles this file with esbuild's keepNames, which wraps named functions in __name(): the functions given to
    // page.evaluate() run in the page, where it must exist (as a no-op) too.
    await context.addInitScript("window.__name = (fn) => fn;");
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      if (!/^(file|data|blob):/.test(request.url())) problems.push(`request: ${request.url()}`);
    });
    await body(page, problems, dir);
  } finally {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every chart on the page, as Chart.js holds it. */
function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(() => {
    const Chart = (window as unknown as { Chart: { getChart(canvas: HTMLCanvasElement): any } }).Chart;
    return [...document.querySelectorAll("canvas")].map((canvas) => {
      const chart = Chart.getChart(canvas);
      const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
      return {
        id: canvas.id,
        width: canvas.clientWidth,
        height: canvas.clientHeight,
        type: chart?.config.type ?? "",
        labels: chart?.data.labels ?? [],
        datasets: (chart?.data.datasets ?? []).map((d: { label: string; data: number[] }) => ({ label: d.label, data: d.data })),
        plugins: (chart?.config.plugins ?? []).map((p: { id: string }) => p.id),
        inked: inked / (canvas.width * canvas.height),
      };
    });
  });
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Where a chart's axis labels overlap: "chart-body x: "128–256 KB" and "256–512 KB"". */
function overlappingLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Point = [number, number];
    const Chart = (window as unknown as { Chart: { getChart(canvas: HTMLCanvasElement): any } }).Chart;
    // The corners of a label as Chart.js draws it: each line about its anchor, turned by the axis's rotation.
    const corners = (item: any, context: CanvasRenderingContext2D): Point[] => {
      const lines: string[] = Array.isArray(item.label) ? item.label.map(String) : [String(item.label)];
      context.font = item.font.string;
      const width = Math.max(...lines.map((line) => context.measureText(line).width));
      const { lineHeight } = item.font;
      const { translation, rotation, textAlign, textBaseline } = item.options;
      const left = textAlign === "right" ? -width : textAlign === "center" ? -width / 2 : 0;
      const shift = textBaseline === "top" ? 0 : textBaseline === "bottom" ? -lineHeight : -lineHeight / 2;
      const top = item.textOffset + shift;
      const bottom = top + lines.length * lineHeight;
      const [cos, sin] = [Math.cos(rotation), Math.sin(rotation)];
      return ([[left, top], [left + width, top], [left + width, bottom], [left, bottom]] as Point[]).map(([x, y]) => [
        translation[0] + x * cos - y * sin,
        translation[1] + x * sin + y * cos,
      ]);
    };
    // Two convex shapes overlap unless an edge of one separates them (by more than half a pixel).
    const separated = (a: Point[], b: Point[]): boolean =>
      [a, b].some((shape) =>
        shape.some((p, i) => {
          const q = shape[(i + 1) % shape.length]!;
          const normal: Point = [q[1] - p[1], p[0] - q[0]];
          const length = Math.hypot(...normal);
          const project = (s: Point[]) => s.map(([x, y]) => (x * normal[0] + y * normal[1]) / length);
          const [pa, pb] = [project(a), project(b)];
          return Math.max(...pa) < Math.min(...pb) + 0.5 || Math.max(...pb) < Math.min(...pa) + 0.5;
        }),
      );
    const found: string[] = [];
    for (const canvas of document.querySelectorAll("canvas")) {
      const chart = Chart.getChart(canvas);
      for (const [id, scale] of Object.entries<any>(chart.scales)) {
        const items = scale.getLabelItems();
        const shapes = items.map((item: any) => corners(item, chart.ctx));
        for (let i = 1; i < shapes.length; i++) {
          if (!separated(shapes[i - 1], shapes[i])) {
            found.push(`${canvas.id} ${id}: ${JSON.stringify(items[i - 1].label)} and ${JSON.stringify(items[i].label)}`);
          }
        }
      }
    }
    return found;
  });
}

/** Texts the page cuts off: an element that hides what overflows it, and overflows. */
function cutTexts(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("main *")]
      .filter((element) => {
        const style = getComputedStyle(element);
        const hides = style.textOverflow === "ellipsis" || ["hidden", "clip"].includes(style.overflowX);
        return hides && element.scrollWidth > element.clientWidth + 1;
      })
      .map((element) => `${element.className}: ${(element as HTMLElement).innerText.slice(0, 60)}`),
  );
}

/** The length in CSS pixels of each bar of a chart's dataset, along its value axis. */
function barLengths(page: Page, id: string, dataset = 0): Promise<number[]> {
  return page.evaluate(
    ([id, dataset]) => {
      const Chart = (window as unknown as { Chart: { getChart(canvas: HTMLCanvasElement): any } }).Chart;
      const chart = Chart.getChart(document.getElementById(id) as HTMLCanvasElement);
      const horizontal = chart.options.indexAxis === "y";
      return chart.getDatasetMeta(dataset).data.map((bar: any) => {
        const length = Math.abs((horizontal ? bar.x : bar.y) - bar.base);
        return Number.isFinite(length) ? length : 0;
      });
    },
    [id, dataset] as const,
  );
}

/** What makes a report readable whatever its data: no label over another, no text cut off. */
async function assertReadable(page: Page): Promise<void> {
  assert.deepEqual(await overlappingLabels(page), [], "no axis label is drawn over another");
  assert.deepEqual(await cutTexts(page), [], "no text is cut off");
}

test("the report draws every chart with the summary's data in Chromium, from a file:// URL, without errors or requests", async (t) => {
  await withChromium(t, async (page, problems, dir) => {
    const file = join(dir, "report.html");
    await writeReport(file, SUMMARY, { title: "book.douban.com, nightly crawl" });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

    const charts = await drawnCharts(page);
    const byId = new Map(charts.map((chart) => [chart.id, chart]));
    assert.deepEqual(
      charts.map((chart) => chart.id),
      ["chart-throughput", "chart-status", "chart-depth", "chart-response", "chart-body", "chart-hosts"],
    );
    for (const chart of charts) {
      assert.ok(chart.width >= 300 && chart.height >= 150, `${chart.id} is ${chart.width}×${chart.height}`);
      assert.ok(chart.inked > 0.01, `${chart.id} has ink on ${(chart.inked * 100).toFixed(2)}% of its pixels`);
    }

    const throughput = byId.get("chart-throughput")!;
    const { bucketSeconds, pages, errors } = SUMMARY.timeline;
    assert.equal(throughput.type, "bar");
    assert.equal(throughput.labels.length, pages.length);
    assert.deepEqual([throughput.labels[0], throughput.labels[1], throughput.labels[30]], ["0:00", "0:02", "1:00"]);
    assert.deepEqual(throughput.datasets.map((d) => d.label), ["ok/s", "errors/s"]);
    const [ok, failed] = [throughput.datasets[0]!.data, throughput.datasets[1]!.data];
    assert.equal(ok[10], ((pages[10] ?? 0) - (errors[10] ?? 0)) / bucketSeconds);
    const worst = errors.indexOf(Math.max(...errors));
    assert.equal(failed[worst], (errors[worst] ?? 0) / bucketSeconds);
    assert.equal(Math.max(...failed), failed[worst], "the tallest red bar is the bucket with the most errors");
    // Rates times the bucket width give the counts back (the last bucket, cut short by the end, aside).
    const perBucket = ok.map((rate, i) => Math.round((rate + (failed[i] ?? 0)) * bucketSeconds));
    assert.deepEqual(perBucket.slice(0, -1), pages.slice(0, -1));
    assert.equal(Math.round(sum(failed.slice(0, -1)) * bucketSeconds), sum(errors.slice(0, -1)));

    const status = byId.get("chart-status")!;
    assert.deepEqual(status.labels, ["2xx", "3xx", "4xx", "5xx", "none"]);
    assert.deepEqual(status.datasets[0]!.data, [4506, 18, 142, 45, 101]);
    assert.deepEqual(status.plugins, ["values"]);

    const depth = byId.get("chart-depth")!;
    assert.deepEqual(depth.labels, ["0", "1", "2", "3", "4", "5"]);
    assert.deepEqual(depth.datasets[0]!.data, [1, 38, 412, 1904, 2011, 446]);

    const response = byId.get("chart-response")!;
    assert.equal(sum(response.datasets[0]!.data), SUMMARY.responseMs.count);
    assert.equal(response.labels[0], "10–20 ms");
    assert.ok(response.labels.includes("100–200 ms"), response.labels.join(", "));
    assert.ok(response.labels.includes("0.5–1 s"), response.labels.join(", "));
    assert.deepEqual(response.plugins, ["percentiles"]);

    const body = byId.get("chart-body")!;
    assert.equal(sum(body.datasets[0]!.data), SUMMARY.bodyBytes.count);
    assert.deepEqual(body.labels, ["1–4 KB", "4–16 KB", "16–64 KB", "64–256 KB", "0.25–1 MB"]);
    assert.deepEqual(body.plugins, ["percentiles"]);

    const hosts = byId.get("chart-hosts")!;
    assert.equal(hosts.labels.length, SUMMARY.hosts.length);
    assert.equal(hosts.labels[0], "book.douban.com");
    assert.deepEqual(hosts.datasets.map((d) => d.label), ["ok", "errors"]);
    assert.equal((hosts.datasets[0]!.data[0] ?? 0) + (hosts.datasets[1]!.data[0] ?? 0), SUMMARY.hosts[0]!.pages);
    assert.equal(hosts.datasets[1]!.data[0], SUMMARY.hosts[0]!.errors);

    const text = await page.locator("main").innerText();
    for (const shown of ["4,812", "4,503", "309", "11.7", "6 min 53 s", "p50 178 ms", "p99 1.66 s", "p50 43.1 KB"]) {
      assert.ok(text.includes(shown), `the page shows ${JSON.stringify(shown)}`);
    }

    await assertReadable(page);

    // Printing: the report lays itself out for paper without an error (PDFs are made by headless Chromium only).
    const pdf = await page.pdf({ format: "A4", margin: { top: "12mm", bottom: "12mm", left: "12mm", right: "12mm" } });
    assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");

    assert.deepEqual(problems, []);
  });
});

test("the report of a real crawl, with errors and retries, is drawn in Chromium, and its screenshot is a PNG under 300 KB", async (t) => {
  const demo = await startDemoSite({ pages: 300, bodyKb: 12, latencyMs: 15 });
  const faults = await startFaultSite();
  try {
    const stats = new CrawlStats();
    const options = { follow: "a[href]", hosts: "any" as const, timeout: 1000, retries: 1, retryDelay: 100, maxBytes: 1024 ** 2 };
    await lastValueFrom(crawl({ ...options, start: [demo.startUrl, faults.url("/")], maxPages: 400, stats, workers: 0 }), {
      defaultValue: undefined,
    });
    const summary = stats.summary();
    assert.ok(summary.errors > 5 && summary.retries > 0, `${summary.errors} errors, ${summary.retries} retries`);
    await withChromium(t, async (page, problems, dir) => {
      const file = join(dir, "crawl.html");
      await writeReport(file, summary, { title: "A crawl of the demo site and of a site of faults" });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      mkdirSync(join(ROOT, "data/out"), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      const charts = new Map((await drawnCharts(page)).map((chart) => [chart.id, chart]));
      assert.equal(charts.size, 6);
      for (const chart of charts.values()) assert.ok(chart.inked > 0.01, `${chart.id} is drawn`);
      assert.equal(sum(charts.get("chart-status")!.datasets[0]!.data), summary.pages);
      assert.equal(sum(charts.get("chart-depth")!.datasets[0]!.data), summary.pages);
      assert.equal(sum(charts.get("chart-response")!.datasets[0]!.data), summary.responseMs.count);
      const hosts = charts.get("chart-hosts")!;
      assert.equal(sum(hosts.datasets.flatMap((dataset) => dataset.data)), summary.pages);
      const text = await page.locator("main").innerText();
      assert.ok(text.includes(summary.pages.toLocaleString("en-US")), "the page count is shown");
      await assertReadable(page);
      assert.deepEqual(problems, []);

      const png = readFileSync(SCREENSHOT);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG signature");
      assert.ok(png.length < 300 * 1024, `the screenshot is ${png.length} bytes`);
    });
  } finally {
    await demo.close();
    await faults.close();
  }
});

test("the report of a crawl of a manual (pages of every size, a file, one error) has no label over another, no text cut off, and a bar of one record in sight", async (t) => {
  // What a crawl of the Python manual left: 526 pages from 1.5 KB to 600 KB, a linked .py file, one 404.
  const stats = new CrawlStats();
  for (let i = 0; i < 526; i++) {
    const bytes = Math.round(1500 * 400 ** ((i % 53) / 52));
    const url = `https://docs.example/${i}.html`;
    stats.record(pageRecord(url, { depth: i === 0 ? 0 : 1 + (i % 3), bytes, wireBytes: bytes / 4, responseMs: 2 + (i % 40) }));
  }
  const file = { contentType: "text/x-python", depth: 2, responseMs: 3 };
  stats.record(pageRecord("https://docs.example/includes/example.py", file));
  stats.record(pageRecord("https://docs.example/gone", { status: 404, depth: 2, error: "HTTP 404 Not Found", errorCode: "EHTTP" }));
  const summary = stats.summary();
  assert.deepEqual([summary.pages, summary.ok, summary.files, summary.errors], [528, 527, 1, 1]);
  assert.ok(summary.bodyBytes.counts.filter((count) => count > 0).length >= 9, "bodies in nine size buckets or more");
  await withChromium(t, async (page, problems, dir) => {
    const report = join(dir, "manual.html");
    await writeReport(report, summary, { title: "The Python 3.11 manual" });
    await page.goto(pathToFileURL(report).href, { waitUntil: "load" });
    await assertReadable(page);
    const text = await page.locator("main").innerText();
    for (const shown of ["URLS\n528", "PAGES\n526", "FILES\n1", "ERRORS\n1"]) {
      assert.ok(text.includes(shown), `the page shows ${JSON.stringify(shown)}`);
    }
    const [ok, notFound] = await barLengths(page, "chart-status");
    assert.ok(ok! > 100, `the 2xx bar is ${ok} px`);
    assert.ok(notFound! >= 3, `the bar of the one 4xx record is ${notFound} px long`);
    const depths = await barLengths(page, "chart-depth");
    assert.ok(depths[0]! >= 3, `the bar of the one start URL is ${depths[0]} px long`);
    const [hostErrors] = await barLengths(page, "chart-hosts", 1);
    assert.ok(hostErrors! >= 3, `the host's one error is a bar ${hostErrors} px long`);
    assert.deepEqual(problems, []);
  });
});

test("the report of an empty crawl opens in Chromium without errors, with a note in place of each chart", async (t) => {
  await withChromium(t, async (page, problems, dir) => {
    const file = join(dir, "empty.html");
    await writeReport(file, fixture("empty_crawl_summary.json"));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    assert.equal(await page.locator("canvas").count(), 0);
    assert.equal(await page.locator(".no-data").count(), 6);
    for (const note of await page.locator(".no-data").all()) {
      const box = await note.boundingBox();
      assert.ok(box !== null && box.width > 200 && box.height > 100, "the note takes the chart's place");
    }
    assert.equal(await page.evaluate(() => typeof (window as unknown as { Chart?: unknown }).Chart), "function");
    assert.deepEqual(problems, []);
  });
});
