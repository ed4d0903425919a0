// The behaviours every CrawlState must have, as one suite that runs against each implementation: the local state
// (test/state/local_state.test.ts), the Redis state on one server and on a Redis Cluster (test/state/redis/). A state
// is driven here the way crawl() drives it, without a crawl around it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { CrawlDefinition } from "../../src/state/crawl_definition.ts";
import type { CrawlPlan, CrawlState, Lease, LeaseBatch, Outcome } from "../../src/state/crawl_state.ts";
import { type CrawlRequest, nextUrl } from "../../src/records.ts";
import { hostOf } from "../../src/url.ts";
import { pageRecord } from "../helpers/page.ts";

/** One crawl of an implementation: its first state, and more states on the same crawl. */
export interface ConformanceCrawl {
  /** The state the crawl was made with, not opened yet. */
  state: CrawlState;
  /**
   * Another state of the same crawl, not opened yet: a process joining it (shared states), or the crawl continued
   * after its first state was closed (`--resume` of the local state, which the suite closes first).
   */
  another(): Promise<CrawlState>;
  /** Removes what the crawl left (files, keys) and closes what `another()` made. */
  dispose(): Promise<void>;
}

/** What the suite needs of an implementation. */
export interface ConformanceTarget {
  /** The implementation's name, in the tests' names. */
  name: string;
  /**
   * Makes a new, empty crawl; a shared state's with leases that lapse `leaseMs` after their holder stops, when given
   * (its default otherwise).
   */
  crawl(options?: { leaseMs?: number }): Promise<ConformanceCrawl>;
  /**
   * Whether two states of one crawl may be open at once (a shared state, whose leases lapse when their holder stops);
   * else `another()` follows a `close()`.
   */
  shared: boolean;
  /** Why the suite cannot run here (a server missing), or false. */
  skip?: string | false;
}

/** A crawl of any host from no start URL, as the state tests define theirs. */
export const DEFINITION: CrawlDefinition = {
  start: [],
  follow: { selector: "a[href]" },
  extract: null,
  hosts: "any",
  allow: [],
  deny: [],
  maxDepth: null,
  sitemap: false,
};

/** A request of host `h` (a.test, b.test, ...), page `p`. */
const url = (h: string, p: string | number) => `http://${h}.test/${p}`;
const request = (h: string, p: string | number, depth = 0): CrawlRequest => ({ url: url(h, p), depth });

function plan(start: readonly CrawlRequest[], overrides: Partial<CrawlPlan> = {}): CrawlPlan {
  return {
    start,
    maxPages: Infinity,
    definition: { ...DEFINITION, start: start.map((r) => r.url) },
    politeness: { perHost: Infinity, intervalMs: 0 },
    ...overrides,
  };
}

function finished(lease: Lease, found: readonly CrawlRequest[] = [], error = ""): Outcome {
  const record = pageRecord(lease.url, {
    depth: lease.depth,
    status: error === "" ? 200 : 500,
    error,
    errorCode: error === "" ? "" : "EHTTP",
  });
  return { record, found };
}

const urls = (leases: readonly Lease[]) => leases.map((lease) => lease.url);
const hosts = (leases: readonly Lease[]) => leases.map((lease) => hostOf(nextUrl(lease)));

/** Leases until `count` came or `ms` passed, waiting as `readyIn` says. */
async function leaseAll(state: CrawlState, count: number, ms = 5000): Promise<Lease[]> {
  const out: Lease[] = [];
  const until = performance.now() + ms;
  while (out.length < count && performance.now() < until) {
    const batch: LeaseBatch = await state.lease(count - out.length);
    out.push(...batch.leases);
    if (batch.leases.length === 0) await sleep(Math.min(Number.isFinite(batch.readyIn) ? batch.readyIn + 1 : 20, 50));
  }
  return out;
}

/**
 * Leases until the state says the crawl is over, for at most `ms`, asserting that nothing is handed out meanwhile; the
 * last answer. A shared state may answer "not over yet" while another process's bookkeeping moves between its reads
 * of the shards (a crawl asks again a moment later), but never with a request.
 */
async function leaseUntilOver(state: CrawlState, count: number, ms = 3000): Promise<LeaseBatch> {
  const until = performance.now() + ms;
  for (;;) {
    const batch = await state.lease(count);
    assert.deepEqual(batch.leases, [], "nothing left to start");
    if (batch.over || performance.now() >= until) return batch;
    await sleep(20);
  }
}

/** Commits every lease as a finished page with nothing found. */
async function finishAll(state: CrawlState, leases: readonly Lease[]): Promise<void> {
  for (const lease of leases) await state.commit(lease, finished(lease), 0);
}

/**
 * Runs the suite against `target`. Times are asserted as lower bounds only (a host's next start never comes early);
 * intervals are a few hundred ms so that a loaded machine cannot make a test pass by accident.
 */
export function conformance(target: ConformanceTarget): void {
  const options = { skip: target.skip ?? false };
  const name = (behaviour: string) => `${target.name}: ${behaviour}`;

  /** Runs `body` on a fresh crawl's state, then closes and removes it. */
  const withCrawl = (body: (state: CrawlState, crawl: ConformanceCrawl) => Promise<void>, leaseMs?: number) => async () => {
    const crawl = await target.crawl(leaseMs === undefined ? {} : { leaseMs });
    try {
      await body(crawl.state, crawl);
    } finally {
      await crawl.state.close();
      await crawl.dispose();
    }
  };

  test(name("open admits each start request once and counts it queued"), options, withCrawl(async (state) => {
    const opened = await state.open(plan([request("a", 1), request("a", 2), request("a", 1)]));
    assert.equal(opened.continued, false);
    assert.deepEqual(opened.counts, { admitted: 2, done: 0, errors: 0, queued: 2, leased: 0, started: 0 });
  }));

  test(name("lease hands out each request once, at most as many as asked, with distinct tokens"), options, withCrawl(async (state) => {
    const start = Array.from({ length: 12 }, (_, i) => request(`h${i % 4}`, i));
    await state.open(plan(start));
    const first = await state.lease(5);
    assert.equal(first.leases.length, 5);
    assert.equal(first.readyIn, 0);
    const rest = await leaseAll(state, 7);
    const all = [...first.leases, ...rest];
    assert.deepEqual(new Set(urls(all)), new Set(start.map((r) => r.url)));
    assert.equal(new Set(all.map((lease) => lease.token)).size, 12);
    const none = await state.lease(3);
    assert.deepEqual(none.leases, []);
    assert.equal(none.over, false, "leased and not committed: not over");
    assert.equal(none.readyIn, Infinity);
    assert.equal(none.counts.leased, 12);
  }));

  test(name("the crawl is over once nothing waits and nothing is leased"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1)]));
    const [lease] = (await state.lease(1)).leases;
    assert.ok(lease);
    const result = await state.commit(lease, finished(lease), 1);
    assert.deepEqual(result.leases, []);
    assert.deepEqual(result.counts, { admitted: 1, done: 1, errors: 0, queued: 0, leased: 0, started: 1 });
    const batch = await state.lease(4);
    assert.equal(batch.over, true);
  }));

  test(name("the first lease after the last commit says the crawl is over, when pages found links to many hosts"), options, withCrawl(async (state) => {
    // On several shards most of these links go through an outbox to another shard: what was delivered there must not
    // hold the crawl's end.
    const others = Array.from({ length: 12 }, (_, i) => request(`h${i}`, 1, 1));
    await state.open(plan([request("a", 0)]));
    const [first] = (await state.lease(1)).leases;
    assert.ok(first);
    assert.equal((await state.commit(first, finished(first, others), 0)).admitted, 12);
    const leases = await leaseAll(state, 12);
    assert.deepEqual(new Set(urls(leases)), new Set(others.map((r) => r.url)));
    // Each links back to the start (seen) and to the first page of one of two more hosts.
    for (const [i, lease] of leases.entries()) {
      await state.commit(lease, finished(lease, [request("a", 0, 2), request(i % 2 === 0 ? "y" : "z", 0, 2)]), 0);
    }
    const last = await leaseAll(state, 2);
    assert.deepEqual(new Set(urls(last)), new Set([url("y", 0), url("z", 0)]));
    await finishAll(state, last);
    const end = await state.lease(4);
    assert.deepEqual(end.leases, []);
    assert.equal(end.over, true);
    assert.equal(end.counts.done, 15);
  }));

  test(name("ready hosts take turns: none gets a second lease while another is ready"), options, withCrawl(async (state) => {
    const start = [...[1, 2, 3, 4, 5, 6].map((p) => request("a", p)), request("b", 1), request("b", 2), request("c", 1)];
    await state.open(plan(start));
    const batch = await state.lease(3);
    assert.deepEqual(hosts(batch.leases).sort(), ["a.test", "b.test", "c.test"]);
    const next = await state.lease(3);
    assert.deepEqual(hosts(next.leases).sort(), ["a.test", "a.test", "b.test"], "c has nothing left; a and b take turns");
  }));

  test(name("a host's starts are spaced by the interval, and readyIn says when the next may start"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2), request("b", 1)], { politeness: { perHost: Infinity, intervalMs: 300 } }));
    const before = performance.now();
    const first = await state.lease(3);
    assert.deepEqual(hosts(first.leases).sort(), ["a.test", "b.test"]);
    for (const lease of first.leases) state.sent(lease); // their requests left at once, as crawl() says
    const early = await state.lease(3);
    assert.deepEqual(early.leases, [], "a's second page waits for a's interval");
    assert.ok(early.readyIn > 0 && early.readyIn <= 300, `readyIn ${early.readyIn}`);
    const [second] = await leaseAll(state, 1);
    const after = performance.now();
    assert.equal(second?.url, url("a", 2));
    assert.ok(after - before >= 300, `two starts on a.test ${after - before} ms apart`);
  }));

  test(name("a host holds at most perHost leases at once; a commit frees its place"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2), request("a", 3), request("b", 1)], { politeness: { perHost: 1, intervalMs: 0 } }));
    const batch = await state.lease(4);
    assert.deepEqual(hosts(batch.leases).sort(), ["a.test", "b.test"]);
    const aLease = batch.leases.find((lease) => lease.url.startsWith("http://a.test/"))!;
    assert.deepEqual((await state.lease(4)).leases, []);
    const result = await state.commit(aLease, finished(aLease), 4);
    assert.deepEqual(urls(result.leases), [url("a", 2)]);
  }));

  test(name("within a host: a fetch under way first, then shallower pages, then first come"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", "x"), request("a", "y")]));
    const [x] = (await state.lease(1)).leases;
    assert.equal(x?.url, url("a", "x"));
    await state.commit(x, finished(x, [request("a", "x1", 1), request("a", "x2", 1)]), 0);
    const [y] = (await state.lease(1)).leases;
    assert.equal(y?.url, url("a", "y"), "depth 0 before the depth-1 links found earlier");
    await state.commit(y, finished(y, [request("a", "y1", 1)]), 0);
    const [x1] = (await state.lease(1)).leases;
    assert.equal(x1?.url, url("a", "x1"));
    const progress = { redirects: [url("a", "x1-moved")], requests: 1, retries: 0, wireBytes: 120, tries: 0 };
    await state.commit(x1, { again: { ...request("a", "x1", 1), progress }, delayMs: 0 }, 0);
    const order = urls(await leaseAll(state, 3));
    assert.deepEqual(order, [url("a", "x1"), url("a", "x2"), url("a", "y1")]);
  }));

  test(name("a fetch that goes on comes back after its delay, with its progress, on its next URL's host"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1)]));
    const [lease] = (await state.lease(1)).leases;
    assert.ok(lease);
    const progress = { redirects: [url("b", "moved")], requests: 1, retries: 0, wireBytes: 300, tries: 0 };
    const before = performance.now();
    const result = await state.commit(lease, { again: { ...request("a", 1), progress }, delayMs: 300 }, 1);
    assert.deepEqual(result.leases, [], "not before its delay");
    assert.equal(result.accepted, true);
    assert.deepEqual(result.counts, { admitted: 1, done: 0, errors: 0, queued: 1, leased: 0, started: 1 });
    const waiting = await state.lease(1);
    assert.equal(waiting.over, false);
    assert.ok(waiting.readyIn > 0 && waiting.readyIn <= 300, `readyIn ${waiting.readyIn}`);
    const [again] = await leaseAll(state, 1);
    assert.ok(performance.now() - before >= 300);
    assert.ok(again);
    assert.equal(again.url, url("a", 1));
    assert.deepEqual(again.progress, progress);
    assert.equal(hostOf(nextUrl(again)), "b.test");
    assert.notEqual(again.token, lease.token);
    const done = await state.commit(again, finished(again), 0);
    assert.deepEqual(done.counts, { admitted: 1, done: 1, errors: 0, queued: 0, leased: 0, started: 1 }, "its second step was not a second start");
  }));

  test(name("a commit admits the new requests it found once each, and counts pages and errors"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 0)]));
    const [lease] = (await state.lease(1)).leases;
    assert.ok(lease);
    const found = [request("a", 0, 1), request("a", 1, 1), request("b", 1, 1), request("a", 1, 1)];
    const result = await state.commit(lease, finished(lease, found), 0);
    assert.equal(result.admitted, 2, "the start URL and the repeat are not new");
    assert.deepEqual(result.counts, { admitted: 3, done: 1, errors: 0, queued: 2, leased: 0, started: 1 });
    const next = await leaseAll(state, 2);
    assert.deepEqual(new Set(urls(next)), new Set([url("a", 1), url("b", 1)]));
    assert.ok(next.every((l) => l.depth === 1));
    const failed = await state.commit(next[0]!, finished(next[0]!, [], "HTTP 500"), 0);
    assert.equal(failed.counts.errors, 1);
  }));

  test(name("a commit leases the next requests in the same step"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 0), request("b", 0)]));
    const [lease] = (await state.lease(1)).leases;
    assert.ok(lease);
    const result = await state.commit(lease, finished(lease, [request("c", 1, 1)]), 2);
    assert.equal(result.leases.length, 2);
    assert.equal(result.counts.leased, 2);
  }));

  test(
    name("maxPages caps the requests the whole crawl starts: every link is admitted, retries and leases given back are no second start, what never started waits for a larger maxPages"),
    options,
    withCrawl(async (state, crawl) => {
      await state.open(plan([request("a", 0)], { maxPages: 3 }));
      const [root] = (await state.lease(1)).leases;
      assert.ok(root);
      const found = [1, 2, 3, 4, 5].map((p) => request("a", p, 1));
      const result = await state.commit(root, finished(root, found), 0);
      assert.equal(result.admitted, 5, "every new link, whatever maxPages");
      assert.deepEqual(result.counts, { admitted: 6, done: 1, errors: 0, queued: 5, leased: 0, started: 1 });
      const leased = await leaseAll(state, 5, 300);
      assert.deepEqual(urls(leased), [url("a", 1), url("a", 2)], "two more starts, first found first");
      const [retried, released] = leased as [Lease, Lease];
      const progress = { redirects: [], requests: 1, retries: 1, wireBytes: 100, tries: 1 };
      await state.commit(retried, { again: { ...request("a", 1, 1), progress }, delayMs: 0 }, 0);
      await state.release([released]);
      const again = await leaseAll(state, 2, 2000);
      assert.deepEqual(new Set(urls(again)), new Set([url("a", 1), url("a", 2)]), "both handed out again with no start left");
      await finishAll(state, again);
      const end = await leaseUntilOver(state, 5);
      assert.equal(end.over, true, "over with three requests never started");
      assert.equal(end.readyIn, Infinity, "nothing that may still start waits");
      assert.deepEqual(end.counts, { admitted: 6, done: 3, errors: 0, queued: 3, leased: 0, started: 3 });
      if (!target.shared) await state.close();
      const more = await crawl.another();
      const opened = await more.open(plan([request("a", 0)], { maxPages: 5 }));
      assert.equal(opened.continued, true);
      const rest = await leaseAll(more, 5, 1000);
      const later = urls(rest);
      assert.ok(later.includes(url("a", 3)) && later.includes(url("a", 4)), `leased ${later.join(" ")}`);
      assert.ok(!later.includes(url("a", 5)));
      await finishAll(more, rest);
      const last = await leaseUntilOver(more, 5);
      assert.equal(last.over, true);
      assert.equal(last.counts.started, 5);
      assert.equal(last.counts.queued, 1, "the last link still waits");
    }),
  );

  test(name("claim marks a URL seen once; an admitted URL is seen already"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 0)]));
    assert.equal(await state.claim(url("a", "moved")), true);
    assert.equal(await state.claim(url("a", "moved")), false);
    assert.equal(await state.claim(url("a", 0)), false);
    const [lease] = (await state.lease(1)).leases;
    const result = await state.commit(lease!, finished(lease!, [request("a", "moved", 1)]), 0);
    assert.equal(result.admitted, 0, "a redirect target is not admitted again");
  }));

  test(name("released leases wait to be leased again"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("b", 1)]));
    const batch = await state.lease(2);
    assert.equal(batch.leases.length, 2);
    await state.release(batch.leases);
    const again = await leaseAll(state, 2);
    assert.deepEqual(new Set(urls(again)), new Set([url("a", 1), url("b", 1)]));
  }));

  test(name("a pace from a commit slows its host from then on, never below the crawl's interval"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2), request("a", 3)], { politeness: { perHost: Infinity, intervalMs: 100 } }));
    const [first] = await leaseAll(state, 1);
    assert.ok(first);
    const before = performance.now();
    await state.commit(first, { ...finished(first), pace: { host: "a.test", intervalMs: 400 } }, 0);
    const asked = performance.now(); // the second start is granted after this
    const [second] = await leaseAll(state, 1);
    assert.ok(second);
    assert.ok(performance.now() - before >= 300, `the paced start came ${performance.now() - before} ms after the commit`);
    await state.commit(second, { ...finished(second), pace: { host: "a.test", intervalMs: 10 } }, 0);
    const [third] = await leaseAll(state, 1);
    assert.ok(third);
    assert.ok(performance.now() - asked >= 100, "a pace below the crawl's interval does not make the host faster than it");
  }));

  test(name("a pace committed with its host's only fetch counts from that fetch's start, without a crawl interval"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1)]));
    const [first] = await leaseAll(state, 1);
    assert.ok(first);
    const before = performance.now();
    // A retry, or the page after its robots.txt, that the fetch learned must wait for its host's new pace.
    const progress = { redirects: [], requests: 1, retries: 1, wireBytes: 120, tries: 1 };
    await state.commit(first, { again: { ...request("a", 1), progress }, delayMs: 0, pace: { host: "a.test", intervalMs: 400 } }, 0);
    const [again] = await leaseAll(state, 1);
    assert.equal(again?.url, url("a", 1));
    assert.ok(performance.now() - before >= 300, `the paced start came ${performance.now() - before} ms after the commit`);
  }));

  test(name("a request that left late moves its host's next start"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2)], { politeness: { perHost: Infinity, intervalMs: 200 } }));
    const before = performance.now();
    const [first] = (await state.lease(1)).leases;
    assert.ok(first);
    await sleep(150);
    const sentAt = performance.now();
    state.sent(first);
    await sleep(100); // 250 ms after the hand-out: past the interval from it, not from the request
    assert.deepEqual((await state.lease(1)).leases, []);
    const [second] = await leaseAll(state, 1);
    assert.ok(second);
    assert.ok(performance.now() - sentAt >= 200, "the next start is an interval after the request left");
    assert.ok(performance.now() - before >= 350);
  }));

  test(name("reserve takes a start on a host, which the frontier's leases then wait for, from when its request left"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2)], { politeness: { perHost: Infinity, intervalMs: 200 } }));
    const before = performance.now();
    const [first] = (await state.lease(1)).leases;
    assert.ok(first);
    state.sent(first);
    const wait = await state.reserve("a.test");
    assert.ok(wait > 0, `wait ${wait}: the host's interval from the first request first`);
    await sleep(wait + 150); // the reserved request leaves late: a browser slow to send it
    const sentAt = performance.now();
    state.sent({ url: url("a", "data.json"), depth: 0 });
    const [second] = await leaseAll(state, 1);
    assert.equal(second?.url, url("a", 2));
    const gap = performance.now() - sentAt;
    assert.ok(gap >= 200, `the lease came ${gap.toFixed(0)} ms after the reserved request left, for an interval of 200`);
    assert.ok(performance.now() - before >= 550);
    assert.equal(await state.reserve("idle.test"), 0, "a host nobody started on may start at once");
  }));

  test(name("a host gives no other start, leased or reserved, while its last start has not left; it opens once sent, counting from then"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2), request("b", 1)], { politeness: { perHost: Infinity, intervalMs: 200 } }));
    const first = await leaseAll(state, 2);
    assert.deepEqual(urls(first).sort(), [url("a", 1), url("b", 1)]);
    const a1 = first.find((lease) => lease.url === url("a", 1))!;
    let reserved: number | undefined;
    const reserving = state.reserve("a.test").then((wait) => (reserved = wait));
    await sleep(350); // well past the interval from the hand-out: the request has still not left (a busy thread)
    assert.deepEqual((await state.lease(1)).leases, [], "a.test starts nothing");
    assert.equal(reserved, undefined, "nor is a start on a.test reserved");
    const sentAt = performance.now();
    state.sent(a1);
    const wait = await reserving;
    const reservedGap = performance.now() + wait - sentAt;
    assert.ok(reservedGap >= 200, `the reserved start is ${reservedGap.toFixed(0)} ms after the request left, for an interval of 200`);
    await sleep(wait);
    const leftAt = performance.now();
    state.sent({ url: url("a", "app.js"), depth: 0 });
    const [a2] = await leaseAll(state, 1);
    assert.equal(a2?.url, url("a", 2));
    const gap = performance.now() - leftAt;
    assert.ok(gap >= 200, `the lease came ${gap.toFixed(0)} ms after the reserved request left, for an interval of 200`);
  }));

  test(name("a start done without a request closes where it was given"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2)], { politeness: { perHost: Infinity, intervalMs: 300 } }));
    const before = performance.now();
    const [a1] = (await state.lease(1)).leases;
    assert.ok(a1);
    await sleep(150); // its robots.txt came from another fetch, and refuses it: no request of its own
    await state.commit(a1, finished(a1, [], "robots.txt"), 0);
    const asked = performance.now();
    const next = await state.lease(1);
    // Counted from the commit, the next start would be 300 ms away; from the hand-out, about 150 (a timer may end a
    // hair before its time, so the sleep above may be a fraction of a ms short).
    assert.ok(next.readyIn <= 155, `readyIn ${next.readyIn}`);
    const [a2] = next.leases.length > 0 ? next.leases : await leaseAll(state, 1);
    assert.equal(a2?.url, url("a", 2));
    assert.ok(performance.now() - before >= 300, "never before an interval from the start given");
    await sleep(150);
    await state.release([a2]); // the crawl stopped before its request left
    const again = await state.lease(1);
    assert.ok(again.readyIn <= 150, `readyIn ${again.readyIn}`);
    const [back] = again.leases.length > 0 ? again.leases : await leaseAll(state, 1);
    assert.equal(back?.url, url("a", 2));
    assert.ok(performance.now() - asked >= 300, "never before an interval from the start given");
  }));

  test(name("a render decision committed for a host goes with that host's later leases, and can change"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2), request("a", 3), request("b", 1), request("b", 2)]));
    const first = await state.lease(2);
    assert.deepEqual(first.leases.map((lease) => lease.render), [undefined, undefined], "no host is decided yet");
    const a1 = first.leases.find((lease) => lease.url === url("a", 1))!;
    const b1 = first.leases.find((lease) => lease.url === url("b", 1))!;
    await state.commit(a1, { ...finished(a1), render: { host: "a.test", render: true } }, 0);
    await state.commit(b1, { ...finished(b1), render: { host: "b.test", render: false } }, 0);
    const next = await leaseAll(state, 2);
    assert.deepEqual(
      next.map((lease) => [lease.url, lease.render]).sort(),
      [[url("a", 2), true], [url("b", 2), false]],
    );
    const a2 = next.find((lease) => lease.url === url("a", 2))!;
    await state.commit(a2, { ...finished(a2), render: { host: "a.test", render: false } }, 0);
    const [a3] = await leaseAll(state, 1);
    assert.equal(a3?.url, url("a", 3));
    assert.equal(a3?.render, false, "the last decision holds");
  }));

  test(name("a request that goes on to another host takes that host's decision, or none"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("a", 2)]));
    const [a1] = (await state.lease(1)).leases;
    assert.ok(a1);
    await state.commit(a1, { ...finished(a1), render: { host: "a.test", render: true } }, 0);
    const [a2] = await leaseAll(state, 1);
    assert.equal(a2?.render, true);
    // Its redirect leads to c.test, which nothing has decided: the request carries its lease's fields back.
    const progress = { redirects: [url("c", "moved")], requests: 1, retries: 0, wireBytes: 100, tries: 0 };
    await state.commit(a2!, { again: { ...a2!, progress }, delayMs: 0 }, 0);
    const [moved] = await leaseAll(state, 1);
    assert.equal(moved?.url, url("a", 2));
    assert.equal(hostOf(nextUrl(moved!)), "c.test");
    assert.equal(moved?.render, undefined);
  }));

  test(name("a decision a page commits for another host goes with that host's leases (on a cluster, in another shard)"), options, withCrawl(async (state) => {
    await state.open(plan([request("a", 1), request("c", 1), request("c", 2)], { politeness: { perHost: 1, intervalMs: 0 } }));
    const first = await leaseAll(state, 2);
    const a1 = first.find((lease) => lease.url === url("a", 1))!;
    const c1 = first.find((lease) => lease.url === url("c", 1))!;
    assert.deepEqual([a1.render, c1.render], [undefined, undefined]);
    await state.commit(a1, { ...finished(a1), render: { host: "c.test", render: true } }, 0);
    await state.commit(c1, finished(c1), 0);
    const [c2] = await leaseAll(state, 1);
    assert.equal(c2?.url, url("c", 2));
    assert.equal(c2?.render, true);
  }));

  test(name("many leases asked for at once never hand out a request twice"), options, withCrawl(async (state) => {
    const start = Array.from({ length: 200 }, (_, i) => request(`h${i % 10}`, i));
    await state.open(plan(start));
    const batches = await Promise.all(Array.from({ length: 20 }, () => state.lease(15)));
    const all = batches.flatMap((batch) => batch.leases);
    assert.equal(all.length, 200);
    assert.equal(new Set(urls(all)).size, 200);
  }));

  if (target.shared) {
    test(name("two states of one crawl share its frontier: a request is leased to one of them"), options, withCrawl(async (state, crawl) => {
      const start = Array.from({ length: 40 }, (_, i) => request(`h${i % 8}`, i));
      await state.open(plan(start));
      const other = await crawl.another();
      assert.equal((await other.open(plan(start))).continued, true);
      const [a, b] = await Promise.all([leaseAll(state, 20, 1000), leaseAll(other, 20, 1000)]);
      assert.equal(a.length + b.length, 40);
      assert.equal(new Set(urls([...a, ...b])).size, 40);
      await finishAll(state, a);
      assert.equal((await other.lease(1)).over, false, "the other's leases are still out");
      await finishAll(other, b);
      assert.equal((await state.lease(1)).over, true);
    }));

    test(name("a render decision one state commits goes with the host's leases to the other"), options, withCrawl(async (state, crawl) => {
      const start = [request("a", 1), request("a", 2), request("a", 3)];
      await state.open(plan(start));
      const other = await crawl.another();
      await other.open(plan(start));
      const [first] = (await state.lease(1)).leases;
      assert.ok(first);
      await state.commit(first, { ...finished(first), render: { host: "a.test", render: true } }, 0);
      const rest = await leaseAll(other, 2, 1000);
      assert.equal(rest.length, 2);
      assert.deepEqual(rest.map((lease) => lease.render), [true, true]);
    }));

    test(name("two states of one crawl hold a host's interval together, from when its request left"), options, withCrawl(async (state, crawl) => {
      const paced = plan([request("a", 1), request("a", 2), request("a", 3)], { politeness: { perHost: Infinity, intervalMs: 300 } });
      await state.open(paced);
      const other = await crawl.another();
      await other.open(paced);
      const before = performance.now();
      const [first] = (await state.lease(1)).leases;
      assert.ok(first);
      state.sent(first);
      const [second] = await leaseAll(other, 1);
      assert.ok(second);
      assert.ok(performance.now() - before >= 300);
      await sleep(400); // the second request has not left: its process is busy
      assert.deepEqual((await state.lease(1)).leases, [], "the first state gets no start while the other's is open");
      const sentAt = performance.now();
      other.sent(second);
      const [third] = await leaseAll(state, 1);
      assert.equal(third?.url, url("a", 3));
      const gap = performance.now() - sentAt;
      assert.ok(gap >= 300, `the third start came ${gap.toFixed(0)} ms after the second request left, for an interval of 300`);
    }));

    test(name("an open start of a lease that lapses (its holder died) closes with it"), options, withCrawl(async (state, crawl) => {
      const paced = plan([request("a", 1), request("a", 2)], { politeness: { perHost: Infinity, intervalMs: 200 } });
      await state.open(paced);
      const other = await crawl.another();
      await other.open(paced);
      const before = performance.now();
      const [first] = (await state.lease(1)).leases;
      assert.equal(first?.url, url("a", 1));
      await state.close(); // it dies before its request leaves: its heartbeat stops
      const [again] = await leaseAll(other, 1, 5000);
      assert.equal(again?.url, url("a", 1), "the lapsed lease's request first: no start while the dead one's was open");
      assert.ok(performance.now() - before >= 600, "not before the lease lapsed");
      other.sent(again!);
      const [next] = await leaseAll(other, 1);
      assert.equal(next?.url, url("a", 2));
    }, 600));
  }
}
