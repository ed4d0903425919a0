#!/usr/bin/env -S node --import tsx
// `make bench`: crawls the demo site, served from a process of its own, with rxcrawl's crawl.ts, with Crawlee's
// CheerioCrawler and with two ceilings (plain got fetching, linkedom parsing), each as a child process measured from
// outside. Prints a markdown table on stdout, progress on stderr, and writes the JSON to bench/results/. It asserts
// no timing: it is a report. A run that did not crawl every page exactly once says so in its "check" column.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../src/errors.ts";
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { fetchAll, subjectUrls } from "./fetch_all.ts";
import { machineBusySeconds, measure, processCpuSeconds } from "./measure.ts";
import { addRatios, broadMarkdown, check, describeMachine, header, markdown, renderMarkdown, type RunResult } from "./report.ts";
import { type RenderSoakRun, renderSoakMarkdown, runRenderSoak } from "./render_soak.ts";
import { BROAD_RUNNERS, ROOT, RUNNERS } from "./runners.ts";
import { type BroadRun, politenessBound, runBroad } from "./broad.ts";
import { crawlBound } from "./bound.ts";
import {
  type BroadScenario,
  CLUSTER_WORKERS,
  type RenderSoakScenario,
  DEFAULT_SCENARIOS,
  RUNNER_NAMES,
  type RunnerName,
  type Scenario,
  SCENARIOS,
} from "./scenarios.ts";
import { startSiteProcess } from "./site_process.ts";
import { type ClusterRun, clusterMarkdown, runCluster } from "./cluster.ts";
import { runSeen, type SeenRun, seenMarkdown } from "./redis_seen.ts";
import { runShards, type ShardsRun, shardsMarkdown } from "./redis_shards.ts";
import { startRedis } from "../test/helpers/redis.ts";

const HELP = `usage: node --import tsx bench/run.ts [options]

Benchmarks rxcrawl against Crawlee's CheerioCrawler and two ceilings on the demo site, offline (127.0.0.1 only).
Prints a markdown table and writes bench/results/<timestamp>.json and bench/results/latest.json.

  --scenario <names>   scenarios to run, comma-separated or repeated (default: cpu,latency,big)
                         cpu       3000 pages x 40 KB, no latency, concurrency 16
                         latency   1500 pages x 20 KB, 100 ms per response, concurrency 50
                         big       50000 pages x 8 KB, concurrency 32
                         million   1000000 pages x 1 KB, concurrency 64 (only when named)
                         cluster   1, 2 and 4 crawl.ts workers on one Redis, then on three masters: the
                                   broad site, 1000 hosts x 4 pages, 200 ms per response, 1 request/s per
                                   host, concurrency 8 each (only when named; needs redis-server)
                         seen      a shared seen set of up to 100,000,000 URLs in Redis, against other
                                   layouts (only when named; needs redis-server; --pages sets the URLs)
                         shards    the shared state alone on 1, 2, 4 and 16 shards of one Redis server:
                                   5000 pages on 100 hosts, 4 states (only when named; needs redis-server)
                         broad     100 hosts x 50 pages x 4 KB, 50 ms per response, 2 requests/s per
                                   host, concurrency 32, 2000 pages at most: politeness per host
                                   (only when named)
                         broad-10k 10000 hosts x 100 pages x 2 KB, 50 ms per response, 1 request/s per
                                   host, concurrency 256: a million pages (only when named; long)
                         render    20 hosts x 50 pages x 4 KB, 50 ms per response, 1 host in 10 built by
                                   script: rxcrawl --render never, auto and always against Crawlee's
                                   PlaywrightCrawler and AdaptivePlaywrightCrawler (only when named; needs
                                   chromium)
                         render-soak  10,000 pages rendered by crawl.ts --render always, its memory
                                   sampled (only when named; needs chromium; long)
  --refs <names>       runners, comma-separated, instead of each scenario's own list:
                         rxcrawl (default workers), rxcrawl-w0, rxcrawl-w1, rxcrawl-w2 (--workers N),
                         rxcrawl-redis (one worker on a crawl shared through Redis),
                         rxcrawl-parquet (rows to a Parquet file instead of CSV),
                         crawlee (CheerioCrawler), got (fetch ceiling), linkedom (parse ceiling);
                         on broad and broad-10k: rxcrawl, rxcrawl-redis, crawlee, got, got-parse (got
                         fetching and linkedom parsing on a parser thread);
                         on render: rxcrawl, rxcrawl-auto, rxcrawl-always (--render auto, always),
                         crawlee-playwright, crawlee-adaptive
  --pages N            crawl N pages instead of each scenario's number (broad scenarios: N pages per
                       host), for a quick try
  --hosts N            broad scenarios: N hosts instead of the scenario's number
  --timeout <s>        seconds one run may take before it is killed and marked TIMEOUT (default: 1800)
  -h, --help           this help

Make: make bench [SCENARIOS=cpu,big] [REFS=rxcrawl,got]`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: {
      scenario: { type: "string", multiple: true },
      refs: { type: "string" },
      pages: { type: "string" },
      hosts: { type: "string" },
      timeout: { type: "string" },
    },
  });
  const pages = integerFlag(values, "pages");
  const hosts = integerFlag(values, "hosts");
  const timeout = (integerFlag(values, "timeout") ?? 1800) * 1000;
  const scenarios = names((values.scenario as string[] | undefined) ?? [...DEFAULT_SCENARIOS], Object.keys(SCENARIOS), "--scenario")
    .map((name) => SCENARIOS[name]!)
    .map((scenario): Scenario | BroadScenario | RenderSoakScenario => {
      if (isBroad(scenario)) {
        return { ...scenario, site: { ...scenario.site, pagesPerHost: pages ?? scenario.site.pagesPerHost, hosts: hosts ?? scenario.site.hosts } };
      }
      if (scenario.kind === "render-soak") return pages === undefined ? scenario : { ...scenario, pages };
      return pages === undefined ? scenario : { ...scenario, pages };
    });
  const refs = values.refs === undefined ? undefined : (names([String(values.refs)], RUNNER_NAMES, "--refs") as RunnerName[]);
  for (const scenario of scenarios) {
    if (scenario.kind === "cluster" || scenario.kind === "seen" || scenario.kind === "render-soak") continue;
    const known = isBroad(scenario) ? BROAD_RUNNERS : RUNNERS;
    const unknown = refs?.filter((name) => known[name] === undefined) ?? [];
    if (unknown.length > 0) {
      throw new UsageError(`Expected --refs to name runners of ${scenario.name} (${Object.keys(known).join(", ")}), got ${unknown.join(", ")}`);
    }
  }

  const machine = describeMachine(ROOT);
  const started = new Date();
  const runs: RunResult[] = [];
  const cluster: ClusterRun[] = [];
  const seen: SeenRun[] = [];
  const shards: ShardsRun[] = [];
  const broad: BroadRun[] = [];
  const soaks: RenderSoakRun[] = [];
  for (const scenario of scenarios) {
    if (isBroad(scenario)) broad.push(...(await runBroad(scenario, refs ?? scenario.runners, timeout, log)));
    else if (scenario.kind === "render-soak") soaks.push(await runRenderSoak(scenario, timeout, log));
    else if (scenario.kind === "cluster") cluster.push(...(await runCluster(scenario, CLUSTER_WORKERS, timeout, log)));
    else if (scenario.kind === "seen") seen.push(...(await runSeen(scenario.pages, log)));
    else if (scenario.kind === "shards") shards.push(...(await runShards(scenario.pages, [1, 2, 4, 16], log)));
    else runs.push(...(await runScenario(scenario, refs ?? scenario.runners, timeout)));
  }
  addRatios(runs);

  const crawls = scenarios.filter((scenario): scenario is Scenario => scenario.kind === undefined);
  const withBounds = crawls.map((scenario) => (scenario.latencyMs > 0 ? { ...scenario, crawlBound: crawlBound(scenario) } : scenario));
  const parts = [
    crawls.length > 0 ? markdown(machine, withBounds, runs, started) : `${header(machine, started)}\n`,
    ...scenarios.flatMap((scenario) => (scenario.kind === "cluster" ? [clusterMarkdown(scenario, cluster)] : [])),
    ...scenarios.flatMap((scenario) => (scenario.kind === "broad" ? [broadMarkdown(scenario, broad)] : [])),
    ...scenarios.flatMap((scenario) => (scenario.kind === "render" ? [renderMarkdown(scenario, broad)] : [])),
    ...scenarios.flatMap((scenario) =>
      scenario.kind === "render-soak" ? soaks.filter((run) => run.scenario === scenario.name).map((run) => renderSoakMarkdown(scenario, run)) : [],
    ),
    ...(seen.length > 0 ? [seenMarkdown(seen)] : []),
    ...(shards.length > 0 ? [shardsMarkdown(shards)] : []),
  ];
  const report = parts.join("\n");
  process.stdout.write(`\n${report}`);
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const broadScenarios = scenarios.flatMap((scenario) =>
    isBroad(scenario) ? [{ ...scenario, politenessBound: politenessBound(scenario) }] : [],
  );
  const soakScenarios = scenarios.filter((scenario) => scenario.kind === "render-soak");
  const json = `${JSON.stringify(
    { startedAt: started.toISOString(), machine, scenarios: [...withBounds, ...broadScenarios, ...soakScenarios], runs, cluster, seen, shards, broad, soaks },
    null,
    2,
  )}\n`;
  const file = join(dir, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, json);
  writeFileSync(join(dir, "latest.json"), json);
  process.stderr.write(`wrote ${file} and bench/results/latest.json\n`);
});

/** One site process for the whole scenario, warmed up, its counts restarted before each run. */
async function runScenario(scenario: Scenario, runners: readonly RunnerName[], timeout: number): Promise<RunResult[]> {
  const site = await startSiteProcess(scenario);
  const tmp = mkdtempSync(join(tmpdir(), "rxcrawl-bench-"));
  const redis = runners.some((name) => RUNNERS[name]?.redis === true) ? await startRedis() : undefined;
  try {
    // The site renders and gzips a page on its first request; fetching all once first keeps that cost out of the runs.
    if (scenario.warmUp) {
      log(`${scenario.name}: warming up the site (${scenario.pages} pages)`);
      await fetchAll(subjectUrls(site.origin, scenario.pages), scenario.concurrency);
      await site.takeStats();
    }

    const results: RunResult[] = [];
    for (const name of runners) {
      const runner = RUNNERS[name]!;
      const context = { scenario, origin: site.origin, tmp, ...(redis === undefined ? {} : { redis: redis.url }) };
      log(`${scenario.name}: ${runner.label} ...`);
      const before = { machine: machineBusySeconds(), site: processCpuSeconds(site.pid) ?? 0, self: process.cpuUsage() };
      const run = await measure(process.execPath, runner.args(context), {
        cwd: ROOT,
        timeout,
        // Crawlee writes nothing with persistStorage off; should it ever, it writes here, not in the tree.
        env: { ...process.env, CRAWLEE_STORAGE_DIR: join(tmp, "crawlee") },
      });
      const self = process.cpuUsage(before.self);
      const siteCpuSeconds = (processCpuSeconds(site.pid) ?? 0) - before.site;
      // The machine is shared: CPU time spent by anything but this run, its site and this harness disturbed it.
      const otherCpuSeconds =
        machineBusySeconds() - before.machine - run.cpuSeconds - siteCpuSeconds - (self.user + self.system) / 1e6;
      const siteStats = await site.takeStats();
      const count = await runner.count(context, run);
      const seconds = runner.timesItself ? (count.ownSeconds ?? run.wallSeconds) : run.wallSeconds;
      const result: RunResult = {
        scenario: scenario.name,
        runner: name,
        label: runner.label,
        ...count,
        seconds,
        wallSeconds: run.wallSeconds,
        pagesPerSecond: seconds > 0 ? count.pages / seconds : 0,
        peakRssMb: run.peakRssMb,
        cpuSeconds: run.cpuSeconds,
        siteCpuSeconds,
        otherCpuSeconds: Math.max(0, otherCpuSeconds),
        exitCode: run.code,
        timedOut: run.timedOut,
        site: siteStats,
        check: check(scenario, count, siteStats, run.code, run.timedOut),
      };
      if (result.check !== "ok") result.stderrTail = run.stderrTail;
      log(
        `${scenario.name}: ${runner.label}: ${count.pages} pages in ${seconds.toFixed(2)} s, ` +
          `${result.pagesPerSecond.toFixed(0)} pages/s, ${run.peakRssMb.toFixed(0)} MB, ${run.cpuSeconds.toFixed(1)} CPU s, ` +
          `${result.check}`,
      );
      if (result.check !== "ok" && run.stderrTail.trim() !== "") log(run.stderrTail.trimEnd());
      results.push(result);
    }
    return results;
  } finally {
    await site.close();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether a scenario crawls the broad site: a broad one, or a render one. */
function isBroad(scenario: Scenario | BroadScenario | RenderSoakScenario): scenario is BroadScenario {
  return scenario.kind === "broad" || scenario.kind === "render";
}

/** Splits comma-separated names and checks each against `known`; a wrong one is a usage error naming it. */
function names(flags: readonly string[], known: readonly string[], flag: string): string[] {
  const list = flags.flatMap((value) => value.split(",")).map((name) => name.trim()).filter((name) => name !== "");
  for (const name of list) {
    if (!known.includes(name)) {
      throw new UsageError(`Expected ${flag} to be one of ${known.join(", ")}, got ${JSON.stringify(name)}`);
    }
  }
  if (list.length === 0) throw new UsageError(`Expected ${flag} to name at least one of ${known.join(", ")}, got none`);
  return [...new Set(list)];
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
