import { test } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import { lastValueFrom, toArray } from "rxjs";
import { crawl } from "../../src/crawl.ts";
import { type FetchEvent, Fetcher } from "../../src/fetch/fetcher.ts";
import { BENCH_MS, type Proxy, ProxyPool, proxyFailure } from "../../src/fetch/proxy_pool.ts";
import { maskProxy, proxySettings } from "../../src/fetch/proxy_settings.ts";
import { CrawlStats } from "../../src/stats/crawl_stats.ts";
import { deadProxyUrl, startMicrosocks, startTinyproxy, type TestProxy } from "../helpers/proxies.ts";
import { html, startServer, type TestServer } from "../helpers/server.ts";
import { fetchPage, runSteps } from "../helpers/steps.ts";

/** A site of `pages` pages (`/`, `/p1` … linked from `/`) that records the address each request came from. */
async function peerSite(pages: number, headers: Record<string, string> = {}): Promise<TestServer & { peers: string[] }> {
  const peers: string[] = [];
  const links = Array.from({ length: pages - 1 }, (_, i) => `<a href="/p${i + 1}">${i + 1}</a>`).join("");
  const server = await startServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    peers.push(req.socket.remoteAddress ?? "");
    return html(`<title>${req.url}</title>${req.url === "/" ? links : ""}`, { headers })(req, res);
  });
  return Object.assign(server, { peers });
}

type Stoppable = { stop: () => Promise<void> } | { close: () => Promise<void> };

/** Runs `body` with the proxies and sites it starts, and stops every one whatever happens. */
async function withAll<T extends Stoppable[]>(starting: { [K in keyof T]: Promise<T[K]> }, body: (...all: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(starting);
  const all = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  try {
    for (const result of results) if (result.status === "rejected") throw result.reason;
    await body(...(all as T));
  } finally {
    for (const value of all) await ("stop" in value ? value.stop() : value.close());
  }
}

function requestLines(proxy: TestProxy, site: TestServer): number {
  return proxy.log().split("\n").filter((line) => line.includes(`CONNECT 127.0.0.1:${new URL(site.origin).port} HTTP/1.1`)).length;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("crawl() goes through tinyproxy for every request: the site sees each come from the proxy, which logs each", async () => {
  // `Connection: close` makes each request open a tunnel of its own, so the proxy's log has a line per request.
  await withAll<[TestProxy, Awaited<ReturnType<typeof peerSite>>]>([startTinyproxy(), peerSite(5, { connection: "close" })], async (proxy, site) => {
    const records = await lastValueFrom(crawl({ start: site.url("/"), proxy: [proxy.url], robots: false }).pipe(toArray()));
    assert.equal(records.length, 5);
    assert.ok(records.every((record) => record.status === 200 && record.error === ""));
    assert.deepEqual(site.peers, Array(5).fill(proxy.egress));
    assert.equal(requestLines(proxy, site), 5, proxy.log());
  });
});

test("crawl() goes through microsocks with a user and password for every request, robots.txt included", async () => {
  const options = { user: "alice", password: "s3cret" };
  await withAll<[TestProxy, Awaited<ReturnType<typeof peerSite>>]>([startMicrosocks(options), peerSite(4, { connection: "close" })], async (proxy, site) => {
    const records = await lastValueFrom(crawl({ start: site.url("/"), proxy: [proxy.url] }).pipe(toArray()));
    assert.equal(records.length, 4);
    assert.ok(records.every((record) => record.status === 200 && record.error === ""));
    assert.equal(site.hitsOf("/robots.txt"), 1);
    assert.deepEqual(site.peers, Array(5).fill(proxy.egress));
    const connects = proxy.log().split("\n").filter((line) => line.endsWith(`connected to 127.0.0.1:${new URL(site.origin).port}`));
    assert.equal(connects.length, 5, proxy.log());
  });
});

test("a pool with a dead proxy: the dead one is benched, every request goes through the live one, every page arrives", async () => {
  await withAll<[TestProxy, Awaited<ReturnType<typeof peerSite>>]>([startTinyproxy(), peerSite(12)], async (live, site) => {
    const dead = await deadProxyUrl();
    const stats = new CrawlStats();
    const records = await lastValueFrom(
      crawl({ start: site.url("/"), proxy: [dead, live.url], proxyRotate: "request", robots: false, retries: 0, concurrency: 4, stats }).pipe(
        toArray(),
      ),
    );
    assert.equal(records.length, 12);
    assert.deepEqual(records.filter((record) => record.error !== ""), []);
    assert.deepEqual(site.peers, Array(12).fill(live.egress));
    const proxies = stats.summary().proxies!;
    const deadOne = proxies.find((proxy) => proxy.proxy === maskProxy(dead))!;
    const liveOne = proxies.find((proxy) => proxy.proxy === maskProxy(live.url))!;
    assert.equal(deadOne.benched, 1, "benched once: its bench outlasts this crawl");
    assert.equal(deadOne.requests, 1);
    assert.equal(liveOne.requests, 12);
    assert.equal(liveOne.benched, 0);
  });
});

test("Fetcher.step() gives a request whose proxy failed back at once, for another proxy, without using a retry", async () => {
  await withAll<[TestProxy, Awaited<ReturnType<typeof peerSite>>]>([startTinyproxy(), peerSite(1)], async (live, site) => {
    const dead = await deadProxyUrl();
    const events: FetchEvent[] = [];
    const fetcher = new Fetcher({ robots: false, proxy: [dead, live.url], proxyRotate: "request", retries: 0 }, { onEvent: (event) => events.push(event) });
    try {
      const { page, steps } = await runSteps(fetcher, site.url("/"));
      const [first] = steps;
      assert.ok(first !== undefined && "again" in first);
      assert.equal(first.delayMs, 0);
      assert.deepEqual([first.again.progress?.tries, first.again.progress?.retries, first.again.progress?.proxySwitches], [0, 0, 1]);
      assert.deepEqual([page.status, page.error, page.attempts, page.retries], [200, "", 2, 0]);
      assert.deepEqual(site.peers, [live.egress]);
      assert.deepEqual(events, [
        { type: "request", proxy: maskProxy(dead) },
        { type: "bench", proxy: maskProxy(dead), ms: BENCH_MS.first },
        { type: "request", proxy: maskProxy(live.url) },
      ]);
    } finally {
      fetcher.close();
    }
  });
});

test("--proxy-rotate host keeps each host on one proxy; request rotation spreads a host over the pool", async () => {
  await withAll<[TestProxy, TestProxy, Awaited<ReturnType<typeof peerSite>>, Awaited<ReturnType<typeof peerSite>>]>(
    [startTinyproxy({ egress: "127.0.0.2" }), startTinyproxy({ egress: "127.0.0.4" }), peerSite(8), peerSite(8)],
    async (first, second, a, b) => {
      const start = [a.url("/"), b.url("/")];
      await lastValueFrom(crawl({ start, proxy: [first.url, second.url], proxyRotate: "host", robots: false }).pipe(toArray()));
      for (const site of [a, b]) {
        assert.equal(site.peers.length, 8);
        assert.equal(new Set(site.peers).size, 1, `${site.origin} saw ${site.peers.join(", ")}`);
        assert.ok([first.egress, second.egress].includes(site.peers[0]!));
      }
      a.peers.length = 0;
      await lastValueFrom(crawl({ start: a.url("/"), proxy: [first.url, second.url], proxyRotate: "request", robots: false }).pipe(toArray()));
      assert.deepEqual(new Set(a.peers), new Set([first.egress, second.egress]));
    },
  );
});

test("a proxy that cannot reach a site is not benched for it: the site is down, not the proxy", async () => {
  await withAll<[TestProxy, TestProxy]>([startTinyproxy(), startMicrosocks()], async (http, socks) => {
    const down = await deadProxyUrl(); // an address where nothing listens, as a site
    for (const proxy of [http, socks]) {
      const events: FetchEvent[] = [];
      const fetcher = new Fetcher({ robots: false, proxy: [proxy.url], retries: 1, retryDelay: 1 }, { onEvent: (event) => events.push(event) });
      try {
        const page = await fetchPage(fetcher, { url: `${down}/`, depth: 0 });
        assert.equal(page.errorCode, "ENETWORK");
        const said = proxy === http ? "it answered CONNECT with HTTP 500 Internal Server Error" : "Socks5 proxy rejected connection - ConnectionRefused";
        assert.equal(page.error, `Proxy ${maskProxy(proxy.url)} could not reach the site: ${said} (${down}/)`);
        assert.equal(page.attempts, 2, "retried as any network error");
        assert.deepEqual(events.map((event) => event.type), ["request", "request"]);
      } finally {
        fetcher.close();
      }
    }
  });
});

test("a proxy that refuses the credentials is benched, and its error shows them masked", async () => {
  await withAll<[TestProxy, TestProxy, Awaited<ReturnType<typeof peerSite>>]>(
    [startMicrosocks({ user: "alice", password: "s3cret" }), startTinyproxy({ user: "bob", password: "hunter2" }), peerSite(1)],
    async (socks, http, site) => {
      for (const [proxy, wrong, said] of [
        [socks, socks.url.replace("s3cret", "wrong-pass"), "Socks5 Authentication failed"],
        // tinyproxy answers a CONNECT with wrong credentials 401, where RFC 9110 would say 407.
        [http, http.url.replace("hunter2", "wrong-pass"), "it answered CONNECT with HTTP 401 Unauthorized"],
      ] as const) {
        const events: FetchEvent[] = [];
        const fetcher = new Fetcher({ robots: false, proxy: [wrong], retries: 0 }, { onEvent: (event) => events.push(event) });
        try {
          const page = await fetchPage(fetcher, { url: site.url("/"), depth: 0 });
          const masked = `${new URL(proxy.url).protocol}//***@127.0.0.1:${proxy.port}`;
          assert.equal(page.error, `Proxy ${masked} failed: ${said} (${site.url("/")})`);
          assert.deepEqual(events, [
            { type: "request", proxy: masked },
            { type: "bench", proxy: masked, ms: BENCH_MS.first },
          ]);
          assert.doesNotMatch(JSON.stringify(page), /wrong-pass|alice|bob/);
        } finally {
          fetcher.close();
        }
      }
      assert.equal(site.total, 0);
    },
  );
});

test("the test proxies are gone once stopped", async () => {
  const proxies = [await startTinyproxy(), await startMicrosocks()];
  for (const proxy of proxies) await proxy.stop();
  assert.deepEqual(
    proxies.map((proxy) => isRunning(proxy.pid)),
    [false, false],
  );
});

test("ProxyPool rotates per request, skips a benched proxy, and takes the one back soonest when all are benched", () => {
  const pool = new ProxyPool(proxySettings(["http://10.0.0.1:3128", "http://10.0.0.2:3128", "socks5://10.0.0.3:1080"], "request"));
  try {
    const names = (count: number) => Array.from({ length: count }, () => pool.pick("https://example.com/")!.name);
    assert.deepEqual(names(4), ["http://10.0.0.1:3128", "http://10.0.0.2:3128", "socks5://10.0.0.3:1080", "http://10.0.0.1:3128"]);
    const byName = (name: string) => {
      for (;;) {
        const proxy = pool.pick("https://example.com/")!;
        if (proxy.name === name) return proxy;
      }
    };
    const second = byName("http://10.0.0.2:3128");
    pool.failed(second);
    assert.ok(!names(6).includes("http://10.0.0.2:3128"), "a benched proxy is skipped");
    for (const name of ["http://10.0.0.1:3128", "socks5://10.0.0.3:1080"]) {
      const proxy = byName(name) as Proxy & { benchedUntil: number };
      pool.failed(proxy);
      proxy.benchedUntil = 0; // as if that bench were over: the next is twice as long
      pool.failed(proxy);
    }
    assert.deepEqual([...new Set(names(3))], ["http://10.0.0.2:3128"], "all benched: the one back soonest is taken");
  } finally {
    pool.close();
  }
});

test("ProxyPool keeps each host on one proxy, and moves a host away from the proxy it was blocked on", () => {
  const pool = new ProxyPool(proxySettings(["http://10.0.0.1:3128", "http://10.0.0.2:3128"], "host"));
  try {
    const hosts = Array.from({ length: 20 }, (_, i) => `http://site${i}.example/`);
    const first = new Map(hosts.map((url) => [url, pool.pick(url)!]));
    for (const url of hosts) assert.equal(pool.pick(`${url}other`), first.get(url), url);
    assert.equal(new Set(first.values()).size, 2, "hosts spread over the pool");
    const [url, blocked] = [...first][0]!;
    pool.blocked(url, blocked);
    pool.blocked(`${url}other`, blocked); // blocked at the same time through the same proxy: the host moves once
    const moved = pool.pick(url)!;
    assert.notEqual(moved, blocked);
    assert.equal(pool.pick(url), moved, "the host stays on its new proxy");
  } finally {
    pool.close();
  }
});

test("ProxyPool with request rotation sends a host's next request after a block through another proxy", () => {
  const pool = new ProxyPool(proxySettings(["http://10.0.0.1:3128", "http://10.0.0.2:3128"], "request"));
  try {
    const url = "http://site.example/";
    const blocked = pool.pick(url)!;
    pool.pick("http://other.example/"); // the next in turn is the blocked one again
    pool.blocked(url, blocked);
    assert.notEqual(pool.pick(url), blocked);
    pool.pick("http://other.example/");
    assert.equal(pool.pick(url), blocked, "only the host's next request skips it");
  } finally {
    pool.close();
  }
});

test("ProxyPool bench doubles with each failure in a row, up to 5 minutes, and a success resets it", () => {
  const benches: number[] = [];
  const pool = new ProxyPool(proxySettings(["http://10.0.0.1:3128"], "request"), (event) => event.type === "bench" && benches.push(event.ms));
  try {
    const proxy = pool.pick("http://example.com/") as Proxy & { benchedUntil: number };
    for (let i = 0; i < 9; i++) {
      pool.failed(proxy);
      pool.failed(proxy); // a request that left before the bench: no longer bench
      proxy.benchedUntil = 0; // as if the bench were over
    }
    pool.succeeded(proxy);
    pool.failed(proxy);
    assert.deepEqual(benches, [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 5_000]);
  } finally {
    pool.close();
  }
});

test("proxySettings() reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY as curl does, lower case first", () => {
  const settings = proxySettings(
    { env: { HTTP_PROXY: "http://upper:3128", http_proxy: "lower:3128", HTTPS_PROXY: "socks5://s:1080", NO_PROXY: "Example.com, .internal:8080 [::1] *.dev" } },
    "host",
  );
  assert.deepEqual(settings.proxies, [
    { url: "http://lower:3128/", schemes: ["http"] },
    { url: "socks5://s:1080", schemes: ["https"] },
  ]);
  const pool = new ProxyPool(settings);
  try {
    const via = (url: string) => pool.pick(url)?.name ?? "direct";
    assert.equal(via("http://site.org/"), "http://lower:3128");
    assert.equal(via("https://site.org/"), "socks5://s:1080");
    assert.equal(via("https://example.com/"), "direct");
    assert.equal(via("https://www.example.com/"), "direct");
    assert.equal(via("https://notexample.com/"), "socks5://s:1080");
    assert.equal(via("http://a.internal:8080/"), "direct");
    assert.equal(via("http://a.internal/"), "http://lower:3128");
    assert.equal(via("http://[::1]:9/"), "direct");
    assert.equal(via("http://x.dev/"), "direct");
  } finally {
    pool.close();
  }
  assert.deepEqual(proxySettings({ env: { NO_PROXY: "*", HTTP_PROXY: "p:1" } }, "host").noProxy, ["*"]);
  assert.deepEqual(proxySettings({ env: {} }, "host").proxies, []);
});

test("proxyFailure() tells the proxy's own failures from the site's", () => {
  const proxy = "http://127.0.0.1:3128";
  const cases: [string, boolean][] = [
    ["connect ECONNREFUSED 127.0.0.1:3128", true],
    ["Bad response: 407", true],
    ["Socks5 Authentication failed", true],
    ["Socks5 proxy rejected connection - NotAllowed", true],
    ["Bad response: 502", false],
    ["Socks5 proxy rejected connection - HostUnreachable", false],
    ["Socks5 proxy rejected connection - ConnectionRefused", false],
  ];
  for (const [message, fault] of cases) assert.equal(proxyFailure(new Error(message), proxy).proxyFault, fault, message);
  assert.equal(proxyFailure(new Error("Bad response: 502"), proxy).message, `Proxy ${proxy} could not reach the site: it answered CONNECT with HTTP 502 Bad Gateway`);
});
