// `make bench SCENARIOS=render-soak`: one long crawl that renders every page (crawl.ts --render always) of a broad site
// with script-built hosts, its memory (crawl.ts and its browser, every process of the tree) sampled as it goes, to tell
// whether it stays flat once the first thousand pages are rendered: the pool's tabs are recycled and its browser
// restarted on memory growth precisely so that it does.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRows } from "../src/sinks/read_rows.ts";
import { measureGroup } from "./measure.ts";
import { ROOT, shebangFlags } from "./runners.ts";
import type { RenderSoakScenario } from "./scenarios.ts";
import { startBroadSiteProcess } from "./site_process.ts";

/** One reading: seconds from the start, rows written by then, and the tree's memory, the most seen since the last one. */
export interface SoakSample {
  seconds: number;
  rows: number;
  mb: number;
}

/** The soak, as the JSON report keeps it. */
export interface RenderSoakRun {
  scenario: string;
  pages: number;
  errors: number;
  rendered: number;
  wallSeconds: number;
  pagesPerSecond: number;
  peakRssMb: number;
  /** The highest memory while the first 1,000 pages were written, then up to half the crawl, then after. */
  firstThousandPeakMb: number;
  middlePeakMb: number;
  lastHalfPeakMb: number;
  /** The least-squares slope of the memory over the rows written, after the first 1,000, in MB per 1,000 pages. */
  slopeMbPerThousand: number;
  /** Whether the last half's peak is within 10% of the middle's: flat after the first thousand. */
  flat: boolean;
  /** Browser restarts for memory, and tab or browser crashes, by crawl.ts's own statistics. */
  memoryRestarts: number;
  crashes: number;
  samples: SoakSample[];
  exitCode: number | null;
  timedOut: boolean;
  check: string;
  stderrTail?: string;
}

/** Reads the memory every this many ms, keeping the highest seen in between. */
const SAMPLE_MS = 2000;

/** Runs the soak; `log` gets a progress line every 30 s. */
export async function runRenderSoak(scenario: RenderSoakScenario, timeout: number, log: (line: string) => void): Promise<RenderSoakRun> {
  const site = await startBroadSiteProcess(scenario.site);
  const tmp = mkdtempSync(join(tmpdir(), "rxcrawl-render-soak-"));
  const out = join(tmp, "soak.csv");
  const statsFile = join(tmp, "soak.stats.json");
  const samples: SoakSample[] = [];
  let highest = 0;
  let next = SAMPLE_MS / 1000;
  let lastLog = 0;
  try {
    log(`${scenario.name}: rxcrawl --render always, ${scenario.pages} pages ...`);
    const args = [
      ...shebangFlags("pipelines/crawl.ts"),
      "pipelines/crawl.ts",
      site.startUrl,
      ...["--any-host", "--no-robots", "--render", "always", "--extract", "h1=h1"],
      ...["--max-pages", String(scenario.pages), "--concurrency", String(scenario.concurrency)],
      ...["--out", out, "--stats", statsFile],
    ];
    const run = await measureGroup([{ file: process.execPath, args }], {
      cwd: ROOT,
      timeout,
      onSample: ({ seconds, kb }) => {
        highest = Math.max(highest, kb);
        if (seconds < next) return;
        next = seconds + SAMPLE_MS / 1000;
        samples.push({ seconds: Math.round(seconds * 10) / 10, rows: rowsIn(out), mb: Math.round((highest / 1024) * 10) / 10 });
        highest = 0;
        if (seconds - lastLog >= 30) {
          lastLog = seconds;
          const last = samples.at(-1)!;
          log(`${scenario.name}: ${last.rows} rows after ${Math.round(seconds)} s, ${last.mb.toFixed(0)} MB`);
        }
      },
    });
    const process0 = run.processes[0]!;
    const rows = await countRows(out);
    const stats = readStats(statsFile);
    const peak = (from: number, to: number) => Math.max(0, ...samples.filter((s) => s.rows >= from && s.rows < to).map((s) => s.mb));
    const half = scenario.pages / 2;
    const firstThousandPeakMb = peak(0, 1000);
    const middlePeakMb = peak(1000, half);
    const lastHalfPeakMb = peak(half, Infinity);
    const result: RenderSoakRun = {
      scenario: scenario.name,
      pages: rows.pages,
      errors: rows.errors,
      rendered: stats.rendered,
      wallSeconds: run.wallSeconds,
      pagesPerSecond: run.wallSeconds > 0 ? rows.pages / run.wallSeconds : 0,
      peakRssMb: run.peakRssMb,
      firstThousandPeakMb,
      middlePeakMb,
      lastHalfPeakMb,
      slopeMbPerThousand: slope(samples.filter((s) => s.rows >= 1000)),
      flat: lastHalfPeakMb <= middlePeakMb * 1.1,
      memoryRestarts: stats.memoryRestarts,
      crashes: stats.crashes,
      samples,
      exitCode: process0.code,
      timedOut: run.timedOut,
      check: soakCheck(scenario.pages, rows, process0.code, run.timedOut),
    };
    if (result.check !== "ok") result.stderrTail = process0.stderrTail;
    log(
      `${scenario.name}: ${rows.pages} pages in ${run.wallSeconds.toFixed(0)} s, peak ${run.peakRssMb.toFixed(0)} MB ` +
        `(first 1,000: ${firstThousandPeakMb.toFixed(0)}, to half: ${middlePeakMb.toFixed(0)}, last half: ${lastHalfPeakMb.toFixed(0)}), ` +
        `${result.slopeMbPerThousand.toFixed(1)} MB per 1,000 pages after the first thousand, ${result.flat ? "flat" : "NOT flat"}, ${result.check}`,
    );
    return result;
  } finally {
    await site.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The soak as a markdown section: the figures, then the memory at each tenth of the crawl. */
export function renderSoakMarkdown(scenario: RenderSoakScenario, run: RenderSoakRun): string {
  const tenths = Array.from({ length: 10 }, (_, i) => ((i + 1) * scenario.pages) / 10).map((rows) => {
    const sample = run.samples.find((s) => s.rows >= rows) ?? run.samples.at(-1);
    return sample === undefined ? "–" : sample.mb.toFixed(0);
  });
  const { site } = scenario;
  return [
    "| pages | errors | rendered | wall s | pages/s | peak MB | first 1,000 | to half | last half | MB per 1,000 after | flat | browser restarts (memory) | crashes | check |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    `| ${run.pages} | ${run.errors} | ${run.rendered} | ${run.wallSeconds.toFixed(0)} | ${run.pagesPerSecond.toFixed(1)} | ` +
      `${run.peakRssMb.toFixed(0)} | ${run.firstThousandPeakMb.toFixed(0)} | ${run.middlePeakMb.toFixed(0)} | ${run.lastHalfPeakMb.toFixed(0)} | ` +
      `${run.slopeMbPerThousand.toFixed(1)} | ${run.flat ? "yes" : "no"} | ${run.memoryRestarts} | ${run.crashes} | ${run.check} |`,
    "",
    `Memory (MB, crawl.ts and its browser) at each tenth of the pages: ${tenths.join(", ")}.`,
    "",
    `- ${scenario.name}: ${site.hosts} hosts × ${site.pagesPerHost} pages × ${site.bodyKb} KB, a tenth of the hosts built by ` +
      `script; \`crawl.ts --render always --max-pages ${scenario.pages} --concurrency ${scenario.concurrency}\`, the browser's ` +
      `defaults (4 tabs, each recycled after 50 pages, the browser restarted past 1,536 MB); ${scenario.about}.`,
    "- Memory is the sum of the proportional set sizes (Pss) of crawl.ts and every process under it, the highest read " +
      `(every 50 ms) in each ${SAMPLE_MS / 1000} s; flat means the last half's peak is within 10% of the peak between ` +
      "the first 1,000 pages and half the crawl.",
  ].join("\n") + "\n";
}

/** Rows written so far: the lines of the CSV after its header. */
function rowsIn(path: string): number {
  try {
    const text = readFileSync(path, "latin1");
    let lines = 0;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    return Math.max(0, lines - 1);
  } catch {
    return 0;
  }
}

/** Distinct pages with status 200 and no error, and the other rows, of the output. */
async function countRows(path: string): Promise<{ pages: number; errors: number }> {
  const urls = new Set<string>();
  let errors = 0;
  try {
    for await (const row of readRows(path)) {
      if ((row.error ?? "") !== "" || Number(row.status) !== 200) errors++;
      else urls.add(String(row.url));
    }
  } catch {
    // no file: the exit code tells why
  }
  return { pages: urls.size, errors };
}

function readStats(path: string): { rendered: number; memoryRestarts: number; crashes: number } {
  try {
    const summary = JSON.parse(readFileSync(path, "utf8")) as { render?: { pages: number; browser: { memoryRestarts: number; crashes: number } } };
    return { rendered: summary.render?.pages ?? 0, memoryRestarts: summary.render?.browser.memoryRestarts ?? 0, crashes: summary.render?.browser.crashes ?? 0 };
  } catch {
    return { rendered: 0, memoryRestarts: 0, crashes: 0 };
  }
}

/** The least-squares slope of `mb` over `rows`, in MB per 1,000 rows; 0 with fewer than two samples. */
function slope(samples: readonly SoakSample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanX = samples.reduce((sum, s) => sum + s.rows, 0) / n;
  const meanY = samples.reduce((sum, s) => sum + s.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.rows - meanX) * (s.mb - meanY);
    den += (s.rows - meanX) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

function soakCheck(expected: number, rows: { pages: number; errors: number }, code: number | null, timedOut: boolean): string {
  const problems: string[] = [];
  if (timedOut) problems.push("TIMEOUT");
  else if (code !== 0) problems.push(`EXIT ${code}`);
  if (rows.pages < expected) problems.push(`MISSING ${expected - rows.pages}`);
  if (rows.errors > 0) problems.push(`ERR ${rows.errors}`);
  return problems.length === 0 ? "ok" : problems.join(", ");
}
