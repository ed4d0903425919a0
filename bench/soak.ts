#!/usr/bin/env -S node --import tsx
// `make soak`: the crash test of a shared crawl, repeated, on one Redis server and on a three-master Redis Cluster
// (16 shards). Each round starts the server (or the cluster) and the demo site (on the cluster, five of them, so that
// the crawl spans shards), runs three crawl.ts workers on one crawl, SIGKILLs one of them at a random moment, lets
// the others finish, and checks that the workers' files together hold every page exactly once. Prints one line per round and the tally; exits 1 if any round lost or repeated a page.
// Not part of `make test`: it takes minutes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { startDemoSite } from "../src/demo/mod.ts";
import { DOUBAN_RECOMMENDATIONS } from "../src/mod.ts";
import { parseCsv, start } from "../test/helpers/pipeline.ts";
import { UsageError } from "../src/errors.ts";
import { startRedis } from "../test/helpers/redis.ts";
import { startCluster } from "../test/helpers/redis_cluster.ts";

const HELP = `usage: node --import tsx bench/soak.ts [--rounds N] [--pages N] [--on redis,cluster]

Repeats the crash test of a shared crawl: three crawl.ts workers on one Redis crawl of the demo site, one of them
SIGKILLed at a random moment; checks that their files together hold every page exactly once.

  --rounds N    rounds to run on each (default: 20)
  --pages N     pages of the demo site (default: 600)
  --on <names>  where the crawl is shared, comma-separated: redis (one server), cluster (three masters)
                (default: redis,cluster)
  -h, --help    this help`;

const PLACES = ["redis", "cluster"] as const;
type Place = (typeof PLACES)[number];

await runPipeline(async () => {
  const { values } = parseCli({ help: HELP, options: { rounds: { type: "string" }, pages: { type: "string" }, on: { type: "string" } } });
  const rounds = integerFlag(values, "rounds") ?? 20;
  const pages = integerFlag(values, "pages") ?? 600;
  const on = String(values.on ?? PLACES.join(",")).split(",");
  for (const place of on) if (!PLACES.includes(place as Place)) throw new UsageError(`Expected --on to name redis or cluster, got ${JSON.stringify(place)}`);
  let failed = 0;
  for (const place of on as Place[]) {
    let passed = 0;
    for (let round = 1; round <= rounds; round++) {
      const outcome = await soakRound(pages, place);
      if (outcome.ok) passed++;
      process.stdout.write(
        `${place} round ${round}: killed worker ${outcome.killed + 1} after ${outcome.killAfterMs} ms (${outcome.rowsAtKill} rows then); ` +
          `${outcome.distinct} pages of ${outcome.expected}, ${outcome.repeated} repeated, ${outcome.missing} missing, ` +
          `exit codes ${outcome.codes.join("/")}: ${outcome.ok ? "ok" : "FAILED"}\n`,
      );
    }
    process.stdout.write(`${place}: ${passed} of ${rounds} rounds complete with every page exactly once\n`);
    failed += rounds - passed;
  }
  if (failed > 0) process.exitCode = 1;
});

async function soakRound(pages: number, place: Place) {
  const redis = place === "redis" ? await startRedis({ aof: true }) : await startCluster();
  // On a cluster, the pages are spread over five sites (a loopback address each: the ports of one address are one
  // site), so that the crawl spans shards and masters.
  const count = place === "redis" ? 1 : 5;
  const sites = await Promise.all(
    Array.from({ length: count }, (_, i) => startDemoSite({ host: `127.0.0.${11 + i}`, pages: Math.ceil(pages / count), bodyKb: 2, latencyMs: 30 })),
  );
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-soak-"));
  try {
    const flags = ["--redis", redis.url, "--crawl-id", "soak", "--out", join(dir, "books.csv"), "--follow", DOUBAN_RECOMMENDATIONS];
    const workers = [0, 1, 2].map((i) =>
      start("crawl.ts", [...(i === 0 ? sites.map((site) => site.startUrl) : []), ...flags, "--concurrency", "4", "--workers", "0"], {
        ms: 300_000,
      }),
    );
    // A random moment of the crawl: when the files hold a random number of rows, from one (the crawl just made) to
    // nine tenths of the pages. Before the first row the first process may not have made the crawl yet, and without
    // it the others, rightly, give up after 30 s.
    const killed = Math.floor(Math.random() * 3);
    const target = 1 + Math.floor(Math.random() * (pages * 0.9 - 1));
    const started = performance.now();
    while (rows(dir).length < target && workers[killed]!.child.exitCode === null) await sleep(20);
    const killAfterMs = Math.round(performance.now() - started);
    const rowsAtKill = rows(dir).length;
    workers[killed]!.child.kill("SIGKILL");
    const exits = await Promise.all(workers.map((worker) => worker.exit));
    const urls = rows(dir);
    const distinct = new Set(urls);
    const expected = new Set(sites.flatMap((site) => site.urls()));
    const missing = [...expected].filter((url) => !distinct.has(url)).length;
    const repeated = urls.length - distinct.size;
    const codes = exits.map((exit) => exit.code ?? exit.signal ?? "?");
    const survivorsOk = exits.every((exit, i) => i === killed || exit.code === 0);
    const ok = missing === 0 && repeated === 0 && survivorsOk;
    return { killed, killAfterMs, rowsAtKill, expected: expected.size, distinct: distinct.size, repeated, missing, codes, ok };
  } finally {
    await Promise.all(sites.map((site) => site.close()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The URL of every row of every worker's file. */
function rows(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".csv"))
    .flatMap((name) => {
      try {
        return parseCsv(readFileSync(join(dir, name), "utf8")).rows.map((row) => row.url!);
      } catch {
        return []; // a file being written, with a torn last row
      }
    });
}
