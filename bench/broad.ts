// `make bench SCENARIOS=broad` (and broad-10k): crawls of the broad site, a site of many hosts in a process of its own
// that logs when each request arrived at each host. Each runner is measured from outside (its processes and their
// descendants), and judged against the fastest its settings allow: the politeness bound min(hosts × rate,
// concurrency / latency), and, where the got ceiling ran, what the cores allow.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "../test/helpers/redis.ts";
import { machineBusySeconds, measureGroup, processCpuSeconds } from "./measure.ts";
import { BROAD_RUNNERS, type Count, ROOT } from "./runners.ts";
import type { BroadScenario, RunnerName } from "./scenarios.ts";
import { type BroadSiteStats, startBroadSiteProcess } from "./site_process.ts";

/** One measured run on the broad site, as the JSON report keeps it. */
export interface BroadRun extends Count {
  scenario: string;
  runner: string;
  label: string;
  /** Whether it was held to no politeness (the got ceiling). */
  ceiling: boolean;
  /** From the first process's spawn to the last one's exit, start-up included. */
  wallSeconds: number;
  pagesPerSecond: number;
  /** The bound it is judged against, in pages/s, and its pages/s over it; see {@linkcode addBroadBounds}. */
  bound?: number;
  ofBound?: number;
  /** The peak memory of its processes and their descendants together, in MB (see `measure.ts`). */
  peakRssMb: number;
  /** CPU time of its processes and their descendants. */
  cpuSeconds: number;
  /** CPU time the site spent answering it. */
  siteCpuSeconds: number;
  /** CPU time the rest of the machine spent during the run: other work that may have slowed it. */
  otherCpuSeconds: number;
  exitCodes: (number | null)[];
  timedOut: boolean;
  /** What the site saw during the run, the gaps counted against 1/rate. */
  site: BroadSiteStats;
  /** "ok", or every way the run fell short of fetching its pages once: "MISSING n", "DUP n", "ERR n", "EXIT c". */
  check: string;
  /** The end of each process's stderr, kept when the check failed. */
  stderrTail?: string[];
}

/**
 * The politeness bound of a broad scenario, in pages/s: no crawl can fetch faster than every host at its rate, nor
 * than its concurrency allows when every response takes the latency.
 *
 * @example
 * ```ts
 * import { politenessBound } from "./broad.ts";
 * import { SCENARIOS } from "./scenarios.ts";
 * politenessBound(SCENARIOS.broad as BroadScenario); // 200: min(100 hosts × 2/s, 32 / 0.05 s)
 * ```
 */
export function politenessBound(scenario: BroadScenario): number {
  const { hosts, latencyMs } = scenario.site;
  return Math.min(hosts * scenario.rate, latencyMs > 0 ? (scenario.concurrency * 1000) / latencyMs : Infinity);
}

/**
 * What the cores allow a crawl of `scenario`, in pages/s, when a ceiling ran: the slowest of the ceilings (got
 * fetching; got fetching and linkedom parsing, the least a crawl does with each page), undefined when none ran.
 */
export function coresBound(scenario: BroadScenario, runs: readonly BroadRun[]): number | undefined {
  const ceilings = runs.filter((run) => run.scenario === scenario.name && run.ceiling && run.pagesPerSecond > 0);
  return ceilings.length === 0 ? undefined : Math.min(...ceilings.map((run) => run.pagesPerSecond));
}

/**
 * Sets each crawl's bound: the politeness bound, or what the cores allow (see {@linkcode coresBound}) when that is
 * lower.
 */
export function addBroadBounds(scenario: BroadScenario, runs: BroadRun[]): void {
  const bound = Math.min(politenessBound(scenario), coresBound(scenario, runs) ?? Infinity);
  for (const run of runs) {
    if (run.scenario !== scenario.name || run.ceiling) continue;
    run.bound = bound;
    run.ofBound = run.pagesPerSecond / bound;
  }
}

/** Runs each runner in turn against one broad site, its log restarted before each run. */
export async function runBroad(
  scenario: BroadScenario,
  runners: readonly RunnerName[],
  timeout: number,
  log: (line: string) => void,
): Promise<BroadRun[]> {
  const missing = runners.filter((name) => BROAD_RUNNERS[name] === undefined);
  if (missing.length > 0) throw new Error(`${scenario.name} has no runner ${missing.join(", ")}`);
  const site = await startBroadSiteProcess(scenario.site);
  const tmp = mkdtempSync(join(tmpdir(), "rxcrawl-broad-"));
  const redis = runners.some((name) => BROAD_RUNNERS[name]!.redis === true) ? await startRedis() : undefined;
  const minGapMs = 1000 / scenario.rate;
  const runs: BroadRun[] = [];
  try {
    for (const name of runners) {
      const runner = BROAD_RUNNERS[name]!;
      const context = { scenario, startUrl: site.startUrl, port: site.port, tmp, ...(redis === undefined ? {} : { redis: redis.url }) };
      log(`${scenario.name}: ${runner.label} ...`);
      const before = { machine: machineBusySeconds(), site: processCpuSeconds(site.pid) ?? 0, self: process.cpuUsage() };
      const run = await measureGroup(
        runner.processes(context).map((args) => ({ file: process.execPath, args })),
        // Crawlee writes nothing with persistStorage off; should it ever, it writes here, not in the tree.
        { cwd: ROOT, timeout, env: { ...process.env, CRAWLEE_STORAGE_DIR: join(tmp, "crawlee") } },
      );
      const self = process.cpuUsage(before.self);
      const siteCpuSeconds = (processCpuSeconds(site.pid) ?? 0) - before.site;
      const otherCpuSeconds = machineBusySeconds() - before.machine - run.cpuSeconds - siteCpuSeconds - (self.user + self.system) / 1e6;
      const siteStats = await site.takeStats(minGapMs);
      const count = await runner.count(context, run);
      const exitCodes = run.processes.map((process) => process.code);
      const expected = scenario.site.hosts * scenario.site.pagesPerHost;
      const result: BroadRun = {
        scenario: scenario.name,
        runner: name,
        label: runner.label,
        ceiling: runner.ceiling === true,
        ...count,
        wallSeconds: run.wallSeconds,
        pagesPerSecond: run.wallSeconds > 0 ? count.pages / run.wallSeconds : 0,
        peakRssMb: run.peakRssMb,
        cpuSeconds: run.cpuSeconds,
        siteCpuSeconds,
        otherCpuSeconds: Math.max(0, otherCpuSeconds),
        exitCodes,
        timedOut: run.timedOut,
        site: siteStats,
        check: broadCheck(runner.ceiling === true ? expected : Math.min(scenario.maxPages ?? expected, expected), count, siteStats, exitCodes, run.timedOut),
      };
      if (result.check !== "ok") result.stderrTail = run.processes.map((process) => process.stderrTail);
      const { gaps } = siteStats;
      log(
        `${scenario.name}: ${runner.label}: ${count.pages} pages in ${run.wallSeconds.toFixed(2)} s, ` +
          `${result.pagesPerSecond.toFixed(0)} pages/s, ${gaps.below} of ${gaps.gaps} gaps under ${minGapMs.toFixed(0)} ms ` +
          `(shortest ${gaps.shortestMs?.toFixed(1) ?? "–"} ms), ${run.peakRssMb.toFixed(0)} MB, ${run.cpuSeconds.toFixed(1)} CPU s, ${result.check}`,
      );
      if (result.check !== "ok") for (const process of run.processes) if (process.stderrTail.trim() !== "") log(process.stderrTail.trimEnd());
      runs.push(result);
    }
    addBroadBounds(scenario, runs);
    return runs;
  } finally {
    await site.close();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether a run fetched the pages it should have (all, or its --max-pages), each once, and exited cleanly. */
function broadCheck(expected: number, count: Count, site: BroadSiteStats, exitCodes: (number | null)[], timedOut: boolean): string {
  const problems: string[] = [];
  const failed = exitCodes.filter((code) => code !== 0);
  if (timedOut) problems.push("TIMEOUT");
  else if (failed.length > 0) problems.push(`EXIT ${failed.join("/")}`);
  if (count.pages < expected) problems.push(`MISSING ${expected - count.pages}`);
  const duplicates = Math.max(site.duplicates, count.repeats);
  if (duplicates > 0) problems.push(`DUP ${duplicates}`);
  if (count.errors > 0) problems.push(`ERR ${count.errors}`);
  return problems.length === 0 ? "ok" : problems.join(", ");
}
