// End-to-end tests of the cookie jar of a crawl shared through Redis: two crawl.ts workers as child processes, as a
// user runs them, on one real redis-server or a real three-master Redis Cluster, and a site served by this process on
// 127.0.0.1 that logs the Cookie header of every request and which worker sent it (by its User-Agent).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Exit, parseCsv, start } from "./helpers/pipeline.ts";
import { NO_REDIS, startRedis } from "./helpers/redis.ts";
import { startCluster } from "./helpers/redis_cluster.ts";
import { html, startServer, type TestServer } from "./helpers/server.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-shared-cookies-"));
after(() => rm(TMP, { recursive: true, force: true }));
const options = { skip: NO_REDIS, timeout: 90_000 };
const PAGES = 20;
let crawls = 0;

/** A request the site saw: its path, the worker that sent it, its Cookie header. */
interface Seen {
  path: string;
  worker: string;
  cookie: string | undefined;
}

/**
 * `/login` sets `sid` and `seed=2`, and links to `/p/1` ... `/p/20`. Worker A's requests for pages wait until worker B
 * has sent one, so that B fetches pages (the site's own answer, not a timing), and the test knows when A has committed
 * the login: its first page request is after that.
 */
async function cookieSite() {
  const seen: Seen[] = [];
  let bArrived!: () => void;
  const b = new Promise<void>((resolve) => (bArrived = resolve));
  let aAsked!: () => void;
  const aPage = new Promise<void>((resolve) => (aAsked = resolve));
  const links = Array.from({ length: PAGES }, (_, i) => `<a href="/p/${i + 1}">${i + 1}</a>`).join("");
  const server: TestServer = await startServer(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = req.url ?? "/";
    const worker = String(req.headers["user-agent"]);
    seen.push({ path, worker, cookie: req.headers.cookie });
    if (worker === "worker-b") bArrived();
    if (path === "/login") {
      res.setHeader("set-cookie", ["sid=abc; Path=/", "seed=2; Path=/"]);
      return html(`<title>login</title>${links}`)(req, res);
    }
    if (path.startsWith("/p/")) {
      if (worker === "worker-a") {
        aAsked();
        await Promise.race([b, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
      }
      return html(`<title>${path}</title>`)(req, res);
    }
    return html("<title>404</title>", { status: 404 })(req, res);
  });
  return { server, seen, aPage };
}

/** Runs worker A from /login, then worker B once A has committed the login; both with `extra` flags. */
async function crawlBoth(redisUrl: string, extra: readonly string[]): Promise<{ seen: Seen[]; rows: Map<string, Record<string, string>[]> }> {
  const site = await cookieSite();
  const dir = join(TMP, `c${++crawls}`);
  const flags = ["--redis", redisUrl, "--crawl-id", `cookies${crawls}`, "--out", join(dir, "pages.csv"), "--no-robots", "--workers", "0", ...extra];
  try {
    const a = start("crawl.ts", [site.server.url("/login"), ...flags, "--user-agent", "worker-a", "--concurrency", "2"], { ms: 80_000 });
    const exitOf = (running: typeof a): Promise<Exit> => running.exit;
    await Promise.race([site.aPage, exitOf(a).then((exit) => assert.fail(`A ended first: ${exit.stderr}`))]);
    const b = start("crawl.ts", [...flags, "--user-agent", "worker-b", "--concurrency", "2"], { ms: 80_000 });
    for (const exit of await Promise.all([exitOf(a), exitOf(b)])) assert.equal(exit.code, 0, exit.stderr);
    const rows = new Map<string, Record<string, string>[]>();
    for (const file of (await readdir(dir)).filter((name) => name.endsWith(".csv")).sort()) {
      rows.set(file, parseCsv(await readFile(join(dir, file), "utf8")).rows);
    }
    return { seen: site.seen, rows };
  } finally {
    await site.server.close();
  }
}

/** Every page once, between the two workers' files, and some by each. */
function assertEveryPage(rows: Map<string, Record<string, string>[]>): void {
  const urls = [...rows.values()].flat().map((row) => new URL(row.url!).pathname);
  assert.deepEqual(urls.sort(), ["/login", ...Array.from({ length: PAGES }, (_, i) => `/p/${i + 1}`)].sort());
  assert.equal(rows.size, 2);
  for (const [file, written] of rows) assert.ok(written.length > 0, `${file} has rows`);
}

for (const [name, server] of [
  ["one Redis", () => startRedis()],
  ["a three-master Redis Cluster", () => startCluster()],
] as const) {
  test(`two crawl.ts workers on ${name}: the cookie the site set on A's response is sent with B's requests, and --cookie does not undo it`, options, async () => {
    const redis = await server();
    try {
      const seed = ["--cookie", "seed=1; Domain=127.0.0.1"];
      const { seen, rows } = await crawlBoth(redis.url, seed);
      assertEveryPage(rows);
      const login = seen.filter(({ path }) => path === "/login");
      assert.deepEqual(login, [{ path: "/login", worker: "worker-a", cookie: "seed=1" }]);
      const pages = seen.filter(({ path }) => path.startsWith("/p/"));
      assert.equal(pages.length, PAGES, "every page requested once");
      const byB = pages.filter(({ worker }) => worker === "worker-b");
      assert.ok(byB.length > 0, "B fetched pages");
      // B was given seed=1 as A was, after the site had set seed=2: the site's value stays.
      for (const request of pages) assert.equal(request.cookie, "seed=2; sid=abc", `${request.worker} ${request.path}`);
    } finally {
      await redis.stop();
    }
  });
}

test("two crawl.ts workers on one Redis with --no-cookies send no cookie, given or set", options, async () => {
  const redis = await startRedis();
  try {
    const { seen, rows } = await crawlBoth(redis.url, ["--no-cookies"]);
    assertEveryPage(rows);
    assert.ok(seen.some(({ worker }) => worker === "worker-b"), "B fetched pages");
    assert.deepEqual(
      seen.filter(({ cookie }) => cookie !== undefined),
      [],
    );
  } finally {
    await redis.stop();
  }
});
