import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { from, lastValueFrom, toArray } from "rxjs";
import { UsageError } from "../../src/errors.ts";
import { fetchPages } from "../../src/fetch/fetch_pages.ts";
import type { FetchedPage } from "../../src/records.ts";
import { CrawlStats } from "../../src/stats/crawl_stats.ts";
import { delay, html, startServer, type Handler } from "../helpers/server.ts";

async function waitFor(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function byUrl(pages: FetchedPage[]): FetchedPage[] {
  return [...pages].sort((a, b) => a.url.localeCompare(b.url));
}

/** Answers every path with a page titled after it. */
const titled: Handler = (req, res) => html(`<title>${req.url}</title>`)(req, res);

test("fetchPages() emits one page per URL and string, keeping each request's depth, and completes", async () => {
  const server = await startServer(titled);
  try {
    const input = [server.url("/a"), { url: server.url("/b"), depth: 3 }, server.url("/c#fragment")];
    const pages = byUrl(await lastValueFrom(from(input).pipe(fetchPages(), toArray())));
    assert.deepEqual(
      pages.map((page) => [page.url, page.depth, page.status, Buffer.from(page.body).toString()]),
      [
        [server.url("/a"), 0, 200, "<title>/a</title>"],
        [server.url("/b"), 3, 200, "<title>/b</title>"],
        [server.url("/c"), 0, 200, "<title>/c</title>"],
      ],
    );
    assert.deepEqual([server.hitsOf("/a"), server.hitsOf("/b"), server.hitsOf("/c")], [1, 1, 1]);
  } finally {
    await server.close();
  }
});

test("fetchPages() keeps at most `concurrency` requests in flight, and reaches it", async () => {
  const server = await startServer(delay(40, titled));
  try {
    const urls = Array.from({ length: 15 }, (_, i) => server.url(`/p${i}`));
    const pages = await lastValueFrom(from(urls).pipe(fetchPages({ concurrency: 3, robots: false }), toArray()));
    assert.equal(pages.length, 15);
    assert.equal(server.total, 15);
    assert.equal(server.maxInFlight, 3);
  } finally {
    await server.close();
  }
});

test("fetchPages() turns failing URLs into pages with an error and goes on with the rest", async () => {
  const server = await startServer({ "/ok": html("<title>ok</title>") });
  const closed = await startServer({});
  const refused = closed.url("/");
  await closed.close();
  try {
    const input = [server.url("/ok"), server.url("/missing"), refused];
    const pages = byUrl(await lastValueFrom(from(input).pipe(fetchPages({ retries: 0 }), toArray())));
    assert.deepEqual(
      pages.map((page) => [page.url, page.status, page.errorCode]),
      byUrl([
        { url: server.url("/ok"), status: 200, errorCode: "" },
        { url: server.url("/missing"), status: 404, errorCode: "EHTTP" },
        { url: refused, status: 0, errorCode: "ENETWORK" },
      ] as FetchedPage[]).map((page) => [page.url, page.status, page.errorCode]),
    );
    assert.equal(pages.find((page) => page.status === 404)?.error, `HTTP 404 Not Found (${server.url("/missing")})`);
  } finally {
    await server.close();
  }
});

test("fetchPages() fails the stream with a UsageError on a URL that is not http(s), before requesting it", async () => {
  const server = await startServer(titled);
  try {
    for (const bad of ["ftp://example.com/file", "not a url", "mailto:someone@example.com"]) {
      await assert.rejects(
        lastValueFrom(from([bad]).pipe(fetchPages())),
        new UsageError(`Expected an http(s) URL, got ${JSON.stringify(bad)}`),
      );
    }
    await assert.rejects(
      lastValueFrom(from([{ url: "javascript:void(0)", depth: 1 }]).pipe(fetchPages())),
      new UsageError('Expected an http(s) URL, got "javascript:void(0)"'),
    );
    assert.equal(server.total, 0);
  } finally {
    await server.close();
  }
});

test("fetchPages() rejects invalid options when it is called, before any subscription", () => {
  assert.throws(() => fetchPages({ concurrency: 0 }), new UsageError("Expected concurrency to be a positive integer, got 0"));
  assert.throws(() => fetchPages({ timeout: -5 }), new UsageError("Expected timeout to be a positive integer, got -5"));
  assert.throws(() => fetchPages({ perHost: 0 }), new UsageError("Expected perHost to be a positive integer, got 0"));
});

test("fetchPages() aborts the requests in flight when unsubscribed and leaves no socket open", async () => {
  let closes = 0;
  const hang: Handler = (_req, res) => {
    res.once("close", () => closes++);
  };
  const server = await startServer(hang);
  try {
    const urls = Array.from({ length: 6 }, (_, i) => server.url(`/hang${i}`));
    const emitted: FetchedPage[] = [];
    let ended = false;
    const subscription = from(urls)
      .pipe(fetchPages({ concurrency: 4, robots: false }))
      .subscribe({ next: (page) => emitted.push(page), error: () => (ended = true), complete: () => (ended = true) });
    await waitFor(() => server.inFlight === 4, "4 requests to arrive");
    subscription.unsubscribe();
    await waitFor(() => closes === 4, "the server to see 4 requests close");
    await waitFor(() => server.openSockets() === 0, "every socket to close");
    await sleep(50);
    assert.equal(server.total, 4);
    assert.deepEqual(emitted, []);
    assert.equal(ended, false);
  } finally {
    await server.close();
  }
});

test("fetchPages() can be subscribed twice: each subscription fetches every URL with its own client", async () => {
  const server = await startServer(titled);
  try {
    const pages$ = from([server.url("/x"), server.url("/y")]).pipe(fetchPages(), toArray());
    const first = await lastValueFrom(pages$);
    const second = await lastValueFrom(pages$);
    assert.equal(first.length, 2);
    assert.equal(second.length, 2);
    assert.ok(second.every((page) => page.status === 200 && page.error === ""));
    assert.deepEqual([server.hitsOf("/x"), server.hitsOf("/y")], [2, 2]);
  } finally {
    await server.close();
  }
});

test("fetchPages() applies perHost to each host while the global cap stays at concurrency", async () => {
  const a = await startServer(delay(40, titled));
  const b = await startServer(delay(40, titled));
  try {
    const urls = Array.from({ length: 8 }, (_, i) => [a.url(`/a${i}`), b.url(`/b${i}`)]).flat();
    const pages = await lastValueFrom(from(urls).pipe(fetchPages({ concurrency: 6, perHost: 2 }), toArray()));
    assert.equal(pages.length, 16);
    assert.equal(a.maxInFlight, 2);
    assert.equal(b.maxInFlight, 2);
  } finally {
    await a.close();
    await b.close();
  }
});

test("fetchPages() spaces starts on a host by 1/rate, retries included, and lets another host start meanwhile", async () => {
  const arrivals = new Map<string, number[]>();
  let flaky = 0;
  const handler = (name: string): Handler => (req, res) => {
    arrivals.set(name, [...(arrivals.get(name) ?? []), performance.now()]);
    if (req.url === "/flaky" && ++flaky === 1) return html("<title>busy</title>", { status: 503 })(req, res);
    return titled(req, res);
  };
  const a = await startServer(handler("a"));
  const b = await startServer(handler("b"));
  try {
    // a's URLs first: a first-come queue would have every slot wait for a's pace.
    const urls = [a.url("/flaky"), ...Array.from({ length: 4 }, (_, i) => a.url(`/a${i}`)), ...Array.from({ length: 4 }, (_, i) => b.url(`/b${i}`))];
    const pages = await lastValueFrom(from(urls).pipe(fetchPages({ concurrency: 3, rate: 4, retryDelay: 1, robots: false }), toArray()));
    assert.equal(pages.length, 9);
    assert.equal(pages.find((page) => page.url.endsWith("/flaky"))?.attempts, 2);
    const [seenA, seenB] = [arrivals.get("a")!, arrivals.get("b")!];
    assert.deepEqual([seenA.length, seenB.length], [6, 4]);
    assert.ok(seenB[0]! < seenA[1]!, "b started while a waited for its next start");
    for (const seen of [seenA, seenB]) {
      // The server notes an arrival when this process's event loop gets to it: the margin allows for a late note.
      const short = seen.slice(1).map((at, i) => at - seen[i]!).filter((gap) => gap < 150);
      assert.deepEqual(short, [], "starts on a host at least 250 ms apart, less a margin");
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test("fetchPages() spaces a blocked URL's retry by its host's slowed pace, and counts the block in its stats", async () => {
  const arrivals: number[] = [];
  const server = await startServer((req, res) => {
    arrivals.push(performance.now());
    // Retry-After: 0 asks for no backoff: only the host's pace, slowed by the block, spaces the retry.
    if (arrivals.length === 1) return html("<title>slow down</title>", { status: 429, headers: { "retry-after": "0" } })(req, res);
    return titled(req, res);
  });
  try {
    const stats = new CrawlStats();
    const pages = await lastValueFrom(from([server.url("/")]).pipe(fetchPages({ retries: 1, retryDelay: 300, robots: false, stats }), toArray()));
    assert.deepEqual(pages.map((page) => [page.status, page.attempts]), [[200, 2]]);
    // 300 ms, less a margin for a late note.
    assert.ok(arrivals[1]! - arrivals[0]! >= 200, `the retry came ${(arrivals[1]! - arrivals[0]!).toFixed(0)} ms after the block`);
    assert.equal(stats.summary().blocks?.responses, 1);
  } finally {
    await server.close();
  }
});
