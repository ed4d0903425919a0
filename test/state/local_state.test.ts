import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/errors.ts";
import type { CrawlPlan } from "../../src/state/crawl_state.ts";
import { CrawlJournal } from "../../src/state/journal.ts";
import { LocalCrawlState } from "../../src/state/local_state.ts";
import { pageRecord } from "../helpers/page.ts";
import { conformance } from "./crawl_state_conformance.ts";

conformance({
  name: "LocalCrawlState",
  shared: false,
  async crawl() {
    const dir = mkdtempSync(join(tmpdir(), "rxcrawl-local-state-"));
    const out = join(dir, "rows.jsonl");
    const first = await CrawlJournal.open(out);
    const journals = [first];
    const states = [new LocalCrawlState({ journal: first })];
    return {
      state: states[0]!,
      // The crawl continued after its state was closed: `--resume` of the same output (which a resume needs to exist).
      async another() {
        for (const journal of journals) journal.close();
        if (!existsSync(out)) writeFileSync(out, "");
        const journal = await CrawlJournal.open(out, { resume: true });
        journals.push(journal);
        const state = new LocalCrawlState({ journal });
        states.push(state);
        return state;
      },
      async dispose() {
        for (const state of states) await state.close();
        for (const journal of journals) journal.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

function plan(urls: string[], maxPages = Infinity): CrawlPlan {
  return {
    start: urls.map((url) => ({ url, depth: 0 })),
    maxPages,
    definition: { start: urls, follow: { selector: "a[href]" }, extract: null, hosts: "any", allow: [], deny: [], maxDepth: null, sitemap: false },
    politeness: { perHost: Infinity, intervalMs: 0 },
  };
}

async function withJournal(body: (out: string, journal: CrawlJournal) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-local-state-"));
  const out = join(dir, "rows.jsonl");
  const journal = await CrawlJournal.open(out);
  try {
    await body(out, journal);
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("LocalCrawlState marks its journal complete when the crawl ends with nothing left to fetch", () =>
  withJournal(async (_out, journal) => {
    const state = new LocalCrawlState({ journal });
    await state.open(plan(["http://a.test/"]));
    const [lease] = (await state.lease(1)).leases;
    assert.equal(journal.complete, false, "a lease is out");
    await state.commit(lease!, { record: pageRecord(lease!.url), found: [{ url: "http://a.test/next", depth: 1 }] }, 0);
    const [next] = (await state.lease(1)).leases;
    await state.commit(next!, { record: pageRecord(next!.url), found: [] }, 0);
    assert.equal(journal.complete, false, "not before the state is asked");
    assert.equal((await state.lease(1)).over, true);
    assert.equal(journal.complete, true);
    await state.close();
  }));

test("LocalCrawlState journals every link found once whatever maxPages, and leaves its journal incomplete when maxPages left some waiting", () =>
  withJournal(async (out, journal) => {
    const state = new LocalCrawlState({ journal });
    await state.open(plan(["http://a.test/"], 1));
    const [lease] = (await state.lease(1)).leases;
    const found = [1, 2, 1, 0].map((p) => ({ url: `http://a.test/${p}`, depth: 1 }));
    found[3] = { url: "http://a.test/", depth: 1 }; // the start URL, seen already
    const result = await state.commit(lease!, { record: pageRecord(lease!.url), found }, 0);
    assert.equal(result.admitted, 2);
    const end = await state.lease(1);
    assert.deepEqual(end.leases, [], "maxPages 1 is spent");
    assert.equal(end.over, true);
    assert.equal(journal.complete, false);
    const lines = readFileSync(`${out}.journal`, "utf8").split("\n").filter((line) => /^\d/.test(line));
    assert.deepEqual(lines, ["0\thttp://a.test/", "1\thttp://a.test/1", "1\thttp://a.test/2"]);
    await state.close();
  }));

test("LocalCrawlState resumed with a larger maxPages starts as many more as it allows beyond the rows written, an older journal's links found beyond included", () =>
  withJournal(async (out, journal) => {
    // A journal as an older version wrote it, links beyond maxPages on "b" lines, and the one row of its one page.
    writeFileSync(`${out}.journal`, "0\thttp://a.test/\nb\t1\thttp://a.test/1\nb\t1\thttp://a.test/2\nb\t1\thttp://a.test/3\n");
    writeFileSync(out, `${JSON.stringify({ url: "http://a.test/" })}\n`);
    journal.close();
    const resumed = await CrawlJournal.open(out, { resume: true });
    try {
      const state = new LocalCrawlState({ journal: resumed });
      const opened = await state.open(plan(["http://a.test/"], 3));
      assert.deepEqual(opened.counts, { admitted: 4, done: 1, errors: 0, queued: 3, leased: 0, started: 1 });
      const batch = await state.lease(5);
      assert.deepEqual(batch.leases.map((lease) => lease.url), ["http://a.test/1", "http://a.test/2"], "3 - 1 row: two more starts");
      for (const lease of batch.leases) await state.commit(lease, { record: pageRecord(lease.url), found: [] }, 0);
      const end = await state.lease(5);
      assert.equal(end.over, true);
      assert.equal(end.counts.queued, 1);
      await state.close();
    } finally {
      resumed.close();
    }
  }));

test("LocalCrawlState rejects a frontierMemory that is not a positive integer, naming it", () => {
  assert.throws(() => new LocalCrawlState({ frontierMemory: 0 }), new UsageError("Expected frontierMemory to be a positive integer, got 0"));
});

test("LocalCrawlState gives a host no start, leased or reserved, while its last one has not left", async () => {
  const state = new LocalCrawlState();
  await state.open({
    start: [{ url: "http://a.test/1", depth: 0 }, { url: "http://a.test/2", depth: 0 }],
    maxPages: Infinity,
    definition: { start: [], follow: { selector: "a[href]" }, extract: null, hosts: "any", allow: [], deny: [], maxDepth: null, sitemap: false },
    politeness: { perHost: Infinity, intervalMs: 100 },
  });
  try {
    const [first] = (await state.lease(1)).leases;
    assert.ok(first);
    let reserved: number | undefined;
    const reserving = state.reserve("a.test").then((wait) => (reserved = wait));
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(reserved, undefined, "the lease's request has not left: no start can be counted from it yet");
    assert.deepEqual((await state.lease(1)).leases, [], "nor leased");
    state.sent(first);
    await reserving;
    assert.ok(reserved! > 90, `the reserved start is an interval after the lease's request left (${reserved} ms)`);
    await new Promise((resolve) => setTimeout(resolve, reserved! + 150));
    assert.deepEqual((await state.lease(1)).leases, [], "the reserved start's request has not left either");
    state.sent({ url: "http://a.test/api.json", depth: 0 });
    await new Promise((resolve) => setTimeout(resolve, 110));
    assert.equal((await state.lease(1)).leases.length, 1);
  } finally {
    await state.close();
  }
});
