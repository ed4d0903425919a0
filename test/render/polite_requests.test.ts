// The crawl's verdict on a rendered page's own requests, with the crawl's real fetcher and state against a real server:
// robots.txt first, then the host's turn. (What the browser does with the verdict is in render_requests.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { politeRequests } from "../../src/render/polite_requests.ts";
import type { RequestContext } from "../../src/render/render_records.ts";
import { LocalCrawlState } from "../../src/state/local_state.ts";
import { type Handler, startServer } from "../helpers/server.ts";

const robots: Handler = (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("User-agent: *\nDisallow: /private\n");

/** A fetcher and a state as a crawl at `intervalMs` between starts has them (with robots.txt or not), and the hooks. */
async function crawlParts(intervalMs: number, robots = true) {
  const fetcher = new Fetcher({ robots });
  const state = new LocalCrawlState();
  await state.open({
    start: [],
    maxPages: Infinity,
    politeness: { perHost: Infinity, intervalMs },
    definition: { start: [], follow: { selector: "a[href]" }, extract: null, hosts: "any", allow: [], deny: [], maxDepth: null, sitemap: false },
  });
  const hooks = politeRequests({
    robots: (url, options) => fetcher.robotsRefusal(url, options),
    reserve: (host) => state.reserve(host),
    sent: (url) => state.sent({ url, depth: 0 }),
  });
  const close = async () => {
    fetcher.close();
    await state.close();
  };
  return { hooks, state, close };
}

const context = (signal = new AbortController().signal): RequestContext => ({ page: "http://page.test/", signal });

test("a page's request goes after its origin's robots.txt allows it, and each waits for its host's turn", async () => {
  const server = await startServer({ "/robots.txt": robots, "/api/a.json": (_req, res) => void res.end("{}") });
  const { hooks, close } = await crawlParts(200);
  try {
    const before = performance.now();
    const verdicts = [];
    for (const path of ["/api/a.json", "/private/b.json", "/api/c.json"]) {
      const verdict = await hooks.onRequest(server.url(path), "fetch", context());
      verdicts.push(verdict);
      if (verdict === "continue") hooks.onSent(server.url(path), true); // as the browser says once it let it go
    }
    const elapsed = performance.now() - before;
    assert.deepEqual(verdicts, ["continue", "abort", "continue"]);
    assert.equal(server.hitsOf("/robots.txt"), 1);
    // The robots.txt, then two requests: three starts on the host, each 200 ms after the one before.
    assert.ok(elapsed >= 2 * 200 - 10, `three starts in ${elapsed.toFixed(0)} ms`);
  } finally {
    await close();
    await server.close();
  }
});

test("a request that left late moves its host's next start; a URL that is not http(s) goes", async () => {
  const server = await startServer({ "/robots.txt": robots });
  const { hooks, close } = await crawlParts(300);
  try {
    assert.equal(await hooks.onRequest(server.url("/a.json"), "fetch", context()), "continue"); // its robots.txt, then it
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sentAt = performance.now();
    hooks.onSent(server.url("/a.json"), true); // the browser let it go only now
    assert.equal(await hooks.onRequest(server.url("/b.json"), "fetch", context()), "continue");
    assert.ok(performance.now() - sentAt >= 300 - 10, "the next start is an interval after the late one");
    assert.equal(await hooks.onRequest("data:text/plain,hello", "fetch", context()), "continue");
  } finally {
    await close();
    await server.close();
  }
});

test("a request whose page has ended while it waited its turn is aborted", async () => {
  const server = await startServer({ "/robots.txt": robots });
  const { hooks, close } = await crawlParts(10_000, false);
  try {
    assert.equal(await hooks.onRequest(server.url("/a.json"), "fetch", context()), "continue");
    hooks.onSent(server.url("/a.json"), true);
    const ended = new AbortController();
    const verdict = hooks.onRequest(server.url("/b.json"), "fetch", context(ended.signal));
    setTimeout(() => ended.abort(), 50);
    assert.equal(await verdict, "abort");
  } finally {
    await close();
    await server.close();
  }
});

test("a host's requests asked at once take their starts one after the other, each an interval after the one before left", async () => {
  const server = await startServer({ "/robots.txt": robots });
  const { hooks, close } = await crawlParts(200);
  try {
    assert.equal(await hooks.onRequest(server.url("/first.json"), "fetch", context()), "continue"); // robots.txt, then it
    let secondAt = 0;
    const second = Promise.resolve(hooks.onRequest(server.url("/second.json"), "fetch", context())).then((verdict) => ((secondAt = performance.now()), verdict));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the browser is slow to let the first go
    assert.equal(secondAt, 0, "the second waits for the first to leave");
    const sentAt = performance.now();
    hooks.onSent(server.url("/first.json"), true);
    assert.equal(await second, "continue");
    assert.ok(secondAt - sentAt >= 200 - 10, `the second went ${(secondAt - sentAt).toFixed(0)} ms after the first left`);
    // A request let go that never left (its page ended) gives the turn back at once.
    hooks.onSent(server.url("/second.json"), false);
    assert.equal(await hooks.onRequest(server.url("/third.json"), "fetch", context()), "continue");
  } finally {
    await close();
    await server.close();
  }
});
