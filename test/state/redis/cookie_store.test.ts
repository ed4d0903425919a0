// The crawl's cookie jar in Redis (RedisCookieStore), as the processes of a shared crawl use it: each its own
// RedisCrawlState and CrawlCookieJar on one crawl, driven as crawl() drives them (lease, fetch, commit), on one real
// redis-server and on a real three-master Redis Cluster.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CrawlCookieJar, parseCookie } from "../../../src/fetch/cookie_jar.ts";
import type { CrawlRequest } from "../../../src/records.ts";
import type { Lease } from "../../../src/state/crawl_state.ts";
import { connectRedis } from "../../../src/state/redis/connection.ts";
import { shardPrefix } from "../../../src/state/redis/keys.ts";
import { RedisCrawlState } from "../../../src/state/redis/redis_state.ts";
import { shardOf, shardTags } from "../../../src/state/redis/shards.ts";
import { pageRecord } from "../../helpers/page.ts";
import { NO_REDIS } from "../../helpers/redis.ts";
import { redisAndCluster } from "../../helpers/redis_cluster.ts";
import { DEFINITION } from "../crawl_state_conformance.ts";

const servers = redisAndCluster();


let crawls = 0;

/** A process of a shared crawl: its state, opened, and the jar its fetcher would have. */
interface Worker {
  state: RedisCrawlState;
  jar: CrawlCookieJar;
}

/** A crawl from `start`, and a way to add processes to it, each with the cookies it is given at its start. */
async function sharedCrawl(url: string, start: readonly string[]) {
  const crawlId = `cookies${++crawls}`;
  const workers: Worker[] = [];
  const requests: CrawlRequest[] = start.map((page) => ({ url: page, depth: 0 }));
  const join = async (given: readonly string[] = []): Promise<Worker> => {
    const state = await RedisCrawlState.connect({ url, crawlId });
    await state.open({
      start: requests,
      maxPages: Infinity,
      definition: { ...DEFINITION, start: [...start] },
      politeness: { perHost: Infinity, intervalMs: 0 },
    });
    const jar = new CrawlCookieJar(given.map(parseCookie), { store: state.cookieStore() });
    await jar.ready();
    const worker = { state, jar };
    workers.push(worker);
    return worker;
  };
  /** The key of a site's cookies, and its time to live in ms (-1: none; -2: no key). */
  const ttl = async (site: string): Promise<number> => {
    const count = workers[0]!.state.cluster ? 16 : 1;
    const key = `${shardPrefix(shardTags(crawlId, count)[shardOf(site, count)]!)}cookies:${site}`;
    const connection = await connectRedis(url);
    try {
      return Number(await connection.send(key, ["PTTL", key]));
    } finally {
      await connection.close();
    }
  };
  const dispose = async () => {
    for (const { state } of workers) await state.disconnect();
    await RedisCrawlState.remove(url, crawlId);
  };
  return { join, ttl, dispose };
}

/** Leases from `worker` until a lease of `page` comes (a few tries: the crawl's other requests may come first). */
async function leaseOf(worker: Worker, page: string): Promise<Lease> {
  for (let i = 0; i < 50; i++) {
    const { leases } = await worker.state.lease(8);
    const found = leases.find((lease) => lease.url === page);
    await worker.state.release(leases.filter((lease) => lease !== found));
    if (found !== undefined) return found;
    await sleep(10);
  }
  throw new Error(`no lease of ${page}`);
}

/** Commits a page as fetched, with the links it found. */
async function finish(worker: Worker, lease: Lease, found: readonly string[] = []): Promise<void> {
  const record = pageRecord(lease.url, { depth: lease.depth });
  const result = await worker.state.commit(lease, { record, found: found.map((url) => ({ url, depth: lease.depth + 1 })) }, 0);
  assert.equal(result.accepted, true);
}

for (const [name, url] of [
  ["one server", () => servers.redis!.url],
  ["a three-master Redis Cluster", () => servers.cluster!.url],
] as const) {
  const options = { skip: NO_REDIS };

  test(`RedisCookieStore on ${name}: a cookie one process receives is sent by another with its next request leased on the site`, options, async () => {
    const crawl = await sharedCrawl(url(), ["http://www.example.com/login"]);
    try {
      const a = await crawl.join(["pref=dark; Domain=example.com"]);
      const b = await crawl.join();
      // Before anything happens: both send what the crawl was given, whoever was given it.
      assert.equal(await b.jar.getCookieString("http://shop.example.com/"), "pref=dark");
      const login = await leaseOf(a, "http://www.example.com/login");
      await a.jar.setCookie("sid=42; Domain=example.com; Path=/", "http://www.example.com/login");
      await a.jar.setCookie("sid=42; Domain=example.com; Path=/", "http://www.example.com/login"); // the same again: one cookie
      await finish(a, login, ["http://shop.example.com/cart", "http://www.example.com/about"]);
      const cart = await leaseOf(b, "http://shop.example.com/cart");
      assert.equal(await b.jar.getCookieString(cart.url), "pref=dark; sid=42");
      assert.equal(await b.jar.getCookieString("http://www.example.com/about"), "pref=dark; sid=42");
      assert.equal(await b.jar.getCookieString("http://example.org/"), "", "another site is sent none");
      // The site ends the session on a response to B: A's next lease on the site is sent no sid.
      await b.jar.setCookie("sid=; Domain=example.com; Path=/; Max-Age=0", cart.url);
      await finish(b, cart);
      const about = await leaseOf(a, "http://www.example.com/about");
      assert.equal(await a.jar.getCookieString(about.url), "pref=dark");
    } finally {
      await crawl.dispose();
    }
  });

  test(`RedisCookieStore on ${name}: a request on a site whose cookies did not change costs no Redis call`, options, async () => {
    const crawl = await sharedCrawl(url(), ["http://127.0.0.1:9/a", "http://127.0.0.2:9/b"]);
    try {
      const a = await crawl.join();
      const b = await crawl.join();
      const before = b.state.calls;
      assert.equal(await b.jar.getCookieString("http://127.0.0.1:9/a"), "");
      assert.equal(b.state.calls, before, "a crawl with no cookie reads none");
      await a.jar.setCookie("k=1", "http://127.0.0.2:9/b");
      const lease = await leaseOf(b, "http://127.0.0.2:9/b");
      const leased = b.state.calls;
      assert.equal(await b.jar.getCookieString(lease.url), "k=1");
      const read = b.state.calls;
      assert.ok(read > leased, "read once the lease showed a change");
      assert.equal(await b.jar.getCookieString(lease.url), "k=1");
      assert.equal(b.state.calls, read, "not again while nothing changed");
    } finally {
      await crawl.dispose();
    }
  });

  test(`RedisCookieStore on ${name}: a cookie is not sent once it expires, and leaves nothing in Redis`, options, async () => {
    const crawl = await sharedCrawl(url(), ["http://news.example.net/"]);
    try {
      const a = await crawl.join();
      const b = await crawl.join();
      await a.jar.setCookie("short=1; Max-Age=1", "http://news.example.net/");
      const lease = await leaseOf(b, "http://news.example.net/");
      assert.equal(await b.jar.getCookieString(lease.url), "short=1");
      const ttl = await crawl.ttl("example.net");
      assert.ok(ttl > 0 && ttl <= 1000, `the site's cookies expire with the cookie, in ${ttl} ms`);
      await sleep(1100);
      assert.equal(await b.jar.getCookieString(lease.url), "", "expired, though read before");
      assert.equal(await a.jar.getCookieString(lease.url), "");
      assert.equal(await crawl.ttl("example.net"), -2, "no key left");
      await a.jar.setCookie("long=1", "http://news.example.net/");
      assert.equal(await crawl.ttl("example.net"), -1, "a session cookie lasts as long as the crawl");
    } finally {
      await crawl.dispose();
    }
  });

  test(`RedisCookieStore on ${name}: the cookies a crawl starts with are put once, and a fresh session keeps them`, options, async () => {
    const crawl = await sharedCrawl(url(), ["http://example.org/"]);
    try {
      const a = await crawl.join(["login=alice; Domain=example.org"]);
      await a.jar.setCookie("login=bob; Domain=example.org", "http://example.org/"); // the site changes it
      await a.jar.setCookie("tracker=1", "http://example.org/");
      const b = await crawl.join(["login=alice; Domain=example.org"]); // the same command line, later
      assert.equal(await b.jar.getCookieString("http://example.org/"), "login=bob; tracker=1", "not put again");
      const c = await crawl.join(); // joins without cookies: it keeps the login all the same
      assert.equal(await c.jar.freshSession("http://example.org/"), 1);
      assert.equal(await c.jar.getCookieString("http://example.org/"), "login=bob");
      const d = await crawl.join(["login=carol; Domain=example.org"]); // a new login replaces it
      assert.equal(await d.jar.getCookieString("http://example.org/"), "login=carol");
      const lease = await leaseOf(a, "http://example.org/");
      assert.equal(await a.jar.getCookieString(lease.url), "login=carol");
    } finally {
      await crawl.dispose();
    }
  });
}
