#!/usr/bin/env -S node --import tsx
// The demo site (src/demo_site.ts) in a process of its own, so that a crawler under test never shares an event loop
// with the server it crawls. Prints its origin on stdout, then serves until killed. When stdin is a pipe (the
// harness's), each "stats" line is answered with one JSON line of the requests seen since the last one, and the counts
// restart: that is how a benchmark counts duplicate requests per run. The pipe's end stops the site, so that an
// orphaned site never outlives its harness.
import { fstatSync } from "node:fs";
import { createInterface } from "node:readline";
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { startDemoSite } from "../src/demo/mod.ts";
import type { SiteStats } from "./site_process.ts";

const HELP = `usage: site.ts [options]

Serves the demo site on 127.0.0.1, prints its origin on stdout and serves until killed. When stdin is a pipe, the
line "stats" prints {"requests","duplicates","served","maxInFlight"} as one JSON line and restarts the counts, and
the end of the pipe stops the site.

  --pages N        book pages, /subject/0/ .. /subject/N-1/ (default: 200)
  --links N        recommendation links per page (default: 10)
  --body-kb N      approximate page size in KB (default: 8)
  --latency-ms N   delay before each response (default: 0)
  --seed N         seed of the link graph (default: 1)
  -h, --help       this help`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: {
      pages: { type: "string" },
      links: { type: "string" },
      "body-kb": { type: "string" },
      "latency-ms": { type: "string" },
      seed: { type: "string" },
    },
  });
  const site = await startDemoSite({
    pages: integerFlag(values, "pages") ?? 200,
    links: integerFlag(values, "links") ?? 10,
    bodyKb: integerFlag(values, "body-kb") ?? 8,
    latencyMs: integerFlag(values, "latency-ms", 0) ?? 0,
    seed: integerFlag(values, "seed", 0) ?? 1,
  });
  process.stdout.write(`${site.origin}\n`);
  const stdin = fstatSync(0);
  if (!stdin.isFIFO() && !stdin.isSocket()) return; // Node's child_process pipes are sockets

  const commands = createInterface({ input: process.stdin });
  commands.on("line", (command) => {
    if (command.trim() !== "stats") return void process.stdout.write(`${JSON.stringify({ error: command })}\n`);
    const { stats } = site;
    const answer: SiteStats = {
      requests: stats.requests,
      duplicates: stats.duplicateRequests(),
      served: stats.subjectsServed(),
      maxInFlight: stats.maxInFlight,
    };
    stats.reset();
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
  commands.on("close", () => void site.close().then(() => process.exit(0)));
});
