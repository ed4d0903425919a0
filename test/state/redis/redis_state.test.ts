// What the Redis state guarantees beyond the behaviours every state has (redis_conformance.test.ts): fencing, lease
// expiry and heartbeats, the outbox between shards when a process dies between its two steps, the seen set's
// buckets, the cluster found from any node, and the crawl's keys. Against real servers started here.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../../src/errors.ts";
import type { CrawlRequest } from "../../../src/records.ts";
import type { CrawlPlan, Lease, Outcome } from "../../../src/state/crawl_state.ts";
import { RedisCrawlState, type RedisCrawlStateOptions } from "../../../src/state/redis/redis_state.ts";
import { GRANT_SIZE } from "../../../src/state/redis/budget.ts";
import { LAYOUT } from "../../../src/state/redis/keys.ts";
import { keySlot, shardOf, shardTags, siteOf } from "../../../src/state/redis/shards.ts";
import { pageRecord } from "../../helpers/page.ts";
import { NO_REDIS, startRedis, type TestRedis } from "../../helpers/redis.ts";
import { startCluster, type TestCluster } from "../../helpers/redis_cluster.ts";
import { DEFINITION } from "../crawl_state_conformance.ts";

let redis: TestRedis;
let small: TestRedis;
let cluster: TestCluster;
before(async () => {
  if (NO_REDIS !== false) return;
  // `small` keeps sets as intsets up to 64 members only, so that the seen set's buckets split at test sizes.
  [redis, small, cluster] = await Promise.all([startRedis(), startRedis({ extra: ["--set-max-intset-entries", "64"] }), startCluster()]);
});
after(async () => {
  await Promise.all([redis?.stop(), small?.stop(), cluster?.stop()]);
});

const options = { skip: NO_REDIS };
let crawls = 0;


const request = (url: string, depth = 0): CrawlRequest => ({ url, depth });

function plan(start: readonly CrawlRequest[], overrides: Partial<CrawlPlan> = {}): CrawlPlan {
  return {
    start,
    maxPages: Infinity,
    definition: { ...DEFINITION, start: start.map((r) => r.url) },
    politeness: { perHost: Infinity, intervalMs: 0 },
    ...overrides,
  };
}

const finished = (lease: Lease, found: readonly CrawlRequest[] = []): Outcome => ({ record: pageRecord(lease.url, { depth: lease.depth }), found });

/** `count` states of one new crawl on `url`, disconnected and the crawl removed after `body`. */
async function withStates(
  url: string,
  count: number,
  body: (states: RedisCrawlState[], id: string) => Promise<void>,
  extra: Partial<RedisCrawlStateOptions> = {},
): Promise<void> {
  const crawlId = `t${++crawls}`;
  const states: RedisCrawlState[] = [];
  try {
    for (let i = 0; i < count; i++) states.push(await RedisCrawlState.connect({ url, crawlId, ...extra }));
    await body(states, crawlId);
  } finally {
    for (const state of states) await state.disconnect();
    await RedisCrawlState.remove(url, crawlId);
  }
}

test("a commit with a lease taken back after its deadline is refused, and nothing of it is kept", options, () =>
  withStates(
    redis.url,
    2,
    async ([a, b], id) => {
      await a!.open(plan([request("http://a.test/")]));
      await b!.open(plan([]));
      const [stale] = (await a!.lease(1)).leases;
      await a!.close(); // a stalls: its heartbeat stops, its connection stays
      await sleep(400); // past the deadline: a looks dead
      const [fresh] = (await b!.lease(1)).leases;
      assert.equal(fresh!.url, stale!.url);
      assert.notEqual(fresh!.token, stale!.token, "a new fencing token");
      const late = await a!.commit(stale!, finished(stale!, [request("http://a.test/next", 1)]), 1);
      assert.equal(late.accepted, false);
      assert.deepEqual([late.admitted, late.leases], [0, []]);
      const current = await b!.commit(fresh!, finished(fresh!, [request("http://a.test/next", 1)]), 0);
      assert.equal(current.accepted, true);
      assert.equal(current.admitted, 1);
      assert.deepEqual(current.counts, { admitted: 2, done: 1, errors: 0, queued: 1, leased: 0, started: 1 }, "the lease taken back was no second start");
      assert.equal(redis.cli("HLEN", `rxcrawl:{${id}}:log:${a!.worker}`).trim(), "0", "no record of the refused commit");
      assert.equal(redis.cli("HLEN", `rxcrawl:{${id}}:log:${b!.worker}`).trim(), "1");
    },
    { leaseMs: 300, keepRecords: true },
  ),
);

test("a lease whose holder beats outlives the lease time; one whose holder stops goes back to the front of its host", options, () =>
  withStates(
    redis.url,
    2,
    async ([a, b]) => {
      await a!.open(plan(["/1", "/2", "/3"].map((path) => request(`http://a.test${path}`))));
      await b!.open(plan([]));
      const [first] = (await a!.lease(1)).leases;
      assert.equal(first!.url, "http://a.test/1");
      await sleep(700); // over twice the lease time; a's heartbeat (every 100 ms) keeps it
      const [second] = (await b!.lease(1)).leases;
      assert.equal(second!.url, "http://a.test/2", "the first is still a's");
      assert.equal((await a!.commit(first!, finished(first!), 0)).accepted, true);
      await b!.close(); // b stops beating
      await sleep(400);
      const again = await a!.lease(2);
      assert.deepEqual(again.leases.map((lease) => lease.url), ["http://a.test/2", "http://a.test/3"], "b's request first, then the host's next");
    },
    { leaseMs: 300 },
  ),
);

test("a lease given back by release() goes to the front of its host, before its shallower pages", options, () =>
  withStates(redis.url, 1, async ([a]) => {
    await a!.open(plan([request("http://a.test/0")]));
    const [root] = (await a!.lease(1)).leases;
    await a!.commit(root!, finished(root!, ["/1", "/2"].map((path) => request(`http://a.test${path}`, 1))), 0);
    const [one] = (await a!.lease(1)).leases;
    await a!.commit(one!, finished(one!, [request("http://a.test/deep", 2)]), 0);
    const [two] = (await a!.lease(1)).leases;
    await a!.release([two!]);
    assert.deepEqual((await a!.lease(3)).leases.map((lease) => lease.url), ["http://a.test/2", "http://a.test/deep"]);
  }),
);

test("a worker that dies amid delivering its outbox loses and repeats nothing: another delivers what is left, once", options, async () => {
  const crawlId = `t${++crawls}`;
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-outbox-"));
  const source = (path: string) => JSON.stringify(fileURLToPath(new URL(`../../../src/state/redis/${path}`, import.meta.url)));
  // A worker's real commit step, then the delivery of half its outbox entries, then SIGKILL: the entries applied
  // and those not are all still in its outbox.
  const script = join(dir, "dies.mts");
  writeFileSync(
    script,
    `import { RedisCrawlState } from ${source("redis_state.ts")};
import { connectRedis } from ${source("connection.ts")};
import { CrawlShards } from ${source("crawl_shards.ts")};
import { routeFound } from ${source("outbox.ts")};
import { APPLY, COMMIT } from ${source("scripts/shard_scripts.ts")};
const url = ${JSON.stringify(cluster.url)};
const crawlId = ${JSON.stringify(crawlId)};
const state = await RedisCrawlState.connect({ url, crawlId });
const definition = ${JSON.stringify({ ...DEFINITION, start: ["http://root.test/"] })};
await state.open({ start: [{ url: "http://root.test/", depth: 0 }], maxPages: Infinity, definition, politeness: { perHost: Infinity, intervalMs: 0 } });
const [lease] = (await state.lease(1)).leases;
const shards = new CrawlShards(await connectRedis(url), crawlId, 16, state.worker, { perHost: Infinity, intervalMs: 0, budget: "none", splitAt: 512 });
const shard = Number(lease.token.split(".")[0]);
const found = Array.from({ length: 30 }, (_, i) => ({ url: "http://h" + i + ".test/", depth: 1 }));
const { local, outgoing } = routeFound(shards, shard, found);
const payloads = [...outgoing].flatMap(([target, lines]) => [target, lines.join("\\n")]);
const [, , entries] = await shards.step(shard, COMMIT, [lease.token, 0, 30000, "f", "", 0, "", "0", lease.url, "", "0", local.length / 5, ...local, outgoing.size, ...payloads]);
for (let i = 0; i < entries.length / 2; i += 2) {
  const [target, seq] = entries[i].split(":");
  await shards.step(Number(target), APPLY, [shard, seq, entries[i + 1]]);
}
process.kill(process.pid, "SIGKILL");
`,
  );
  try {
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "ignore", "inherit"] });
    const [, signal] = (await once(child, "exit")) as [number | null, string | null];
    assert.equal(signal, "SIGKILL");
    const state = await RedisCrawlState.connect({ url: cluster.url, crawlId });
    try {
      await state.open(plan([]));
      const seen: string[] = [];
      let over = false;
      for (let tries = 0; tries < 400 && !over; tries++) {
        const batch = await state.lease(40);
        for (const lease of batch.leases) {
          seen.push(lease.url);
          await state.commit(lease, finished(lease), 0);
        }
        over = batch.over;
        if (batch.leases.length === 0 && !over) await sleep(25);
      }
      assert.equal(over, true);
      assert.deepEqual(seen.sort(), Array.from({ length: 30 }, (_, i) => `http://h${i}.test/`).sort(), "every link of the dead worker's page, once");
      assert.deepEqual((await state.lease(1)).counts, { admitted: 31, done: 31, errors: 0, queued: 0, leased: 0, started: 31 });
    } finally {
      await state.disconnect();
      await RedisCrawlState.remove(cluster.url, crawlId);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an outbox entry delivered twice is applied once: a fetch that moved to another shard waits there once", options, async () => {
  const crawlId = `t${++crawls}`;
  const { connectRedis } = await import("../../../src/state/redis/connection.ts");
  const { CrawlShards } = await import("../../../src/state/redis/crawl_shards.ts");
  const { APPLY } = await import("../../../src/state/redis/scripts/shard_scripts.ts");
  const connection = await connectRedis(cluster.url);
  const state = await RedisCrawlState.connect({ url: cluster.url, crawlId });
  try {
    await state.open(plan([request("http://root.test/")]));
    const shards = new CrawlShards(connection, crawlId, 16, "w9", { perHost: Infinity, intervalMs: 0, budget: "none", splitAt: 512 });
    const host = "moved.test";
    const target = shards.of(host);
    const payload = `M ${host} 0 0\thttp://root.test/x\t\t\t{"redirects":["http://moved.test/"],"requests":1,"retries":0,"wireBytes":10,"tries":0}`;
    const source = (target + 1) % 16;
    const [first] = await shards.step(target, APPLY, [source, 1, payload]);
    const [second] = await shards.step(target, APPLY, [source, 1, payload]);
    assert.deepEqual([first, second], [1, 0], "applied, then known");
    assert.equal(shards.summaries[target]!.counts.queued, 1);
    const leased: Lease[] = [];
    for (let tries = 0; tries < 40 && leased.length < 2; tries++) {
      leased.push(...(await state.lease(5)).leases);
      await sleep(25);
    }
    assert.deepEqual(leased.map((lease) => lease.url).sort(), ["http://root.test/", "http://root.test/x"], "the start, and the fetch moved, once");
    assert.deepEqual(leased.find((lease) => lease.url.endsWith("/x"))!.progress?.redirects, ["http://moved.test/"]);
  } finally {
    await state.disconnect();
    await connection.close();
    await RedisCrawlState.remove(cluster.url, crawlId);
  }
});

test("the seen set splits a bucket before it outgrows an intset: 30,000 URLs are 30,000 members, every bucket an intset", options, () =>
  withStates(small.url, 1, async ([a], id) => {
    await a!.open(plan([request("http://a.test/")]));
    const [root] = (await a!.lease(1)).leases;
    const links = Array.from({ length: 30_000 }, (_, i) => request(`http://a.test/page/${i}`, 1));
    const result = await a!.commit(root!, finished(root!, links), 0);
    assert.equal(result.admitted, 30_000);
    // Every bucket's size and encoding, in one call.
    const census =
      "local n, big, other, keys = 0, 0, 0, redis.call('KEYS', ARGV[1]) for _, key in ipairs(keys) do local c = redis.call('SCARD', key) " +
      "n = n + c if c > big then big = c end if redis.call('OBJECT', 'ENCODING', key) ~= 'intset' then other = other + 1 end end return {n, big, other, #keys}";
    const [members, largest, notIntset, buckets] = small.cli("EVAL", census, "0", `rxcrawl:{${id}}:s:*`).trim().split("\n").map(Number);
    assert.equal(members, 30_001);
    assert.equal(notIntset, 0, "every bucket is an intset");
    assert.ok(largest! <= 64, `the largest bucket holds ${largest}`);
    assert.ok(buckets! > 30_001 / 64, `${buckets} buckets`);
    const again = await a!.commit((await a!.lease(1)).leases[0]!, finished(root!, [...links.slice(0, 100), request("http://a.test/new", 1)]), 0);
    assert.equal(again.admitted, 1, "the URLs seen are all found again; only the new one is admitted");
    assert.equal(await a!.claim("http://a.test/page/29999"), false);
    assert.equal(await a!.claim("http://a.test/page/30000"), true);
  }),
);

test("keySlot() computes Redis's own slots, and a crawl's 16 shards spread over the three masters", options, () => {
  for (const tag of ["books", "t1", "books/3.0", "a-b_c:d", "é"]) assert.equal(keySlot(tag), Number(cluster.nodes[0]!.cli("CLUSTER", "KEYSLOT", tag).trim()), tag);
  const masters = cluster.nodes[0]!.cli("CLUSTER", "SHARDS");
  assert.ok(masters.length > 0);
  const ranges = cluster.nodes.map((node) => {
    const line = node.cli("CLUSTER", "NODES").split("\n").find((row) => row.includes("myself"))!;
    const [from, to] = line.trim().split(" ").at(-1)!.split("-").map(Number);
    return [from!, to!] as const;
  });
  const perMaster = ranges.map(([from, to]) => shardTags("books", 16).filter((tag) => keySlot(tag) >= from && keySlot(tag) <= to).length);
  assert.equal(perMaster.reduce((a, b) => a + b), 16);
  for (const count of perMaster) assert.ok(count >= 5 && count <= 6, `shards per master: ${perMaster.join(", ")}`);
  assert.equal(shardOf("a.test", 1), 0);
  assert.equal(shardOf("a.test", 16), shardOf("a.test", 16));
});

test("siteOf() is a host's registrable domain, or the host where it has none; the hosts of a site share its shard", () => {
  const sites = ["www.example.com:8080", "a.b.co.uk", "Shop.Example.COM", "127.0.0.2:8080", "[::1]:80", "localhost", "site1.test"].map(siteOf);
  assert.deepEqual(sites, ["example.com", "b.co.uk", "example.com", "127.0.0.2", "::1", "localhost", "site1.test"]);
  assert.equal(shardOf("www.example.com", 16), shardOf("shop.example.com:8443", 16));
  const shards = new Set(Array.from({ length: 64 }, (_, i) => shardOf(`www.site${i}.com`, 16)));
  assert.ok(shards.size >= 12, `64 sites over ${shards.size} of 16 shards`);
});

test("--redis given any node of a cluster finds it; remove() deletes every key of the crawl on every master and no other", options, async () => {
  const other = `t${++crawls}`;
  await withStates(cluster.nodes[2]!.url, 1, async ([a], id) => {
    assert.equal(a!.cluster, true);
    const start = Array.from({ length: 40 }, (_, i) => request(`http://h${i}.test/`));
    await a!.open(plan(start));
    const keep = await RedisCrawlState.connect({ url: cluster.nodes[1]!.url, crawlId: other });
    try {
      await keep.open(plan([request("http://kept.test/")]));
      const count = (pattern: string) =>
        cluster.nodes.reduce((sum, node) => sum + node.cli("--scan", "--pattern", pattern).split("\n").filter(Boolean).length, 0);
      const before = count(`rxcrawl:{${id}[}/]*`);
      assert.ok(count(`rxcrawl:{${id}/*`) > 0, "shard keys");
      assert.ok(cluster.nodes.every((node) => node.cli("--scan", "--pattern", `rxcrawl:{${id}/*`).trim() !== ""), "on every master");
      assert.equal(await RedisCrawlState.remove(cluster.url, id), before);
      assert.equal(count(`rxcrawl:{${id}[}/]*`), 0);
      assert.ok(count(`rxcrawl:{${other}[}/]*`) > 0, "the other crawl is kept");
    } finally {
      await keep.disconnect();
      await RedisCrawlState.remove(cluster.url, other);
    }
  });
});

test("a crawl defined otherwise, a crawl without start requests and a server that cannot be reached are refused in one line", options, async () => {
  await withStates(redis.url, 2, async ([a, b], id) => {
    await a!.open(plan([request("http://a.test/")]));
    const other = plan([], { definition: { ...DEFINITION, follow: { selector: "h1 a" } } });
    await assert.rejects(b!.open(other), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, `Cannot continue crawl "${id}" in ${redis.url}: follow differs (it has {"selector":"a[href]"}, got {"selector":"h1 a"})`);
      return true;
    });
  });
  await withStates(redis.url, 1, async ([a], id) => {
    await assert.rejects(a!.open(plan([])), { name: "UsageError", message: `No crawl "${id}" in ${redis.url}: the first process of a crawl must give its start URLs` });
  });
  await withStates(redis.url, 1, async ([a], id) => {
    await a!.open(plan([request("http://a.test/")]));
    const four = await RedisCrawlState.connect({ url: redis.url, crawlId: id, shards: 4 });
    try {
      await assert.rejects(four.open(plan([])), { name: "UsageError", message: `Cannot join the crawl "${id}" in ${redis.url} with 4 shards: it has 1` });
    } finally {
      await four.disconnect();
    }
  });
  const down = await startRedis();
  await down.stop();
  await assert.rejects(RedisCrawlState.connect({ url: down.url, crawlId: "x" }), { message: `Cannot reach Redis at ${down.url}: ECONNREFUSED` });
  await assert.rejects(RedisCrawlState.connect({ url: "http://127.0.0.1/", crawlId: "x" }), {
    name: "UsageError",
    message: 'Expected a Redis URL like redis://host:6379/0, got "http://127.0.0.1/"',
  });
  await assert.rejects(RedisCrawlState.connect({ url: redis.url, crawlId: "a b" }), { name: "UsageError" });
  await assert.rejects(RedisCrawlState.connect({ url: redis.url, crawlId: "x", shards: 0 }), {
    name: "UsageError",
    message: "Expected shards to be a positive integer, got 0",
  });
});

/** Leases and commits with `state` until the crawl is over for it; each page links to `links(lease, round)`. */
async function crawlWith(state: RedisCrawlState, links: (lease: Lease, round: number) => CrawlRequest[] = () => []): Promise<string[]> {
  const committed: string[] = [];
  for (let round = 0; round < 400; round++) {
    const batch = await state.lease(4);
    for (const lease of batch.leases) {
      if ((await state.commit(lease, finished(lease, links(lease, round)), 0)).accepted) committed.push(lease.url);
    }
    if (batch.over) return committed;
    if (batch.leases.length === 0) await sleep(Math.min(Number.isFinite(batch.readyIn) ? batch.readyIn + 1 : 25, 50));
  }
  const { counts } = await state.lease(0);
  throw new Error(`the crawl did not end: ${JSON.stringify(counts)} after ${committed.length} commits`);
}

test("two processes on a crawl over several shards start --max-pages requests over all of them and admit every link; a crawl without one refuses one later", options, () =>
  withStates(cluster.url, 2, async ([a, b], id) => {
    const start = Array.from({ length: 10 }, (_, i) => request(`http://h${i}.test/`));
    await a!.open(plan(start, { maxPages: 25 }));
    await b!.open(plan([], { maxPages: 25 }));
    // Five new links a page, over twelve hosts.
    const links = (lease: Lease, round: number) =>
      Array.from({ length: 5 }, (_, i) => request(`http://h${(i + round) % 12}.test/${lease.url.replace(/\W/g, "_")}-${i}`, 1));
    const committed = (await Promise.all([crawlWith(a!, links), crawlWith(b!, links)])).flat();
    assert.equal(committed.length, 25);
    assert.equal(new Set(committed).size, 25);
    const { counts } = await a!.lease(1);
    assert.equal(counts.started, 25);
    assert.equal(counts.done, 25);
    assert.equal(counts.admitted, 10 + 25 * 5, "every link admitted");
    assert.equal(counts.queued, counts.admitted - 25, "what never started waits");
    await b!.close();
    const unlimited = `${id}-free`;
    const c = await RedisCrawlState.connect({ url: cluster.url, crawlId: unlimited });
    const d = await RedisCrawlState.connect({ url: cluster.url, crawlId: unlimited });
    try {
      await c.open(plan(start));
      await assert.rejects(d.open(plan([], { maxPages: 5 })), {
        name: "UsageError",
        message: `Cannot set maxPages on the crawl "${unlimited}" in ${cluster.url}: it is spread over 16 shards without one, which admit on their own`,
      });
    } finally {
      await c.disconnect();
      await d.disconnect();
      await RedisCrawlState.remove(cluster.url, unlimited);
    }
  }),
);

test("a process that dies holding a grant of starts costs the crawl exactly the starts it had not made: never more than maxPages, at most GRANT_SIZE short", options, async () => {
  const crawlId = `t${++crawls}`;
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-grant-"));
  const start = Array.from({ length: 30 }, (_, i) => request(`http://h${i}.test/`));
  const maxPages = 40;
  // A process that opens the crawl, leases five requests (its first grant is GRANT_SIZE starts, of which it makes
  // five), and is killed holding the rest and the five leases.
  const script = join(dir, "dies.mts");
  const source = JSON.stringify(fileURLToPath(new URL("../../../src/state/redis/redis_state.ts", import.meta.url)));
  writeFileSync(
    script,
    `import { RedisCrawlState } from ${source};
const state = await RedisCrawlState.connect({ url: ${JSON.stringify(cluster.url)}, crawlId: ${JSON.stringify(crawlId)}, leaseMs: 300 });
await state.open({ ...${JSON.stringify(plan(start, { maxPages }))}, politeness: { perHost: Infinity, intervalMs: 0 } });
const { leases } = await state.lease(5);
process.stdout.write(String(leases.length));
process.kill(process.pid, "SIGKILL");
`,
  );
  try {
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
    let leased = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (leased += chunk));
    const [, signal] = (await once(child, "exit")) as [number | null, string | null];
    assert.equal(signal, "SIGKILL");
    assert.equal(leased, "5");
    const state = await RedisCrawlState.connect({ url: cluster.url, crawlId });
    try {
      await state.open(plan([], { maxPages }));
      const committed = await crawlWith(state);
      const lost = GRANT_SIZE - 5;
      assert.equal(committed.length, maxPages - lost, "the five the dead process started are fetched again, not counted again");
      assert.deepEqual((await state.lease(1)).counts, { admitted: 30, done: maxPages - lost, errors: 0, queued: 30 - (maxPages - lost), leased: 0, started: maxPages - lost });
    } finally {
      await state.disconnect();
      await RedisCrawlState.remove(cluster.url, crawlId);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a process joining a crawl of several shards whose first process died while placing its start URLs places them", options, async () => {
  const crawlId = `t${++crawls}`;
  const { connectRedis } = await import("../../../src/state/redis/connection.ts");
  const { CrawlShards } = await import("../../../src/state/redis/crawl_shards.ts");
  const { OPEN } = await import("../../../src/state/redis/scripts/shard_scripts.ts");
  const connection = await connectRedis(cluster.url);
  const start = [request("http://a.test/"), request("http://b.test/")];
  const joiner = await RedisCrawlState.connect({ url: cluster.url, crawlId });
  try {
    // The first step of a first process, alone: the crawl made, "opening", its start URLs not placed yet.
    const crawlTag = new CrawlShards(connection, crawlId, 1, "w0", { perHost: Infinity, intervalMs: 0, budget: "local", splitAt: 512 });
    const definition = JSON.stringify({ ...DEFINITION, start: start.map((r) => r.url) });
    await crawlTag.run(0, OPEN, [definition, LAYOUT, 16, "inf", "inf", 0, 512, start.length]);
    const opened = await joiner.open(plan([]));
    assert.equal(opened.continued, true);
    assert.deepEqual(opened.counts.admitted, 2);
    const leased: Lease[] = [];
    for (let tries = 0; tries < 20 && leased.length < 2; tries++) leased.push(...(await joiner.lease(2)).leases);
    assert.deepEqual(leased.map((lease) => lease.url).sort(), ["http://a.test/", "http://b.test/"]);
  } finally {
    await joiner.disconnect();
    await connection.close();
    await RedisCrawlState.remove(cluster.url, crawlId);
  }
});
