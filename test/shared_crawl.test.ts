// End-to-end tests of a crawl shared through Redis: crawl.ts workers run as child processes, as a user runs them,
// against a real redis-server and a site served by this process on 127.0.0.1. What is asserted is what a user checks:
// every page in the workers' files exactly once, the requests the site saw, exit codes and the lines on stderr.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type DemoSite, startDemoSite } from "../src/demo/demo_site.ts";
import { DOUBAN_RECOMMENDATIONS } from "../src/parse/douban.ts";
import { type Exit, parseCsv, type Running, start } from "./helpers/pipeline.ts";
import { NO_REDIS, startRedis, type TestRedis } from "./helpers/redis.ts";
import { startCluster } from "./helpers/redis_cluster.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-shared-"));
after(() => rm(TMP, { recursive: true, force: true }));
const options = { skip: NO_REDIS, timeout: 90_000 };
let crawls = 0;

/** A crawl's output folder and the flags every worker of it takes. */
function sharedCrawl(redis: { url: string }, extra: string[] = []): { dir: string; flags: string[] } {
  const id = `c${++crawls}`;
  const dir = join(TMP, id);
  const flags = ["--redis", redis.url, "--crawl-id", id, "--out", join(dir, "books.csv"), "--follow", DOUBAN_RECOMMENDATIONS];
  return { dir, flags: [...flags, "--workers", "0", ...extra] };
}

/** Starts `count` workers: the first with the start URLs, the others joining. */
function workers(count: number, startUrl: string | readonly string[], flags: string[]): Running[] {
  const starts = typeof startUrl === "string" ? [startUrl] : startUrl;
  return Array.from({ length: count }, (_, i) => start("crawl.ts", [...(i === 0 ? starts : []), ...flags], { ms: 80_000 }));
}

/** Every row of every worker's file, by file. */
async function outputs(dir: string): Promise<Map<string, Record<string, string>[]>> {
  const files = (await readdir(dir)).filter((name) => /^books\.w\d+\.csv$/.test(name)).sort();
  const rows = new Map<string, Record<string, string>[]>();
  for (const file of files) rows.set(file, parseCsv(await readFile(join(dir, file), "utf8")).rows);
  return rows;
}

/** The workers' files together hold every page of the sites exactly once, each without an error. */
async function assertEveryPageOnce(dir: string, site: DemoSite | readonly DemoSite[]): Promise<Map<string, Record<string, string>[]>> {
  const files = await outputs(dir);
  const urls = [...files.values()].flat().map((row) => row.url!);
  const repeated = urls.filter((url, i) => urls.indexOf(url) !== i);
  assert.deepEqual(repeated, [], "no page twice");
  const found = new Set(urls);
  const expected = new Set((Array.isArray(site) ? site : [site as DemoSite]).flatMap((one) => one.urls()));
  const missing = [...expected].filter((url) => !found.has(url));
  const extra = [...found].filter((url) => !expected.has(url));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `every page: ${found.size} found of ${expected.size}`);
  for (const row of [...files.values()].flat()) assert.equal(row.error, "", row.url);
  return files;
}

async function waitForRows(dir: string, count: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const rows = [...(await outputs(dir).catch(() => new Map())).values()].flat().length;
    if (rows >= count) return;
    await sleep(50);
  }
  throw new Error(`fewer than ${count} rows after 30 s`);
}

function assertOneLine(result: Exit, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  const lines = result.stderr.split("\n").filter((line) => line !== "" && !line.includes("worker w"));
  assert.equal(lines.length, 1, `one line besides the worker's: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0]!, pattern);
}

test("three crawl.ts workers on one Redis crawl every page once between them, robots.txt once, and all exit 0", options, async () => {
  const redis = await startRedis();
  const site = await startDemoSite({ pages: 300, bodyKb: 2, latencyMs: 40 });
  try {
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "4"]);
    const results = await Promise.all(workers(3, site.startUrl, flags).map((worker) => worker.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const files = await assertEveryPageOnce(dir, site);
    assert.equal(files.size, 3, "one file per worker");
    for (const [file, rows] of files) assert.ok(rows.length > 0, `${file} has rows: every worker took part`);
    assert.equal(site.stats.duplicateRequests(), 0, "no page requested twice");
    assert.equal(site.stats.byPath.get("/robots.txt"), 1, "robots.txt fetched once for the whole crawl");
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("a crawl.ts worker killed with SIGKILL mid-crawl loses nothing: the files still hold every page exactly once", options, async () => {
  const redis = await startRedis();
  const site = await startDemoSite({ pages: 400, bodyKb: 2, latencyMs: 40 });
  try {
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "4"]);
    const running = workers(3, site.startUrl, flags);
    await waitForRows(dir, 60);
    running[1]!.child.kill("SIGKILL");
    const [first, killed, third] = await Promise.all(running.map((worker) => worker.exit));
    assert.equal(killed!.signal, "SIGKILL");
    assert.equal(first!.code, 0, first!.stderr);
    assert.equal(third!.code, 0, third!.stderr);
    const files = await assertEveryPageOnce(dir, site);
    assert.equal(files.size, 3, "the killed worker's file is kept, and valid");
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("--max-pages holds for the whole crawl shared by three workers", options, async () => {
  const redis = await startRedis();
  const site = await startDemoSite({ pages: 300, bodyKb: 2, latencyMs: 20 });
  try {
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "4", "--max-pages", "45"]);
    const results = await Promise.all(workers(3, site.startUrl, flags).map((worker) => worker.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const rows = [...(await outputs(dir)).values()].flat();
    assert.equal(rows.length, 45);
    assert.equal(new Set(rows.map((row) => row.url)).size, 45);
    assert.equal(site.stats.subjectsServed(), 45);
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("a shared crawl run again with a larger --max-pages fetches the links the first run left waiting", options, async () => {
  const redis = await startRedis();
  const site = await startDemoSite({ pages: 100, bodyKb: 1, latencyMs: 10 });
  try {
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "2"]);
    const [first] = await Promise.all(workers(1, site.startUrl, [...flags, "--max-pages", "10"]).map((worker) => worker.exit));
    assert.equal(first!.code, 0, first!.stderr);
    const [second] = await Promise.all(workers(1, site.startUrl, [...flags, "--max-pages", "25"]).map((worker) => worker.exit));
    assert.equal(second!.code, 0, second!.stderr);
    const rows = [...(await outputs(dir)).values()].flat();
    assert.equal(rows.length, 25, "ten, then fifteen more");
    assert.equal(new Set(rows.map((row) => row.url)).size, 25);
    assert.equal(site.stats.subjectsServed(), 25);
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("--rate holds per host across two workers: no two requests to the host closer than 1/rate", options, async () => {
  const redis = await startRedis();
  const arrivals: number[] = [];
  const pages = 24;
  const server: Server = createServer((req, res) => {
    arrivals.push(performance.now());
    const id = Number(/^\/p\/(\d+)$/.exec(req.url ?? "")?.[1] ?? -1);
    if (id < 0) return res.writeHead(404).end();
    const links = [1, 2].map((step) => `<dt><a href="/p/${(id + step) % pages}">next</a></dt>`).join("");
    res.writeHead(200, { "content-type": "text/html" }).end(`<title>p${id}</title><div id="db-rec-section"><dl>${links}</dl></div>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const rate = 4; // one start every 250 ms, for the host, whatever the worker
    // One request at a time per worker, so that neither holds every waiting page while the host's turn comes.
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "1", "--rate", String(rate), "--workers", "1"]);
    const results = await Promise.all(workers(2, `${origin}/p/0`, flags).map((worker) => worker.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const files = await outputs(dir);
    assert.equal([...files.values()].flat().length, pages);
    for (const [file, rows] of files) assert.ok(rows.length > 0, `${file} has rows: both workers fetched`);
    const gaps = arrivals.slice(1).map((time, i) => time - arrivals[i]!);
    // The requests leave 250 ms apart at least, whatever the worker: a start is granted on Redis's clock, and a
    // request's departure moves its host's next start. The server notes an arrival when its event loop gets to it,
    // and a loaded machine can bring two notes closer than the requests were: the margin allows for it.
    const interval = 1000 / rate;
    const shown = gaps.map((gap) => gap.toFixed(0)).join(" ");
    assert.ok(Math.min(...gaps) >= interval - 100, `smallest gap ${Math.min(...gaps).toFixed(1)} ms for ${interval} ms: ${shown}`);
    assert.equal(arrivals.length, pages + 1, "each page once, and robots.txt");
  } finally {
    server.close();
    await redis.stop();
  }
});

test("--per-host holds across three workers: the host never has more requests in flight than it allows", options, async () => {
  const redis = await startRedis();
  const site = await startDemoSite({ pages: 60, bodyKb: 1, latencyMs: 60 });
  try {
    // One request at a time per worker: three could have three in flight, and --per-host keeps them to two.
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "1", "--per-host", "2"]);
    const results = await Promise.all(workers(3, site.startUrl, flags).map((worker) => worker.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const files = await assertEveryPageOnce(dir, site);
    const fetching = [...files.values()].filter((rows) => rows.length > 0).length;
    assert.ok(fetching >= 2, `${fetching} workers fetched: the host's two places are shared by processes`);
    assert.equal(site.stats.maxInFlight, 2, "two at a time on the host, over three workers");
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("crawl.ts with an unreachable Redis says so in one line and exits 1", options, async () => {
  const redis = await startRedis();
  const url = redis.url;
  await redis.stop();
  const { flags } = sharedCrawl({ url } as TestRedis);
  const [result] = await Promise.all(workers(1, "http://127.0.0.1:9/", flags).map((worker) => worker.exit));
  assertOneLine(result!, 1, new RegExp(`^crawl\\.ts: Cannot reach Redis at ${url.replace(/[/.]/g, "\\$&")}: ECONNREFUSED$`));
});

test("Redis killed mid-crawl: the workers stop in one line; restarted from its AOF, the same commands finish the crawl, every page once", options, async () => {
  let redis = await startRedis({ aof: true });
  const site = await startDemoSite({ pages: 300, bodyKb: 2, latencyMs: 40 });
  try {
    const { dir, flags } = sharedCrawl(redis, ["--concurrency", "4"]);
    const running = workers(2, site.startUrl, flags);
    await waitForRows(dir, 40);
    await redis.kill();
    for (const result of await Promise.all(running.map((worker) => worker.exit))) {
      assertOneLine(result, 1, /^crawl\.ts: Lost the connection to Redis at .*\. What was committed is kept; run the same command again to continue$/);
    }
    redis = await startRedis({ aof: true, port: redis.port, dir: redis.dir });
    const again = await Promise.all(workers(2, site.startUrl, flags).map((worker) => worker.exit));
    for (const result of again) assert.equal(result.code, 0, result.stderr);
    await assertEveryPageOnce(dir, site);
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("a worker joining with a different --follow is refused with a usage error; --reset alone removes the crawl", options, async () => {
  const redis = await startRedis();
  const site = await startDemoSite({ pages: 20, bodyKb: 1 });
  try {
    const { flags } = sharedCrawl(redis, ["--max-pages", "5"]);
    const [first] = await Promise.all(workers(1, site.startUrl, flags).map((worker) => worker.exit));
    assert.equal(first!.code, 0, first!.stderr);
    const joined = await start("crawl.ts", [...flags, "--follow", "h1 a"]).exit;
    assertOneLine(joined, 2, /^crawl\.ts: Cannot join crawl "c\d+": --follow was "#db-rec-section dt a", now "h1 a" \(see --help\)$/);
    const id = flags[flags.indexOf("--crawl-id") + 1]!;
    assert.notEqual(redis.cli("KEYS", `rxcrawl:{${id}}:*`).trim(), "");
    const reset = await start("crawl.ts", ["--redis", redis.url, "--crawl-id", id, "--reset"]).exit;
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stderr, new RegExp(`^crawl\\.ts: removed crawl "${id}" \\(\\d+ keys\\)\\n$`));
    assert.equal(redis.cli("KEYS", `rxcrawl:{${id}}:*`).trim(), "");
  } finally {
    await site.close();
    await redis.stop();
  }
});

/** Five sites at five addresses (shards are by site: the ports of one address are one site), so a crawl spans shards. */
function startFiveSites(): Promise<DemoSite[]> {
  return Promise.all(Array.from({ length: 5 }, (_, i) => startDemoSite({ host: `127.0.0.${11 + i}`, pages: 80, bodyKb: 2, latencyMs: 40 })));
}

test("three crawl.ts workers on a three-master Redis Cluster crawl five sites, every page once, each robots.txt once, all exit 0", options, async () => {
  const cluster = await startCluster();
  // Five sites (a loopback address each: the ports of one address are one site), so that the crawl spreads over
  // shards, and those over the masters.
  const sites = await startFiveSites();
  try {
    const { dir, flags } = sharedCrawl(cluster, ["--concurrency", "4"]);
    const results = await Promise.all(workers(3, sites.map((site) => site.startUrl), flags).map((worker) => worker.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const files = await assertEveryPageOnce(dir, sites);
    assert.equal(files.size, 3, "one file per worker");
    for (const [file, rows] of files) assert.ok(rows.length > 0, `${file} has rows: every worker took part`);
    for (const site of sites) {
      assert.equal(site.stats.duplicateRequests(), 0, "no page requested twice");
      assert.equal(site.stats.byPath.get("/robots.txt"), 1, "each robots.txt fetched once for the whole crawl");
    }
    const id = flags[flags.indexOf("--crawl-id") + 1]!;
    const shardKeys = cluster.nodes.map((node) => node.cli("--scan", "--pattern", `rxcrawl:{${id}/*`).split("\n").filter(Boolean).length);
    assert.ok(shardKeys.filter((count) => count > 0).length >= 2, `the crawl's shards on several masters: ${shardKeys.join(", ")} keys`);
  } finally {
    await Promise.all(sites.map((site) => site.close()));
    await cluster.stop();
  }
});

test("on a Redis Cluster, a worker killed with SIGKILL mid-crawl loses nothing, and --max-pages holds for the whole crawl", options, async () => {
  const cluster = await startCluster();
  const sites = await startFiveSites();
  const starts = sites.map((site) => site.startUrl);
  try {
    const { dir, flags } = sharedCrawl(cluster, ["--concurrency", "4"]);
    const running = workers(3, starts, flags);
    await waitForRows(dir, 60);
    running[1]!.child.kill("SIGKILL");
    const [first, killed, third] = await Promise.all(running.map((worker) => worker.exit));
    assert.equal(killed!.signal, "SIGKILL");
    assert.equal(first!.code, 0, first!.stderr);
    assert.equal(third!.code, 0, third!.stderr);
    await assertEveryPageOnce(dir, sites);
    const capped = sharedCrawl(cluster, ["--concurrency", "4", "--max-pages", "45"]);
    const results = await Promise.all(workers(3, starts, capped.flags).map((worker) => worker.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const rows = [...(await outputs(capped.dir)).values()].flat();
    assert.equal(rows.length, 45);
    assert.equal(new Set(rows.map((row) => row.url)).size, 45);
  } finally {
    await Promise.all(sites.map((site) => site.close()));
    await cluster.stop();
  }
});

test("a cluster master killed mid-crawl and restarted from its append-only file: the same commands finish the crawl, every page once", options, async () => {
  const cluster = await startCluster();
  const sites = await startFiveSites();
  const starts = sites.map((site) => site.startUrl);
  try {
    const { dir, flags } = sharedCrawl(cluster, ["--concurrency", "4"]);
    const running = workers(2, starts, flags);
    await waitForRows(dir, 40);
    await cluster.kill(1);
    const stopped = await Promise.all(running.map((worker) => worker.exit));
    // A worker that had finished before the master went exits 0; the others stop in one line.
    for (const result of stopped.filter(({ code }) => code !== 0)) {
      assertOneLine(result, 1, /^crawl\.ts: Lost the connection to Redis at .*\. What was committed is kept; run the same command again to continue$/);
    }
    assert.ok(stopped.some(({ code }) => code === 1), "the master's loss stopped a worker");
    await cluster.restart(1);
    const again = await Promise.all(workers(2, starts, flags).map((worker) => worker.exit));
    for (const result of again) assert.equal(result.code, 0, result.stderr);
    await assertEveryPageOnce(dir, sites);
  } finally {
    await Promise.all(sites.map((site) => site.close()));
    await cluster.stop();
  }
});
