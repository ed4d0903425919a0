import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Frontier } from "../../src/state/frontier.ts";
import { UsageError } from "../../src/errors.ts";
import { type CrawlRequest, nextUrl } from "../../src/records.ts";
import { hostOf } from "../../src/url.ts";

function withDir(body: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "rxcrawl-frontier-test-"));
    try {
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const request = (host: string, page: string | number, depth = 0): CrawlRequest => ({ url: `http://${host}.test/${page}`, depth });
const urls = (requests: readonly CrawlRequest[]) => requests.map((r) => r.url);
const hosts = (requests: readonly CrawlRequest[]) => requests.map((r) => hostOf(nextUrl(r)));
const progress = { redirects: [], requests: 1, retries: 1, wireBytes: 10, tries: 1 };

test(
  "Frontier of 10,000 hosts keeps at most memoryLimit requests in memory, gives each back once in its host's order, and removes its files",
  withDir((dir) => {
    const limit = 1_000;
    const frontier = new Frontier({ memoryLimit: limit, dir });
    const HOSTS = 10_000;
    const pushed = new Map<string, string[]>(); // per host, in the order the frontier must give them back
    let most = 0;
    // Five requests a host, pushed host after host in rounds; the depth-0 ones come last, so the frontier must reorder.
    const rounds = [1, 1, 2, 0, 0];
    for (const [round, depth] of rounds.entries()) {
      for (let h = 0; h < HOSTS; h++) {
        frontier.push(request(`h${h}`, round, depth));
        most = Math.max(most, frontier.inMemory);
        assert.ok(frontier.inMemory <= limit, `${frontier.inMemory} requests in memory`);
      }
    }
    for (let h = 0; h < HOSTS; h++) pushed.set(`h${h}.test`, [3, 4, 0, 1, 2].map((round) => request(`h${h}`, round).url));
    assert.equal(frontier.size, HOSTS * rounds.length);
    assert.ok(frontier.files > 0, "the requests beyond the limit went to disk");
    assert.ok(readdirSync(dir).length === 1, "one folder of spill files");

    const given = new Map<string, string[]>();
    let count = 0;
    for (;;) {
      const batch = frontier.take(64);
      if (batch.length === 0) break;
      assert.ok(frontier.inMemory <= limit, `${frontier.inMemory} requests in memory after a take`);
      for (const taken of batch) {
        const host = hostOf(taken.url);
        given.set(host, [...(given.get(host) ?? []), taken.url]);
        frontier.done(taken);
        count++;
      }
    }
    assert.equal(count, HOSTS * rounds.length);
    assert.equal(frontier.size, 0);
    assert.deepEqual(given, pushed, "each host's requests once, shallower first, then first come");
    assert.equal(frontier.hosts, 0, "no host record is left");
    frontier.close();
    assert.deepEqual(readdirSync(dir), [], "the spill files are removed");
  }),
);

test(
  "Frontier deletes a spill file once every segment in it has been read, while requests come and go",
  withDir((dir) => {
    const frontier = new Frontier({ memoryLimit: 100, dir });
    let pushed = 0;
    let taken = 0;
    // Push two for each one taken, then drain: the frontier grows well past its memory, then empties.
    for (let round = 0; round < 20_000; round++) {
      frontier.push(request(`h${pushed % 50}`, pushed++));
      frontier.push(request(`h${pushed % 50}`, pushed++));
      for (const r of frontier.take(1)) {
        frontier.done(r);
        taken++;
      }
      assert.ok(frontier.inMemory <= 100);
    }
    assert.ok(frontier.files > 0);
    for (let batch = frontier.take(100); batch.length > 0; batch = frontier.take(100)) {
      for (const r of batch) frontier.done(r);
      taken += batch.length;
    }
    assert.equal(taken, pushed);
    const left = readdirSync(dir).flatMap((folder) => readdirSync(join(dir, folder)));
    assert.ok(left.length <= 1, `spill files left with nothing in them: ${left.join(" ")}`);
    frontier.close();
    assert.deepEqual(readdirSync(dir), []);
  }),
);

test("Frontier below its memory limit never touches the disk", withDir((dir) => {
  const frontier = new Frontier({ memoryLimit: 50_000, dir });
  for (let i = 0; i < 40_000; i++) frontier.push(request(`h${i % 3}`, i));
  assert.equal(frontier.inMemory, 40_000);
  assert.deepEqual(readdirSync(dir), []);
  frontier.close();
}));

test("Frontier.take() hands out the ready hosts in turn, one request each per pass", () => {
  const frontier = new Frontier();
  for (let i = 0; i < 5; i++) frontier.push(request("a", i));
  frontier.push(request("b", 0));
  frontier.push(request("b", 1));
  frontier.push(request("c", 0));
  assert.deepEqual(hosts(frontier.take(4, 0)), ["a.test", "b.test", "c.test", "a.test"]);
  assert.deepEqual(hosts(frontier.take(4, 0)), ["b.test", "a.test", "a.test", "a.test"]);
  assert.deepEqual(frontier.take(4, 0), []);
  assert.equal(frontier.readyIn(0), Infinity, "nothing waits");
});

test("Frontier gives hosts under way their turn before new ones, which fill what they leave of a pass", () => {
  // A crawl of many hosts comes back to a few at a time, while their connections are open, instead of going round all.
  const frontier = new Frontier({ intervalMs: 1000 });
  for (const host of ["a", "b"]) for (let i = 0; i < 3; i++) frontier.push(request(host, i));
  const first = frontier.take(1, 0);
  assert.deepEqual(urls(first), [request("a", 0).url]);
  frontier.sent(first[0]!, 0);
  frontier.done(first[0]!, 10);
  frontier.push(request("c", 0));
  assert.deepEqual(urls(frontier.take(1, 1000)), [request("a", 1).url], "a is under way: it goes before b and c, new and ready");
  assert.deepEqual(hosts(frontier.take(3, 1000)), ["b.test", "c.test"], "with a waiting for its interval, new hosts fill the pass");
  frontier.close();
});

test("Frontier counts a host new again once it went idle", () => {
  const frontier = new Frontier({ intervalMs: 100 });
  frontier.push(request("a", 0));
  frontier.push(request("b", 0));
  const [a] = frontier.take(1, 0);
  frontier.sent(a!, 0);
  frontier.done(a!, 0); // nothing of a waits or is taken: a is idle
  frontier.push(request("c", 0));
  frontier.push(request("a", 1));
  assert.deepEqual(hosts(frontier.take(3, 200)), ["b.test", "c.test", "a.test"], "a is new again: it goes after b and c, ready before it");
  frontier.close();
});

test("Frontier without an interval gives no host under way a second turn before the new ones had one", () => {
  const frontier = new Frontier();
  for (let i = 0; i < 3; i++) frontier.push(request("a", i));
  frontier.push(request("b", 0));
  assert.deepEqual(hosts([...frontier.take(1, 0), ...frontier.take(1, 0), ...frontier.take(1, 0)]), ["a.test", "b.test", "a.test"]);
  frontier.close();
});

test("Frontier spaces a host's starts by its interval and says when the next may start", () => {
  const frontier = new Frontier({ intervalMs: 500 });
  frontier.push(request("a", 1));
  frontier.push(request("a", 2));
  frontier.push(request("b", 1));
  const first = frontier.take(3, 1000);
  assert.deepEqual(urls(first), [request("a", 1).url, request("b", 1).url]);
  for (const taken of first) frontier.sent(taken, 1000); // their requests left at once
  assert.equal(frontier.readyIn(1000), 500);
  assert.deepEqual(frontier.take(3, 1499), []);
  assert.equal(frontier.readyIn(1200), 300);
  assert.deepEqual(urls(frontier.take(3, 1500)), [request("a", 2).url]);
});

test("Frontier holds each host to perHost requests taken at once; done() frees a place", () => {
  const frontier = new Frontier({ perHost: 2 });
  for (let i = 0; i < 4; i++) frontier.push(request("a", i));
  frontier.push(request("b", 0));
  const first = frontier.take(10, 0);
  assert.deepEqual(hosts(first), ["a.test", "b.test", "a.test"]);
  assert.deepEqual(frontier.take(10, 0), []);
  assert.equal(frontier.readyIn(0), Infinity, "only a done request can free a.test");
  frontier.done(first[0]!);
  assert.deepEqual(urls(frontier.take(10, 0)), [request("a", 2).url]);
});

test("Frontier puts a fetch under way first on its host, after its delay, and ranks the rest by depth then arrival", () => {
  const frontier = new Frontier();
  frontier.push(request("a", "deep", 2));
  frontier.push(request("a", "x", 1));
  frontier.push(request("a", "y", 1));
  frontier.push(request("a", "top", 0));
  const [top] = frontier.take(1, 0);
  assert.equal(top?.url, request("a", "top").url);
  frontier.later({ ...top!, progress }, 300, 0);
  frontier.done(top!, 0);
  assert.equal(frontier.size, 4);
  assert.deepEqual(urls(frontier.take(1, 100)), [request("a", "x").url], "the retry waits for its delay");
  assert.equal(frontier.readyIn(100), 0);
  const order = frontier.take(5, 300);
  assert.deepEqual(urls(order), [request("a", "top").url, request("a", "y").url, request("a", "deep").url]);
  assert.deepEqual(order[0]!.progress, progress);
});

test("Frontier sends a fetch under way to the host of its next URL", () => {
  const frontier = new Frontier({ intervalMs: 1000 });
  frontier.push(request("a", 0));
  const [first] = frontier.take(1, 0);
  frontier.later({ ...first!, progress: { ...progress, redirects: ["http://b.test/moved"] } }, 0, 10);
  frontier.done(first!, 10);
  const [again] = frontier.take(1, 20);
  assert.equal(again?.url, request("a", 0).url);
  assert.equal(hostOf(nextUrl(again!)), "b.test", "b.test may start at once, a.test not before 1000");
});

test("Frontier.pace() slows a host from its last start on, never below the crawl's interval", () => {
  const frontier = new Frontier({ intervalMs: 100 });
  for (let i = 0; i < 3; i++) frontier.push(request("a", i));
  frontier.sent(frontier.take(1, 0)[0]!, 0);
  frontier.pace("a.test", 2000);
  assert.equal(frontier.readyIn(50), 1950);
  assert.equal(frontier.take(1, 1999).length, 0);
  frontier.sent(frontier.take(1, 2000)[0]!, 2000);
  frontier.pace("a.test", 10);
  assert.equal(frontier.readyIn(2000), 100, "the crawl's interval still holds");
});

test("Frontier keeps a host's pace after its record went idle and was dropped", () => {
  const frontier = new Frontier();
  frontier.push(request("a", 0));
  const [first] = frontier.take(1, 0);
  frontier.pace("a.test", 500);
  frontier.done(first!, 10);
  frontier.take(1, 600); // the record goes once the interval has passed
  assert.equal(frontier.hosts, 0);
  frontier.push(request("a", 1));
  frontier.push(request("a", 2));
  assert.equal(frontier.take(2, 700).length, 1);
  assert.equal(frontier.readyIn(700), 500);
});

test("Frontier.sent() moves a host's next start when its request left late", () => {
  const frontier = new Frontier({ intervalMs: 200 });
  frontier.push(request("a", 1));
  frontier.push(request("a", 2));
  const [first] = frontier.take(1, 0);
  frontier.sent(first!, 150);
  assert.deepEqual(frontier.take(1, 250), [], "200 ms after the take, but 100 after the request left");
  assert.equal(frontier.readyIn(250), 100);
  assert.equal(frontier.take(1, 350).length, 1);
});

test("Frontier gives a host no start while its last one has not left, and counts the next from when it did", () => {
  const frontier = new Frontier({ intervalMs: 100 });
  for (let i = 0; i < 3; i++) frontier.push(request("a", i));
  frontier.push(request("b", 0));
  const [a0, b0] = frontier.take(2, 0);
  assert.equal(frontier.isOpen("a.test"), true);
  frontier.sent(b0!, 1);
  assert.deepEqual(frontier.take(2, 300), [], "a.test's request has not left, 300 ms after it was given");
  assert.equal(frontier.readyIn(300), 5, "looked at again soon: nothing else says when it leaves");
  frontier.sent(a0!, 320);
  assert.equal(frontier.isOpen("a.test"), false);
  assert.deepEqual(frontier.take(2, 419), []);
  const [a1] = frontier.take(2, 420);
  assert.equal(a1?.url, request("a", 1).url, "100 ms after it left");
  // A start done without a request (robots.txt refused it) closes where it was given.
  frontier.done(a1!);
  assert.equal(frontier.take(1, 520).length, 1);
  // A reserved start is open too, until its request left: the host's leases wait for it.
  const left = frontier.whenLeft("b.test");
  frontier.push(request("b", 1));
  assert.equal(frontier.reserve("b.test", 600), 0);
  assert.deepEqual(frontier.take(1, 800), [], "the reserved request has not left");
  let resolved = false;
  void frontier.whenLeft("b.test").then(() => (resolved = true));
  frontier.sent(request("b", "data.json"), 810, true);
  assert.equal(frontier.take(1, 909).length, 0);
  assert.equal(frontier.take(1, 910).length, 1);
  return left.then(() => Promise.resolve()).then(() => assert.equal(resolved, true));
});

test("Frontier.reserve() takes a start outside the lines, which the lines then wait for", () => {
  const frontier = new Frontier({ intervalMs: 200 });
  frontier.push(request("a", 1));
  frontier.push(request("a", 2));
  frontier.sent(frontier.take(1, 0)[0]!, 0);
  assert.equal(frontier.reserve("a.test", 50), 150);
  assert.equal(frontier.readyIn(50), 350);
  frontier.sent(request("a", "data.json"), 200, true); // the reserved start's request left on time
  assert.equal(frontier.take(1, 399).length, 0);
  assert.equal(frontier.take(1, 400).length, 1);
  assert.equal(frontier.reserve("idle.test", 400), 0, "a host nobody started on may start at once");
  frontier.sent(request("idle", "data.json"), 400, true);
  assert.equal(frontier.reserve("idle.test", 450), 150);
});

test("Frontier takes at most `starts` requests for the first time, then only fetches under way; a request put back is no second start", () => {
  const frontier = new Frontier({ intervalMs: 100 });
  for (const host of ["a", "b", "c"]) for (const page of [1, 2]) frontier.push(request(host, page));
  const first = frontier.take(6, 0, 2);
  assert.deepEqual(urls(first), [request("a", 1).url, request("b", 1).url], "two starts, on the first two hosts");
  assert.equal(frontier.started, 2);
  const [a1, b1] = first as [CrawlRequest, CrawlRequest];
  frontier.done(a1, 1);
  frontier.later({ ...a1, progress }, 0, 1); // a retry
  frontier.done(b1, 1);
  frontier.putBack(b1); // given back unfinished
  assert.equal(frontier.underway, 2);
  assert.equal(frontier.readyIn(1, 0), 99, "with no start left, only a's and b's fetches under way count: their hosts' next starts");
  assert.deepEqual(frontier.take(6, 50, 0), [], "not before their hosts' interval");
  const again = frontier.take(6, 100, 0);
  assert.deepEqual(urls(again), [request("a", 1).url, request("b", 1).url], "only the fetches under way");
  assert.equal(frontier.started, 2, "neither is a second start");
  assert.equal(frontier.size, 4, "c's two and the second pages wait");
  assert.equal(frontier.readyIn(100, 0), Infinity, "nothing under way waits");
  assert.deepEqual(urls(frontier.take(1, 200, 1)), [request("c", 1).url], "a larger budget starts the host that waited longest");
  assert.equal(frontier.started, 3);
});

test("Frontier drops a host's record once nothing waits or is taken and its interval has passed", () => {
  const frontier = new Frontier({ intervalMs: 100 });
  for (let h = 0; h < 50; h++) frontier.push(request(`h${h}`, 0));
  const taken = frontier.take(50, 0);
  assert.equal(frontier.hosts, 50);
  for (const r of taken) frontier.done(r, 10);
  assert.equal(frontier.hosts, 50, "their interval is not over");
  frontier.push(request("h0", 1));
  assert.deepEqual(frontier.take(1, 50), [], "h0 still keeps its interval");
  assert.equal(frontier.take(1, 100).length, 1);
  assert.equal(frontier.hosts, 1, "the others went once their interval passed");
});

test("Frontier rejects a memory limit, perHost or interval out of range with a UsageError", () => {
  assert.throws(() => new Frontier({ memoryLimit: 0 }), new UsageError("Expected memoryLimit to be a positive integer, got 0"));
  assert.throws(() => new Frontier({ perHost: 0 }), new UsageError("Expected perHost to be a positive integer, got 0"));
  assert.throws(() => new Frontier({ intervalMs: -1 }), new UsageError("Expected intervalMs to be a non-negative number, got -1"));
});
