import { test } from "node:test";
import assert from "node:assert/strict";
import { Fetcher, type FetcherOptions } from "../../src/fetch/fetcher.ts";
import type { FetchedPage } from "../../src/records.ts";
import { RobotsCache } from "../../src/fetch/robots.ts";
import { bytes, html, startServer, type Handler, type TestServer } from "../helpers/server.ts";
import { runSteps } from "../helpers/steps.ts";

const page = html("<title>page</title>");
const text = (body: string): Handler => bytes(Buffer.from(body, "utf8"), "text/plain");
const status = (code: number): Handler => html(`<title>${code}</title>`, { status: code });

async function withFetcher(
  routes: Record<string, Handler>,
  options: FetcherOptions,
  body: (server: TestServer, fetcher: Fetcher) => Promise<void>,
): Promise<void> {
  const server = await startServer(routes);
  const fetcher = new Fetcher({ retryDelay: 1, ...options });
  try {
    await body(server, fetcher);
  } finally {
    fetcher.close();
    await server.close();
  }
}

/** Fetches every URL at once, each step after step. */
async function fetchAll(fetcher: Fetcher, urls: string[]): Promise<FetchedPage[]> {
  return (await Promise.all(urls.map((url) => runSteps(fetcher, url)))).map((run) => run.page);
}

test("Fetcher obeys robots.txt: a disallowed URL is an EROBOTS record and never requested", async () => {
  const routes = {
    "/robots.txt": text("User-agent: *\nDisallow: /private\n"),
    "/open": page,
    "/private/a": page,
  };
  await withFetcher(routes, {}, async (server, fetcher) => {
    const [open, closed] = await fetchAll(fetcher, [server.url("/open"), server.url("/private/a")]);
    assert.equal(open!.status, 200);
    assert.equal(open!.error, "");
    assert.equal(closed!.errorCode, "EROBOTS");
    assert.equal(closed!.error, `Disallowed by robots.txt (${server.url("/private/a")})`);
    assert.equal(closed!.status, 0);
    assert.equal(closed!.attempts, 0);
    assert.equal(server.hitsOf("/private/a"), 0);
    assert.equal(server.hitsOf("/open"), 1);
  });
});

test("Fetcher fetches each origin's robots.txt once, however many URLs ask at the same time", async () => {
  const routes: Record<string, Handler> = { "/robots.txt": text("User-agent: *\nAllow: /\n") };
  for (let i = 0; i < 20; i++) routes[`/p${i}`] = page;
  await withFetcher(routes, {}, async (server, fetcher) => {
    const pages = await fetchAll(fetcher, Object.keys(routes).slice(1).map((path) => server.url(path)));
    assert.deepEqual(new Set(pages.map((p) => p.status)), new Set([200]));
    assert.equal(server.hitsOf("/robots.txt"), 1);
    assert.equal(server.total, 21);
  });
});

test("Fetcher applies the robots.txt group of its own product token before the * group", async () => {
  const routes = {
    "/robots.txt": text("User-agent: *\nDisallow: /\n\nUser-agent: rxcrawl\nDisallow: /mine\n"),
    "/shared": page,
    "/mine": page,
  };
  await withFetcher(routes, {}, async (server, fetcher) => {
    const [shared, mine] = await fetchAll(fetcher, [server.url("/shared"), server.url("/mine")]);
    assert.equal(shared!.status, 200);
    assert.equal(mine!.errorCode, "EROBOTS");
  });
  await withFetcher(routes, { userAgent: "OtherBot/2.0" }, async (server, fetcher) => {
    const [shared] = await fetchAll(fetcher, [server.url("/shared")]);
    assert.equal(shared!.errorCode, "EROBOTS");
    assert.equal(server.hitsOf("/shared"), 0);
  });
});

test("Fetcher treats a missing robots.txt (4xx) as no rules", async () => {
  await withFetcher({ "/a": page }, {}, async (server, fetcher) => {
    const [a] = await fetchAll(fetcher, [server.url("/a")]);
    assert.equal(a!.status, 200);
    assert.equal(server.hitsOf("/robots.txt"), 1);
  });
});

test("Fetcher retries a robots.txt that answers 5xx, then crawls nothing of that origin, without requesting it", async () => {
  await withFetcher({ "/robots.txt": status(503), "/a": page, "/b": page }, { retries: 2 }, async (server, fetcher) => {
    const pages = await fetchAll(fetcher, [server.url("/a"), server.url("/b")]);
    for (const p of pages) {
      assert.equal(p.errorCode, "EROBOTS");
      assert.match(p.error, /^robots\.txt answered HTTP 503/);
    }
    assert.equal(server.hitsOf("/robots.txt"), 3);
    assert.equal(server.hitsOf("/a") + server.hitsOf("/b"), 0);
  });
});

test("Fetcher records a host whose robots.txt cannot be reached with the network error", async () => {
  const closed = await startServer({});
  const url = closed.url("/a");
  await closed.close();
  const fetcher = new Fetcher({ retries: 0 });
  try {
    const { page } = await runSteps(fetcher, url);
    assert.equal(page.errorCode, "ENETWORK");
    assert.match(page.error, /^robots\.txt unreachable: ECONNREFUSED/);
  } finally {
    fetcher.close();
  }
});

test("Fetcher follows redirects to robots.txt and does not follow a redirect to a disallowed URL", async () => {
  const routes: Record<string, Handler> = {
    "/robots.txt": (_req, res) => void res.writeHead(301, { location: "/rules.txt" }).end(),
    "/rules.txt": text("User-agent: *\nDisallow: /secret\n"),
    "/moved": (_req, res) => void res.writeHead(302, { location: "/secret" }).end(),
    "/secret": page,
  };
  await withFetcher(routes, {}, async (server, fetcher) => {
    const [moved] = await fetchAll(fetcher, [server.url("/moved")]);
    assert.equal(moved!.errorCode, "EROBOTS");
    assert.equal(moved!.status, 302);
    assert.match(moved!.error, /^Redirect to .*\/secret not followed: Disallowed by robots\.txt/);
    assert.equal(server.hitsOf("/rules.txt"), 1);
    assert.equal(server.hitsOf("/secret"), 0);
  });
});

test("Fetcher reads at most 512 KiB of a robots.txt and obeys the rules in it", async () => {
  const huge = "User-agent: *\nDisallow: /no\n" + "# filler line\n".repeat(100_000);
  await withFetcher({ "/robots.txt": text(huge), "/no": page, "/yes": page }, {}, async (server, fetcher) => {
    const [no, yes] = await fetchAll(fetcher, [server.url("/no"), server.url("/yes")]);
    assert.equal(no!.errorCode, "EROBOTS");
    assert.equal(yes!.status, 200);
  });
});

test("Fetcher fetches an origin's robots.txt as a step of its own, giving back the request, its Crawl-delay and its sitemaps", async () => {
  const robots = "User-agent: *\nCrawl-delay: 0.2\nSitemap: /maps/one.xml\nSitemap: http://elsewhere.test/two.xml#x\n";
  await withFetcher({ "/robots.txt": text(robots), "/p": page }, {}, async (server, fetcher) => {
    const request = { url: server.url("/p"), depth: 3 };
    let sent = 0;
    const step = await fetcher.step(request, { sent: () => sent++ });
    assert.ok("again" in step);
    assert.deepEqual([server.hitsOf("/robots.txt"), server.hitsOf("/p"), sent], [1, 0, 1]);
    assert.equal(step.delayMs, 0);
    assert.deepEqual(step.again, { ...request, progress: { redirects: [], requests: 0, retries: 0, wireBytes: 0, tries: 0 } });
    // The Crawl-delay, and 5% more for the jitter of arrivals (see startSpacingMs).
    assert.deepEqual(step.pace, { host: new URL(server.origin).host, intervalMs: 210 });
    assert.deepEqual(step.sitemaps, [server.url("/maps/one.xml"), "http://elsewhere.test/two.xml"]);
    const next = await fetcher.step(step.again);
    assert.ok("page" in next);
    assert.deepEqual([next.page.status, next.page.attempts, next.page.wireBytes > 0], [200, 1, true]);
    assert.equal(server.hitsOf("/robots.txt"), 1);
  });
});

test("Fetcher gives a robots.txt retry back to wait like any request, then obeys the file", async () => {
  let calls = 0;
  const flaky: Handler = (req, res) => (++calls === 1 ? status(503)(req, res) : text("User-agent: *\nDisallow: /no\n")(req, res));
  await withFetcher({ "/robots.txt": flaky, "/no": page }, { retries: 1, retryDelay: 100 }, async (server, fetcher) => {
    const first = await fetcher.step({ url: server.url("/no"), depth: 0 });
    assert.ok("again" in first);
    assert.ok(first.delayMs >= 50, `delay ${first.delayMs}`);
    const { page: no } = await runSteps(fetcher, first.again);
    assert.equal(no.errorCode, "EROBOTS");
    assert.deepEqual([server.hitsOf("/robots.txt"), server.hitsOf("/no")], [2, 0]);
  });
});

test("Fetcher checks a redirect's target against its origin's robots.txt once that file is in, and does not follow it when disallowed", async () => {
  const other = await startServer({ "/robots.txt": text("User-agent: *\nDisallow: /closed\n"), "/closed": page });
  try {
    await withFetcher({ "/robots.txt": text(""), "/moved": (_req, res) => void res.writeHead(301, { location: other.url("/closed") }).end() }, {}, async (server, fetcher) => {
      const { page: moved, steps } = await runSteps(fetcher, server.url("/moved"));
      assert.equal(steps.length, 4, "own robots.txt, /moved, the other's robots.txt, then the refusal");
      assert.equal(moved.errorCode, "EROBOTS");
      assert.equal(moved.error, `Redirect to ${other.url("/closed")} not followed: Disallowed by robots.txt (${server.url("/moved")})`);
      assert.deepEqual([moved.status, moved.finalUrl, moved.attempts, moved.redirects], [301, server.url("/moved"), 1, 0]);
      assert.equal(other.hitsOf("/closed"), 0);
    });
  } finally {
    await other.close();
  }
});

test("Fetcher with robots: false never asks for robots.txt", async () => {
  await withFetcher({ "/robots.txt": text("User-agent: *\nDisallow: /\n"), "/a": page }, { robots: false }, async (server, fetcher) => {
    const [a] = await fetchAll(fetcher, [server.url("/a")]);
    assert.equal(a!.status, 200);
    assert.equal(server.hitsOf("/robots.txt"), 0);
  });
});

test("RobotsCache fetches an unreachable robots.txt again once its minute is over, not before", async (t) => {
  t.mock.timers.enable({ apis: ["Date"] });
  let calls = 0;
  const robots = new RobotsCache("rxcrawl/0.1", async () => {
    calls++;
    return { status: 0, text: "", error: "ECONNRESET: socket hang up", errorCode: "ENETWORK" };
  });
  const url = "http://127.0.0.1:1/a";
  assert.equal((await robots.rulesFor(url)).refusal(url)?.code, "ENETWORK");
  await robots.rulesFor(url);
  assert.equal(calls, 1);
  t.mock.timers.tick(60_001);
  await robots.rulesFor(url);
  assert.equal(calls, 2);
});
