// `make bench SCENARIOS=cluster`: 1, 2 and 4 crawl.ts workers sharing one crawl through one Redis server, then through
// a three-master Redis Cluster (16 shards), against the demo site in a process of its own, whose responses wait, so
// that what is measured is coordination, not the two cores. Each figure is the whole of the workers' processes: from
// the first spawn to the last exit, start-up included.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { broadPageUrl } from "../src/demo/broad_site.ts";
import { startRedis } from "../test/helpers/redis.ts";
import { startCluster } from "../test/helpers/redis_cluster.ts";
import { fetchAll, subjectUrls } from "./fetch_all.ts";
import { type Measured, measure, peakRssMbOf } from "./measure.ts";
import { FOLLOW, ROOT, shebangFlags } from "./runners.ts";
import type { Scenario } from "./scenarios.ts";
import { startBroadSiteProcess, startSiteProcess } from "./site_process.ts";

/** Where a shared crawl's state is: one Redis server, or a three-master Redis Cluster. */
export type StatePlace = "redis" | "cluster";

/** One run of the cluster scenario: `workers` processes on one crawl. */
export interface ClusterRun {
  /** Where the crawl's state was. */
  on: StatePlace;
  workers: number;
  /** Distinct pages in the workers' files, and rows beyond one per page. */
  pages: number;
  duplicateRows: number;
  /** Requests for a page beyond the first, as the site counted them. */
  duplicateRequests: number;
  /** On the broad site: gaps between two requests to a host shorter than 1/rate, as the site saw them. */
  earlyGaps: number;
  /** From the first worker's spawn to the last one's exit. */
  seconds: number;
  pagesPerSecond: number;
  /** pages/s over the one-worker run's on the same place. */
  speedup: number;
  /** Commands the workers sent to Redis (their own count), per page. */
  redisCallsPerPage: number;
  /** CPU time of the Redis servers, per page, in ms. */
  redisCpuMsPerPage: number;
  /** The largest peak RSS of a worker, and the Redis servers' peak RSS summed, in MB. */
  workerPeakRssMb: number;
  redisPeakRssMb: number;
  exitCodes: (number | null)[];
}

/** A fresh place for a crawl's state, as the runs need it. */
interface Servers {
  url: string;
  /** Each server's pid, and redis-cli against it. */
  nodes: { pid: number; cli(...args: string[]): string }[];
  stop(): Promise<void>;
}

async function startServers(on: StatePlace): Promise<Servers> {
  if (on === "redis") {
    const redis = await startRedis();
    return { url: redis.url, nodes: [redis], stop: () => redis.stop() };
  }
  const cluster = await startCluster({ aof: false });
  return { url: cluster.url, nodes: cluster.nodes, stop: () => cluster.stop() };
}

/** The site a cluster run crawls: the demo site, or the broad site of `scenario.broad`. */
interface ClusterSite {
  /** The start URLs the first worker brings. */
  start: string[];
  /** The crawl.ts flags that crawl it. */
  flags: string[];
  /** Page requests beyond one per page since the last call, and gaps at a host shorter than its interval. */
  takeStats(): Promise<{ duplicates: number; earlyGaps: number }>;
  close(): Promise<void>;
}

async function startClusterSite(scenario: Scenario, log: (line: string) => void): Promise<ClusterSite> {
  if (scenario.broad !== undefined) {
    const { site: settings, rate } = scenario.broad;
    const site = await startBroadSiteProcess(settings);
    // A broad crawl starts from a seed list of many hosts: every host's first page, so that from the first second as
    // many hosts are ready as the workers can keep busy, and what is measured is the coordination, not the discovery
    // of hosts one link at a time (from one start URL, at 1 request a second a host, the hosts known early are too few
    // to fill four workers' slots).
    const start = Array.from({ length: settings.hosts }, (_, host) => broadPageUrl(host, 0, site.port));
    return {
      start,
      flags: ["--any-host", "--rate", String(rate), "--no-robots"],
      async takeStats() {
        const stats = await site.takeStats(1000 / rate);
        return { duplicates: stats.duplicates, earlyGaps: stats.gaps.below };
      },
      close: () => site.close(),
    };
  }
  const site = await startSiteProcess(scenario);
  if (scenario.warmUp) {
    log(`${scenario.name}: warming up the site (${scenario.pages} pages)`);
    await fetchAll(subjectUrls(site.origin, scenario.pages), 64);
    await site.takeStats();
  }
  return {
    start: [`${site.origin}/subject/0/`],
    flags: ["--follow", FOLLOW],
    takeStats: async () => ({ duplicates: (await site.takeStats()).duplicates, earlyGaps: 0 }),
    close: () => site.close(),
  };
}

/** Runs the cluster scenario with each worker count in turn, on each place in turn, each on fresh servers. */
export async function runCluster(
  scenario: Scenario,
  counts: readonly number[],
  timeout: number,
  log: (line: string) => void,
  places: readonly StatePlace[] = ["redis", "cluster"],
): Promise<ClusterRun[]> {
  const site = await startClusterSite(scenario, log);
  const runs: ClusterRun[] = [];
  try {
    for (const [on, workers] of places.flatMap((place) => counts.map((count) => [place, count] as const))) {
      const redis = await startServers(on);
      const dir = mkdtempSync(join(tmpdir(), "rxcrawl-cluster-"));
      try {
        log(`${scenario.name}: ${workers} worker${workers === 1 ? "" : "s"} on ${on} ...`);
        const redisCpu = () => redis.nodes.reduce((sum, node) => sum + redisCpuSeconds(node.cli("INFO", "cpu")), 0);
        const cpuBefore = redisCpu();
        const flags = [
          ...[...site.flags, "--concurrency", String(scenario.concurrency)],
          ...["--redis", redis.url, "--crawl-id", "bench", "--out", join(dir, "pages.csv")],
        ];
        const started = performance.now();
        const measured: Measured[] = await Promise.all(
          Array.from({ length: workers }, (_, i) =>
            measure(process.execPath, [...shebangFlags("pipelines/crawl.ts"), "pipelines/crawl.ts", ...(i === 0 ? site.start : []), ...flags], {
              cwd: ROOT,
              timeout,
            }),
          ),
        );
        const seconds = (performance.now() - started) / 1000;
        const cpu = redisCpu() - cpuBefore;
        const redisPeakRssMb = redis.nodes.reduce((sum, node) => sum + peakRssMbOf(node.pid), 0);
        const siteStats = await site.takeStats();
        const urls = readdirSync(dir)
          .filter((name) => name.endsWith(".csv"))
          .flatMap((name) => (parse(readFileSync(join(dir, name), "utf8"), { columns: true }) as { url: string; error: string }[]).filter((row) => row.error === "").map((row) => row.url));
        const pages = new Set(urls).size;
        const calls = measured.reduce((sum, run) => sum + Number(/(\d+) Redis calls/.exec(run.stderrTail)?.[1] ?? NaN), 0);
        const run: ClusterRun = {
          on,
          workers,
          pages,
          duplicateRows: urls.length - pages,
          duplicateRequests: siteStats.duplicates,
          earlyGaps: siteStats.earlyGaps,
          seconds,
          pagesPerSecond: pages / seconds,
          speedup: 1,
          redisCallsPerPage: calls / pages,
          redisCpuMsPerPage: (cpu * 1000) / pages,
          workerPeakRssMb: Math.max(...measured.map((m) => m.peakRssMb)),
          redisPeakRssMb,
          exitCodes: measured.map((m) => m.code),
        };
        run.speedup = run.pagesPerSecond / (runs.find((other) => other.on === on)?.pagesPerSecond ?? run.pagesPerSecond);
        log(
          `${scenario.name}: ${workers} workers on ${on}: ${pages} pages in ${seconds.toFixed(2)} s, ${run.pagesPerSecond.toFixed(1)} pages/s ` +
            `(${run.speedup.toFixed(2)}×), ${run.redisCallsPerPage.toFixed(2)} Redis calls/page, exit ${run.exitCodes.join("/")}`,
        );
        for (const m of measured) if (m.code !== 0) log(m.stderrTail.trimEnd());
        runs.push(run);
      } finally {
        await redis.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return runs;
  } finally {
    await site.close();
  }
}

/** The cluster runs as a markdown table, with what the scenario is. */
export function clusterMarkdown(scenario: Scenario, runs: readonly ClusterRun[]): string {
  const lines = [
    "| state on | workers | pages | seconds | pages/s | vs 1 worker | Redis calls/page | Redis CPU ms/page | worker peak RSS MB | Redis peak RSS MB | duplicate requests | duplicate rows | gaps under 1/rate | exit codes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...runs.map(
      (run) =>
        `| ${run.on === "redis" ? "one Redis" : "three masters"} | ${run.workers} | ${run.pages} | ${run.seconds.toFixed(2)} | ${run.pagesPerSecond.toFixed(1)} | ${run.speedup.toFixed(2)}× | ` +
        `${run.redisCallsPerPage.toFixed(2)} | ${run.redisCpuMsPerPage.toFixed(3)} | ${run.workerPeakRssMb.toFixed(0)} | ` +
        `${run.redisPeakRssMb.toFixed(1)} | ${run.duplicateRequests} | ${run.duplicateRows} | ${run.earlyGaps} | ${run.exitCodes.join("/")} |`,
    ),
    "",
    `- ${scenario.name}: ${scenario.pages} pages × ${scenario.bodyKb} KB, ${scenario.latencyMs} ms per response, concurrency ` +
      `${scenario.concurrency} per worker, every worker a crawl.ts process, on one Redis server (one shard) and on a ` +
      `three-master Redis Cluster (16 shards); ${scenario.about}. Seconds run ` +
      "from the first worker's spawn to the last one's exit. Redis calls are the workers' own count of the commands they " +
      "sent; Redis CPU and peak RSS are the servers', summed (INFO cpu).",
  ];
  return `${lines.join("\n")}\n`;
}

function redisCpuSeconds(info: string): number {
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return value("used_cpu_sys") + value("used_cpu_user");
}

