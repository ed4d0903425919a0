import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import type { CrawlPlan } from "../../../src/state/crawl_state.ts";
import type { CrawlDefinition } from "../../../src/state/crawl_definition.ts";
import { crawlKeys } from "../../../src/state/redis/keys.ts";
import { RedisCrawlState } from "../../../src/state/redis/redis_state.ts";
import { UsageError } from "../../../src/errors.ts";
import type { PageRecord } from "../../../src/records.ts";
import { pageRecord } from "../../helpers/page.ts";
import { NO_REDIS, startRedis, type TestRedis } from "../../helpers/redis.ts";

let redis: TestRedis;
let crawls = 0;
before(async () => {
  if (NO_REDIS === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const DEFINITION: CrawlDefinition = {
  start: ["http://a.test/"],
  follow: { selector: "a[href]" },
  extract: null,
  hosts: ["a.test"],
  allow: [],
  deny: [],
  maxDepth: null,
  sitemap: false,
};

function plan(overrides: Partial<CrawlPlan> = {}): CrawlPlan {
  return {
    start: [{ url: "http://a.test/", depth: 0 }],
    maxPages: Infinity,
    definition: DEFINITION,
    politeness: { perHost: Infinity, intervalMs: 0 },
    ...overrides,
  };
}

function record(url: string, depth = 0, error = ""): PageRecord {
  return pageRecord(url, {
    depth,
    status: error === "" ? 200 : 500,
    contentType: "text/html",
    error,
    errorCode: error === "" ? "" : "EHTTP",
    wireBytes: 100,
    responseMs: 5,
    bytes: 1000,
    fetchedAt: "2026-11-25T00:00:00.000Z",
    title: "t",
  });
}

/** Two or more states sharing a new crawl, each opened in turn; all closed after `body`. */
async function shared(count: number, body: (states: RedisCrawlState[], id: string) => Promise<void>, leaseMs = 30_000): Promise<void> {
  const id = `t${++crawls}`;
  const states: RedisCrawlState[] = [];
  try {
    for (let i = 0; i < count; i++) states.push(await RedisCrawlState.connect({ url: redis.url, crawlId: id, leaseMs }));
    await body(states, id);
  } finally {
    for (const state of states) {
      await state.close();
      await state.disconnect();
    }
  }
}

const options = { skip: NO_REDIS };

test("RedisCrawlState hands out each request once over two processes, and is over only when none is queued or leased", options, () =>
  shared(2, async ([a, b]) => {
    const opened = await a!.open(plan({ start: ["/", "/x", "/y"].map((path) => ({ url: `http://a.test${path}`, depth: 0 })) }));
    assert.equal(opened.continued, false);
    assert.deepEqual(opened.counts, { admitted: 3, done: 0, errors: 0, queued: 3, leased: 0 });
    const joined = await b!.open(plan({ start: [] }));
    assert.equal(joined.continued, true);
    const first = await a!.lease(2);
    const second = await b!.lease(2);
    assert.deepEqual([...first.leases, ...second.leases].map((lease) => lease.url).sort(), ["http://a.test/", "http://a.test/x", "http://a.test/y"]);
    assert.equal(new Set([...first.leases, ...second.leases].map((lease) => lease.token)).size, 3);
    assert.equal(second.over, false, "requests are leased: not over");
    const empty = await a!.lease(5);
    assert.deepEqual([empty.leases.length, empty.over], [0, false]);
    for (const lease of first.leases) assert.equal((await a!.commit(lease, { record: record(lease.url), found: [] }, 0)).accepted, true);
    const last = second.leases[0]!;
    const result = await b!.commit(last, { record: record(last.url, 0, "HTTP 500"), found: [] }, 0);
    assert.deepEqual(result.counts, { admitted: 3, done: 3, errors: 1, queued: 0, leased: 0 });
    assert.equal((await a!.lease(5)).over, true);
    assert.equal((await b!.lease(5)).over, true);
  }),
);

test("RedisCrawlState refuses the commit of a lease taken back after its deadline, and the page is committed once", options, () =>
  shared(
    2,
    async ([a, b], id) => {
      await a!.open(plan());
      await b!.open(plan({ start: [] }));
      const [stale] = (await a!.lease(1)).leases;
      await a!.close(); // a stalls: its heartbeat stops, its connection stays
      await sleep(400); // past the deadline: a looks dead
      const [fresh] = (await b!.lease(1)).leases;
      assert.equal(fresh!.url, stale!.url);
      assert.notEqual(fresh!.token, stale!.token, "a new fencing token");
      const late = await a!.commit(stale!, { record: record(stale!.url), found: [{ url: "http://a.test/next", depth: 1 }] }, 0);
      assert.deepEqual(late, { accepted: false, admitted: 0, leases: [] });
      const current = await b!.commit(fresh!, { record: record(fresh!.url), found: [{ url: "http://a.test/next", depth: 1 }] }, 0);
      assert.equal(current.accepted, true);
      assert.equal(current.admitted, 1);
      const keys = crawlKeys(id);
      assert.equal(redis.cli("LLEN", keys.log(a!.worker)).trim(), "0", "nothing of the refused commit is kept");
      assert.equal(redis.cli("LLEN", keys.log(b!.worker)).trim(), "1");
      assert.equal(redis.cli("HGET", keys.counts, "done").trim(), "1");
    },
    300,
  ),
);

test("RedisCrawlState keeps a lease whose holder beats, past the lease time", options, () =>
  shared(
    2,
    async ([a, b]) => {
      await a!.open(plan());
      await b!.open(plan({ start: [] }));
      const [lease] = (await a!.lease(1)).leases;
      await sleep(700); // over twice the lease time; a's heartbeat (every 100 ms) keeps it
      assert.equal((await b!.lease(1)).leases.length, 0);
      assert.equal((await a!.commit(lease!, { record: record(lease!.url), found: [] }, 0)).accepted, true);
    },
    300,
  ),
);

test("RedisCrawlState admits a link once over all processes, and no more URLs than maxPages in all", options, () =>
  shared(2, async ([a, b]) => {
    await a!.open(plan({ maxPages: 4 }));
    await b!.open(plan({ start: [] }));
    const [root] = (await a!.lease(1)).leases;
    const links = ["/1", "/2", "/1", "/3", "/4", "/5"].map((path) => ({ url: `http://a.test${path}`, depth: 1 }));
    const committed = await a!.commit(root!, { record: record(root!.url), found: links }, 0);
    assert.equal(committed.admitted, 3, "/1 once, then /2 and /3 up to 4 URLs in all");
    assert.equal(await b!.claim("http://a.test/2"), false, "a URL admitted is seen by every process");
    assert.equal(await b!.claim("http://a.test/redirected"), true);
    assert.equal(await a!.claim("http://a.test/redirected"), false);
    const batch = await b!.lease(10);
    assert.deepEqual(batch.leases.map((lease) => [lease.url, lease.depth]), [
      ["http://a.test/1", 1],
      ["http://a.test/2", 1],
      ["http://a.test/3", 1],
    ]);
  }),
);

test("RedisCrawlState.commit() leases the requests that take the page's place in the same call", options, () =>
  shared(1, async ([a]) => {
    await a!.open(plan());
    const [root] = (await a!.lease(1)).leases;
    const links = ["/1", "/2", "/3"].map((path) => ({ url: `http://a.test${path}`, depth: 1 }));
    const result = await a!.commit(root!, { record: record(root!.url), found: links }, 2);
    assert.deepEqual(result.leases.map((lease) => [lease.url, lease.depth]), [
      ["http://a.test/1", 1],
      ["http://a.test/2", 1],
    ]);
    assert.deepEqual(result.counts, { admitted: 4, done: 1, errors: 0, queued: 1, leased: 2 });
  }),
);

test("RedisCrawlState.release() puts requests back first in line", options, () =>
  shared(1, async ([a]) => {
    await a!.open(plan({ start: ["/1", "/2", "/3"].map((path) => ({ url: `http://a.test${path}`, depth: 0 })) }));
    const [one, two] = (await a!.lease(2)).leases;
    await a!.release([two!]);
    assert.deepEqual((await a!.lease(3)).leases.map((lease) => lease.url), ["http://a.test/2", "http://a.test/3"]);
    assert.equal(one!.url, "http://a.test/1");
  }),
);

test("RedisCrawlState refuses to continue a crawl defined otherwise, naming what differs", options, () =>
  shared(2, async ([a, b], id) => {
    await a!.open(plan());
    const other = plan({ start: [], definition: { ...DEFINITION, follow: { selector: "h1 a" } } });
    await assert.rejects(b!.open(other), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        `Cannot continue crawl "${id}" in ${redis.url}: follow differs (it has {"selector":"a[href]"}, got {"selector":"h1 a"})`,
      );
      return true;
    });
  }),
);

test("RedisCrawlState refuses to start a crawl without start requests", options, () =>
  shared(1, async ([a], id) => {
    await assert.rejects(a!.open(plan({ start: [] })), {
      name: "UsageError",
      message: `No crawl "${id}" in ${redis.url}: the first process of a crawl must give its start URLs`,
    });
  }),
);

test("RedisCrawlState.connect() names a server that cannot be reached, and a URL that is not Redis's", options, async () => {
  const down = await startRedis();
  const url = down.url;
  await down.stop();
  await assert.rejects(RedisCrawlState.connect({ url, crawlId: "x" }), { message: `Cannot reach Redis at ${url}: ECONNREFUSED` });
  await assert.rejects(RedisCrawlState.connect({ url: "http://127.0.0.1/", crawlId: "x" }), {
    name: "UsageError",
    message: 'Expected a Redis URL like redis://host:6379/0, got "http://127.0.0.1/"',
  });
  await assert.rejects(RedisCrawlState.connect({ url: redis.url, crawlId: "a b" }), { name: "UsageError" });
});

test("a process that opens a crawl after one died hands the dead one's unwritten records out with its first lease", options, async () => {
  const id = `t${++crawls}`;
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-take-over-"));
  try {
    // A real process commits a page and dies (SIGKILL) before it writes the row: its file stays empty.
    const script = join(dir, "dies.mts");
    const module = fileURLToPath(new URL("../../../src/state/redis/redis_state.ts", import.meta.url));
    writeFileSync(
      script,
      `import { RedisCrawlState } from ${JSON.stringify(module)};
const state = await RedisCrawlState.connect({ url: ${JSON.stringify(redis.url)}, crawlId: ${JSON.stringify(id)}, output: ${JSON.stringify(join(dir, "pages.csv"))} });
const plan = { start: [{ url: "http://a.test/", depth: 0 }], maxPages: Infinity, definition: ${JSON.stringify(DEFINITION)} };
await state.open({ ...plan, politeness: { perHost: Infinity, intervalMs: 0 } });
const [lease] = (await state.lease(1)).leases;
await state.commit(lease!, { record: ${JSON.stringify(record("http://a.test/"))}, found: [] }, 0);
process.kill(process.pid, "SIGKILL");
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "ignore", "inherit"] });
    const [, signal] = (await once(child, "exit")) as [number | null, string | null];
    assert.equal(signal, "SIGKILL");
    const state = await RedisCrawlState.connect({ url: redis.url, crawlId: id, output: join(dir, "pages.csv") });
    try {
      const opened = await state.open(plan({ start: [] }));
      assert.deepEqual(opened.counts, { admitted: 1, done: 1, errors: 0, queued: 0, leased: 0 });
      const batch = await state.lease(4);
      assert.deepEqual((batch as typeof batch & { records?: PageRecord[] }).records?.map((taken) => taken.url), ["http://a.test/"], "the dead process's record, to write");
      assert.equal(batch.over, false, "not over before that record is written");
      assert.equal(redis.cli("LLEN", crawlKeys(id).log(state.worker)).trim(), "1", "now in this process's log");
    } finally {
      await state.close();
      await state.disconnect();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("RedisCrawlState.remove() deletes every key of one crawl and no other", options, async () => {
  await shared(1, async ([a], id) => {
    await a!.open(plan());
    await shared(1, async ([other]) => {
      await other!.open(plan());
      const before = Number(redis.cli("DBSIZE").trim());
      const removed = await RedisCrawlState.remove(redis.url, id);
      assert.ok(removed > 5, `removed ${removed} keys`);
      assert.equal(Number(redis.cli("DBSIZE").trim()), before - removed);
      assert.equal(redis.cli("KEYS", `rxcrawl:{${id}}:*`).trim(), "");
    });
  });
});

test("RedisCrawlState's seen set is exact: 20,000 distinct URLs are 20,000 members, in intset buckets", options, () =>
  shared(1, async ([a], id) => {
    await a!.open(plan());
    const [root] = (await a!.lease(1)).leases;
    const links = Array.from({ length: 20_000 }, (_, i) => ({ url: `http://a.test/page/${i}`, depth: 1 }));
    const result = await a!.commit(root!, { record: record(root!.url), found: links }, 0);
    assert.equal(result.admitted, 20_000);
    const keys = crawlKeys(id);
    // Every bucket's size and encoding, in one call.
    const census = "local n, other = 0, 0 for _, key in ipairs(redis.call('KEYS', ARGV[1])) do n = n + redis.call('SCARD', key) " +
      "if redis.call('OBJECT', 'ENCODING', key) ~= 'intset' then other = other + 1 end end return {n, other}";
    const [members, notIntset] = redis.cli("EVAL", census, "0", `rxcrawl:{${id}}:seen:*`).trim().split("\n").map(Number);
    assert.equal(members, 20_001);
    assert.equal(notIntset, 0, "every bucket is an intset");
    assert.equal(Number(redis.cli("LLEN", keys.queue).trim()), 20_000);
  }),
);
