import { test } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import { lastValueFrom, toArray } from "rxjs";
import { crawl } from "../../src/crawl.ts";
import { DEFAULTS } from "../../src/defaults.ts";
import { BlockDetector, HostSlowdown } from "../../src/fetch/blocks.ts";
import { type FetchEvent, Fetcher } from "../../src/fetch/fetcher.ts";
import { CrawlStats } from "../../src/stats/crawl_stats.ts";
import { summaryLines } from "../../src/stats/summary_lines.ts";
import { startTinyproxy } from "../helpers/proxies.ts";
import { type Handler, html, startServer, type TestServer } from "../helpers/server.ts";
import { fetchPage, runSteps } from "../helpers/steps.ts";

const CHALLENGE = "<!DOCTYPE html><html><head><TITLE>Just a moment...</TITLE></head><body>Checking your browser</body></html>";

/** A server running `handler`, and the times (performance.now()) its requests arrived. */
async function withSite(handler: Handler, body: (site: TestServer, times: number[]) => Promise<void>): Promise<void> {
  const times: number[] = [];
  const site = await startServer((req, res) => {
    times.push(performance.now());
    return handler(req, res);
  });
  try {
    await body(site, times);
  } finally {
    await site.close();
  }
}

const tooMany: Handler = html("<title>slow down</title>", { status: 429 });

test("BlockDetector takes a status of its list, or a marker in the body whatever the status and its letter case", () => {
  const blocks = new BlockDetector({ statuses: DEFAULTS.blockStatus, markers: [...DEFAULTS.blockMarkers, "验证码"] });
  const body = (text: string) => new TextEncoder().encode(text);
  assert.equal(blocks.reason(429, body("")), "HTTP 429 Too Many Requests");
  assert.equal(blocks.reason(403, body(CHALLENGE)), 'HTTP 403 Forbidden with "<title>Just a moment...</title>" in its body');
  assert.equal(blocks.reason(200, body("<p>请输入验证码</p>")), 'HTTP 200 OK with "验证码" in its body');
  assert.equal(blocks.reason(503, body("<script src=https://geo.captcha-delivery.com/captcha/>")), 'HTTP 503 Service Unavailable with "captcha-delivery.com" in its body');
  assert.equal(blocks.reason(403, body("<title>Forbidden</title>")), undefined, "a plain 403 is a forbidden page, not a block");
  assert.equal(blocks.reason(200, body("<title>Just a moment, please</title>")), undefined);
  assert.equal(blocks.reason(200, body(`${" ".repeat(16 * 1024)}${CHALLENGE}`)), undefined, "markers are sought in the first 16 KiB");
  assert.equal(new BlockDetector({ statuses: [], markers: [] }).reason(429, body(CHALLENGE)), undefined);
});

test("HostSlowdown doubles a blocking host's interval up to its ceiling, and eases it back by a tenth per page served", () => {
  const slowdown = new HostSlowdown({ startMs: 1000, maxMs: 10_000 });
  const intervals = (count: number, step: (host: string) => number | undefined) => Array.from({ length: count }, () => step("a.example"));
  assert.deepEqual(intervals(5, (host) => slowdown.blocked(host)), [1000, 2000, 4000, 8000, 10_000]);
  assert.equal(slowdown.intervalMs("b.example"), 0, "other hosts keep their pace");
  assert.deepEqual(intervals(3, (host) => slowdown.passed(host)), [9000, 8100, 7290]);
  slowdown.blocked("c.example");
  assert.deepEqual(intervals(1, () => slowdown.passed("c.example")), [0], "back to the crawl's own pace");
  assert.equal(slowdown.passed("c.example"), undefined, "nothing to note for a host that is not slowed");
  // With a rate of 2/s, the first block halves it.
  assert.equal(new HostSlowdown({ startMs: 100, maxMs: 60_000, baseMs: 500 }).blocked("d.example"), 1000);
});

test("Fetcher retries a block after a growing backoff, the host's pace slowed further each time, then records EBLOCKED", async () => {
  await withSite(tooMany, async (site) => {
    const events: FetchEvent[] = [];
    const fetcher = new Fetcher({ robots: false, retries: 3, retryDelay: 40 }, { onEvent: (event) => events.push(event) });
    try {
      const { page, steps } = await runSteps(fetcher, site.url("/"));
      assert.equal(page.errorCode, "EBLOCKED");
      assert.equal(page.error, `Blocked: HTTP 429 Too Many Requests (${site.url("/")})`);
      assert.equal(page.status, 429);
      assert.deepEqual([page.attempts, page.retries], [4, 3]);
      const host = new URL(site.origin).host;
      assert.deepEqual(events, [40, 80, 160, 320].map((intervalMs) => ({ type: "block", host, intervalMs })));
      // Each step hands the frontier the host's new pace; the retry's own wait is its backoff, ±50 % jitter.
      assert.deepEqual(steps.map((step) => step.pace), [40, 80, 160, 320].map((intervalMs) => ({ host, intervalMs })));
      for (const [i, step] of steps.slice(0, 3).entries()) {
        assert.ok("again" in step && step.delayMs >= 20 * 2 ** i && step.delayMs <= 60 * 2 ** i, `backoff ${i}`);
      }
    } finally {
      fetcher.close();
    }
  });
});

test("Fetcher waits a block's Retry-After, up to maxRetryAfter, before its retry", async () => {
  await withSite(html("<title>slow down</title>", { status: 429, headers: { "retry-after": "120" } }), async (site) => {
    const fetcher = new Fetcher({ robots: false, retries: 1, maxRetryAfter: 5000 });
    try {
      const step = await fetcher.step({ url: site.url("/"), depth: 0 });
      assert.ok("again" in step);
      assert.equal(step.delayMs, 5000);
      assert.equal(step.again.progress?.tries, 1);
    } finally {
      fetcher.close();
    }
  });
});

test("A step's pace carries each change of a host's least interval: up with each block, down with each page served", async () => {
  let calls = 0;
  const handler: Handler = (req, res) => (calls++ < 2 ? tooMany : html("<title>ok</title>"))(req, res);
  await withSite(handler, async (site) => {
    const fetcher = new Fetcher({ robots: false, retries: 2, retryDelay: 40 });
    try {
      const a = await runSteps(fetcher, site.url("/a"));
      const b = await runSteps(fetcher, site.url("/b"));
      assert.deepEqual([a.page.status, b.page.status], [200, 200]);
      const host = new URL(site.origin).host;
      const paces = [...a.steps, ...b.steps].map((step) => step.pace);
      assert.deepEqual(paces, [40, 80, 72, 65].map((intervalMs) => ({ host, intervalMs })));
    } finally {
      fetcher.close();
    }
  });
});

test("A host's pace is the longer of its robots.txt Crawl-delay and its blocks' slowdown, never one in place of the other", async () => {
  let pages = 0;
  const routes: Record<string, Handler> = {
    "/robots.txt": (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("User-agent: *\nCrawl-delay: 0.1\n"),
  };
  const handler: Handler = (req, res) => (routes[req.url ?? ""] ?? (pages++ < 4 ? tooMany : html("<title>ok</title>")))(req, res);
  await withSite(handler, async (site) => {
    const fetcher = new Fetcher({ retries: 4, retryDelay: 40 });
    try {
      const { page, steps } = await runSteps(fetcher, site.url("/"));
      assert.equal(page.status, 200);
      const host = new URL(site.origin).host;
      // robots.txt first (its 100 ms and the 5 ms margin for arrivals), then four blocks (40, 80, 160, 320), then a page
      // served (288).
      assert.deepEqual(steps.map((step) => step.pace?.intervalMs), [105, 105, 105, 160, 320, 288]);
      assert.ok(steps.every((step) => step.pace?.host === host));
    } finally {
      fetcher.close();
    }
  });
});

test("Fetcher takes a challenge page for a block, and retries it with a fresh cookie session that keeps the login", async () => {
  const cookies: (string | undefined)[] = [];
  const handler: Handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    cookies.push(req.headers.cookie);
    // The site flags the session it handed out, as a bot check would, and lets a new one through.
    if (req.headers.cookie?.includes("visitor=") !== true) {
      res.setHeader("set-cookie", "visitor=flagged; Path=/");
      return html(CHALLENGE, { status: 403 })(req, res);
    }
    return html("<title>never</title>")(req, res);
  };
  await withSite(handler, async (site) => {
    const fetcher = new Fetcher({ robots: false, retries: 1, retryDelay: 1, startCookies: ["login=alice; Domain=127.0.0.1"] });
    try {
      const page = await fetchPage(fetcher, { url: site.url("/"), depth: 0 });
      assert.equal(page.errorCode, "EBLOCKED");
      assert.equal(page.error, `Blocked: HTTP 403 Forbidden with "<title>Just a moment...</title>" in its body (${site.url("/")})`);
      assert.deepEqual(cookies, ["login=alice", "login=alice"], "the retry went without the flagged session, with the login");
    } finally {
      fetcher.close();
    }
  });
});

test("Fetcher retries a block through another proxy of the pool, and the host stays on the proxy that got through", async () => {
  const proxies = [await startTinyproxy({ egress: "127.0.0.2" }), await startTinyproxy({ egress: "127.0.0.4" })];
  // The site bans the address its first request came from, whichever proxy that was, as a site bans an IP.
  const peers: string[] = [];
  const handler: Handler = (req, res) => {
    peers.push(req.socket.remoteAddress ?? "");
    return (req.socket.remoteAddress === peers[0] ? tooMany : html("<title>welcome</title>"))(req, res);
  };
  try {
    await withSite(handler, async (site) => {
      const fetcher = new Fetcher({ robots: false, retries: 2, retryDelay: 1, proxy: proxies.map((proxy) => proxy.url), proxyRotate: "host" });
      try {
        const pages = [];
        for (const path of ["/a", "/b", "/c"]) pages.push(await fetchPage(fetcher, { url: site.url(path), depth: 0 }));
        assert.deepEqual(pages.map((page) => [page.status, page.attempts]), [[200, 2], [200, 1], [200, 1]]);
        const [banned, other] = peers[0] === "127.0.0.2" ? ["127.0.0.2", "127.0.0.4"] : ["127.0.0.4", "127.0.0.2"];
        assert.deepEqual(peers, [banned, other, other, other]);
      } finally {
        fetcher.close();
      }
    });
  } finally {
    for (const proxy of proxies) await proxy.stop();
  }
});

test("a plain 403 is an EHTTP record, not retried; with blockStatus [403] it is a block", async () => {
  await withSite(html("<title>Forbidden</title>", { status: 403 }), async (site, times) => {
    for (const [options, code, attempts] of [
      [{}, "EHTTP", 1],
      [{ blockStatus: [403] }, "EBLOCKED", 2],
    ] as const) {
      const fetcher = new Fetcher({ robots: false, retries: 1, retryDelay: 1, ...options });
      try {
        const page = await fetchPage(fetcher, { url: site.url("/"), depth: 0 });
        assert.equal(page.errorCode, code);
        assert.equal(page.attempts, attempts);
      } finally {
        fetcher.close();
      }
    }
    assert.equal(times.length, 3);
  });
});

test("crawl() counts blocks in its stats and summary, and the blocked page is an EBLOCKED row of its own", async () => {
  const routes: Record<string, Handler> = {
    "/": html('<title>home</title><a href="/busy">busy</a>'),
    "/busy": tooMany,
  };
  await withSite((req, res) => (routes[req.url ?? ""] ?? tooMany)(req, res), async (site) => {
    const stats = new CrawlStats();
    const records = await lastValueFrom(crawl({ start: site.url("/"), robots: false, retries: 1, retryDelay: 20, stats }).pipe(toArray()));
    const busy = records.find((record) => record.url === site.url("/busy"))!;
    assert.equal(busy.errorCode, "EBLOCKED");
    assert.equal(records.length, 2);
    const summary = stats.summary();
    assert.deepEqual(summary.errorCodes, { EBLOCKED: 1 });
    const host = new URL(site.origin).host;
    assert.deepEqual(summary.blocks, { responses: 2, hosts: [{ host, responses: 2, slowestMs: 40 }] });
    assert.ok(
      summaryLines(summary).includes(`  blocks: 2 responses looked like blocks; ${host} sent 2, slowed down to one request every 0.04 s`),
      summaryLines(summary).join("\n"),
    );
  });
});

test("crawl() slows a host that blocks: each start on it after a block waits its slowed pace, the retries and other pages alike", async () => {
  let home = 0;
  const routes: Record<string, Handler> = {
    // Retry-After: 0 asks for no backoff: only the host's pace spaces the retries from the blocks.
    "/": (req, res) =>
      (home++ < 2
        ? html("<title>slow down</title>", { status: 429, headers: { "retry-after": "0" } })
        : html('<title>home</title><a href="/a">a</a><a href="/b">b</a>'))(req, res),
  };
  await withSite((req, res) => (routes[req.url ?? ""] ?? html("<title>page</title>"))(req, res), async (site, times) => {
    const records = await lastValueFrom(crawl({ start: site.url("/"), robots: false, retries: 2, retryDelay: 250 }).pipe(toArray()));
    assert.deepEqual(records.map((record) => record.status).sort(), [200, 200, 200]);
    assert.equal(times.length, 5);
    // The blocks slow the host to one start in 250 ms, then 500; each page served then takes a tenth off: 450, 405. A
    // loaded machine runs late, never early: lower bounds, 100 ms short of each.
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    for (const [i, least] of [150, 400, 350, 305].entries()) assert.ok(gaps[i]! >= least, `gap ${i} was ${gaps[i]!.toFixed(0)} ms, not ${least}`);
  });
});

test("Fetcher refuses a block status or marker that cannot be one", () => {
  assert.throws(() => new Fetcher({ blockStatus: [99] }), { name: "UsageError", message: "Expected blockStatus to be HTTP statuses (100 to 599), got 99" });
  assert.throws(() => new Fetcher({ blockMarkers: [" "] }), { name: "UsageError", message: 'Expected blockMarkers to be non-empty strings, got " "' });
});
