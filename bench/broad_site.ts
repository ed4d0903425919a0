#!/usr/bin/env -S node --import tsx
// The broad site (src/demo/broad_site.ts) in a process of its own, so that a crawler under test never shares an event
// loop with the server it crawls, and the arrival times the site logs are not delayed by the crawler's work. Prints
// the start URL on stdout, then serves until killed. When stdin is a pipe (the harness's), each "stats <ms>" line is
// answered with one JSON line of what the site saw since the last one (gaps counted against <ms>), and the log
// restarts. The pipe's end stops the site, so that an orphaned site never outlives its harness.
import { fstatSync } from "node:fs";
import { createInterface } from "node:readline";
import { UsageError } from "../src/errors.ts";
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { type BroadRobots, startBroadSite } from "../src/demo/mod.ts";
import type { BroadSiteStats } from "./site_process.ts";

const HELP = `usage: broad_site.ts [options]

Serves the broad site: one host per loopback address from 127.0.0.2 on, all on one port of 0.0.0.0 (connections
from outside 127.0.0.0/8 are dropped). Prints the start URL (page 0 of host 0) on stdout and serves until killed.
When stdin is a pipe, the line "stats <ms>" prints {"requests","pageRequests","duplicates","pagesRequested",
"strays","maxInFlight","maxInFlightPerHost","gaps","span"} as one JSON line, gaps counted against <ms>, and restarts
the log; the end of the pipe stops the site.

  --hosts N            hosts (default: 100)
  --pages-per-host N   pages per host, /page/0 .. /page/N-1 (default: 50)
  --own-links N        links from a page to its own host's pages (default: 8)
  --other-links N      links from a page to other hosts' pages (default: 2)
  --body-kb N          approximate page size in KB (default: 4)
  --latency-ms N       delay before each response (default: 0)
  --seed N             seed of the link graph (default: 1)
  --robots <r>         every host's robots.txt: none (404), allow, or a Crawl-delay in seconds (default: allow)
  --script-hosts <f>   fraction of hosts whose pages a script builds from JSON, from 0 to 1 (default: 0)
  --port N             port (default: a free one)
  -h, --help           this help`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: Object.fromEntries(
      ["hosts", "pages-per-host", "own-links", "other-links", "body-kb", "latency-ms", "seed", "robots", "script-hosts", "port"].map(
        (name) => [name, { type: "string" }],
      ),
    ),
  });
  const site = await startBroadSite({
    hosts: integerFlag(values, "hosts") ?? 100,
    pagesPerHost: integerFlag(values, "pages-per-host") ?? 50,
    ownLinks: integerFlag(values, "own-links", 0) ?? 8,
    otherLinks: integerFlag(values, "other-links", 0) ?? 2,
    bodyKb: integerFlag(values, "body-kb") ?? 4,
    latencyMs: integerFlag(values, "latency-ms", 0) ?? 0,
    seed: integerFlag(values, "seed", 0) ?? 1,
    robots: robotsFlag(values.robots),
    scriptHosts: fractionFlag(values["script-hosts"]),
    port: integerFlag(values, "port", 0) ?? 0,
  });
  process.stdout.write(`${site.startUrl}\n`);
  const stdin = fstatSync(0);
  if (!stdin.isFIFO() && !stdin.isSocket()) return; // Node's child_process pipes are sockets

  const commands = createInterface({ input: process.stdin });
  commands.on("line", (command) => {
    const match = /^stats (\d+(?:\.\d+)?)$/.exec(command.trim());
    if (match === null) return void process.stdout.write(`${JSON.stringify({ error: command })}\n`);
    const { log } = site;
    const answer: BroadSiteStats = {
      requests: log.requests,
      pageRequests: log.pageRequests,
      duplicates: log.duplicates(),
      pagesRequested: log.pagesRequested(),
      strays: log.strays,
      maxInFlight: log.maxInFlight,
      maxInFlightPerHost: log.maxInFlightPerHost,
      gaps: log.gaps(Number(match[1])),
      span: log.span() ?? null,
    };
    log.reset();
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
  commands.on("close", () => void site.close().then(() => process.exit(0)));
});

function robotsFlag(raw: unknown): BroadRobots {
  if (raw === undefined || raw === "allow" || raw === "none") return raw ?? "allow";
  const crawlDelay = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!(crawlDelay >= 0)) throw new UsageError(`Expected --robots to be none, allow or a number of seconds, got ${JSON.stringify(raw)}`);
  return { crawlDelay };
}

function fractionFlag(raw: unknown): number {
  if (raw === undefined) return 0;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!(value >= 0 && value <= 1)) throw new UsageError(`Expected --script-hosts to be a fraction from 0 to 1, got ${JSON.stringify(raw)}`);
  return value;
}
