import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { lastValueFrom, take, tap, toArray } from "rxjs";
import { crawl, type CrawlOptions } from "../src/crawl.ts";
import { CrawlStats } from "../src/stats/crawl_stats.ts";
import { demoLastmod, startDemoSite } from "../src/demo/demo_site.ts";
import { UsageError } from "../src/errors.ts";
import type { PageRecord } from "../src/records.ts";
import { bytes, delay, type Download, download, html, redirect, startServer, type Handler, type TestServer } from "./helpers/server.ts";

function collect(options: CrawlOptions): Promise<PageRecord[]> {
  return lastValueFrom(crawl(options).pipe(toArray()));
}

function byUrl(records: readonly PageRecord[]): PageRecord[] {
  return [...records].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

/** A page titled `title` that links to each of `hrefs`, in order. */
function page(title: string, hrefs: readonly string[] = []): Handler {
  const links = hrefs.map((href) => `<a href="${href}">${title} to ${href}</a>`).join("\n");
  return html(`<!DOCTYPE html><html><head><title>${title}</title></head><body>${links}</body></html>`);
}

/** Starts a server, hands it to `fn` and closes it whatever happens. */
async function withServer(
  routes: Record<string, Handler> | Handler,
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(routes);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Settles once `condition()` holds, polling; fails the test if it never does. */
async function waitFor(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Timers that keep this process alive now (the test servers' included, as they run in this process). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
}

// A crawl may ask each origin for /robots.txt (that is the fetcher's business and has its own tests), so the counts
// of what a server saw leave it out.
const ROBOTS = "/robots.txt";

/** The pages the server was asked for, sorted. */
function pathsSeen(server: TestServer): string[] {
  return [...server.hits.keys()].filter((path) => path !== ROBOTS).sort();
}

/** Requests the server saw for pages. */
function pageRequests(server: TestServer): number {
  return server.total - server.hitsOf(ROBOTS);
}

/** Whether no page was requested twice. */
function eachOnce(server: TestServer): boolean {
  return [...server.hits].every(([path, count]) => path === ROBOTS || count === 1);
}

test("crawl() emits every reachable page once on a graph with cycles, and requests each path once", async () => {
  const routes: Record<string, Handler> = {};
  await withServer(routes, async (server) => {
    // Variants of one URL: upper-case scheme and host, fragments, "./" and "#x" that point back at the page itself.
    const port = new URL(server.origin).port;
    const site = `http://localhost:${port}`;
    routes["/"] = page("home", [
      "/a",
      "/a#top",
      `http://LOCALHOST:${port}/b`,
      "./",
      "#top",
      `HTTP://LocalHost:${port}/c#x`,
      "http://localhost:80/elsewhere",
    ]);
    routes["/a"] = page("a", ["/", "/a", "b", `${site}/b#z`]);
    routes["/b"] = page("b", ["c", "/a", `http://LOCALHOST:${port}/`]);
    routes["/c"] = page("c", ["/d", "/c#self"]);
    routes["/d"] = page("d", ["/e", "/"]);
    routes["/e"] = page("e", ["/c", "/e", "/d#back"]); // reachable only through /c and /d
    routes["/orphan"] = page("orphan", ["/"]);
    routes["/orphan2"] = page("orphan2");

    const records = byUrl(await collect({ start: [`http://LocalHost:${port}/#start`, `${site}/`] }));

    assert.deepEqual(
      records.map((r) => [r.url, r.depth, r.status, r.title, r.errorCode]),
      [
        [`${site}/`, 0, 200, "home", ""],
        [`${site}/a`, 1, 200, "a", ""],
        [`${site}/b`, 1, 200, "b", ""],
        [`${site}/c`, 1, 200, "c", ""],
        [`${site}/d`, 2, 200, "d", ""],
        [`${site}/e`, 3, 200, "e", ""],
      ],
    );
    // Links are normalized and deduplicated; the default port disappears, which makes that link another host.
    const home = ["/a", "/b", "/", "/c"].map((path) => site + path);
    assert.deepEqual(records[0]!.links, [...home, "http://localhost/elsewhere"]);
    assert.deepEqual(pathsSeen(server), ["/", "/a", "/b", "/c", "/d", "/e"]);
    assert.ok(eachOnce(server), `duplicate requests: ${[...server.hits]}`);
    assert.equal(pageRequests(server), 6);
  });
});

/** Page i of a 60-page tree links to its three children and back to the root. */
const tree: Handler = (req, res) => {
  const i = Number(/^\/p(\d+)$/.exec(req.url ?? "")?.[1] ?? NaN);
  if (!(i < 60)) return page("missing")(req, res);
  const children = [3 * i + 1, 3 * i + 2, 3 * i + 3].filter((child) => child < 60);
  return page(`p${i}`, [...children.map((child) => `/p${child}`), "/p0"])(req, res);
};

test("crawl() keeps at most `concurrency` requests in flight, and reaches it", async () => {
  await withServer(delay(30, tree), async (server) => {
    const records = await collect({ start: server.url("/p0"), concurrency: 4 });
    assert.equal(records.length, 60);
    assert.equal(new Set(records.map((r) => r.url)).size, 60);
    assert.ok(records.every((r) => r.status === 200 && r.error === ""));
    assert.equal(pageRequests(server), 60);
    assert.equal(server.maxInFlight, 4);
  });
});

test("crawl() holds perHost on each host while the global cap stays at concurrency", async () => {
  const origins = { a: "", b: "" };
  let inFlight = 0;
  let maxInFlight = 0;
  // Page i on either server links to pages i+1..i+3 on both, so both hosts always have work queued.
  const crossLinked: Handler = (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once("close", () => inFlight--);
    const i = Number(req.url?.slice(2));
    const next = [i + 1, i + 2, i + 3].filter((j) => j < 20);
    return delay(30, page(`p${i}`, next.flatMap((j) => [`${origins.a}/p${j}`, `${origins.b}/p${j}`])))(req, res);
  };
  const a = await startServer(crossLinked);
  const b = await startServer(crossLinked);
  origins.a = a.origin;
  origins.b = b.origin;
  try {
    const records = await collect({ start: [a.url("/p0"), b.url("/p0")], hosts: "any", concurrency: 3, perHost: 2 });
    assert.equal(records.length, 40);
    assert.deepEqual([pageRequests(a), pageRequests(b)], [20, 20]);
    assert.deepEqual([a.maxInFlight, b.maxInFlight], [2, 2]);
    assert.equal(maxInFlight, 3);
  } finally {
    await a.close();
    await b.close();
  }
});

test("crawl() starts at most `rate` requests per second on a host", async () => {
  const hrefs = Array.from({ length: 20 }, (_, i) => `/r${i}`);
  await withServer((req, res) => page(req.url ?? "", req.url === "/" ? hrefs : [])(req, res), async (server) => {
    const started = performance.now();
    const records = await collect({ start: server.url("/"), rate: 20 });
    const elapsed = performance.now() - started;
    assert.equal(records.length, 21);
    assert.equal(pageRequests(server), 21);
    // 21 starts spaced by 50 ms span at least 1 s; only a lower bound is asserted, as machines run late, not early.
    assert.ok(elapsed >= 950, `21 pages at rate 20 took ${elapsed.toFixed(0)} ms`);
  });
});

/** Records when each request reached `handler` (performance.now(), in arrival order), with its path. */
function arrivals(handler: Handler): { handler: Handler; seen: { path: string; at: number }[] } {
  const seen: { path: string; at: number }[] = [];
  return {
    seen,
    handler: (req, res) => {
      seen.push({ path: req.url ?? "", at: performance.now() });
      return handler(req, res);
    },
  };
}

/** The gaps between consecutive arrivals, with the paths on either side. */
function gaps(seen: readonly { path: string; at: number }[]): { between: string; ms: number }[] {
  return seen.slice(1).map((arrival, i) => ({ between: `${seen[i]!.path} -> ${arrival.path}`, ms: arrival.at - seen[i]!.at }));
}

test("crawl() spaces every start on a host by 1/rate, robots.txt, retries and redirects included", async () => {
  let flaky = 0;
  const routes: Record<string, Handler> = {
    "/robots.txt": (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("User-agent: *\nAllow: /\n"),
    "/": page("home", ["/flaky", "/moved", "/a", "/b", "/c"]),
    "/flaky": (req, res) => (++flaky <= 2 ? html("<title>busy</title>", { status: 503 }) : page("flaky"))(req, res),
    "/moved": redirect("/moved/here"),
    "/moved/here": page("moved"),
    "/a": page("a"),
    "/b": page("b"),
    "/c": page("c"),
  };
  const { handler, seen } = arrivals((req, res) => (routes[req.url ?? ""] ?? page("missing"))(req, res));
  await withServer(handler, async (server) => {
    const records = await collect({ start: server.url("/"), rate: 4, concurrency: 8, retries: 2, retryDelay: 1 });
    assert.equal(records.length, 6);
    assert.deepEqual(records.find((r) => r.url === server.url("/flaky"))?.attempts, 3);
    assert.equal(seen.length, 10, "robots.txt, 6 pages, 2 retries and a redirect's target");
    // 250 ms apart at least when they leave. The server notes an arrival when its event loop gets to it, and a loaded
    // machine can bring two notes closer than the requests were (by 75 ms, seen): the margin allows for it.
    const short = gaps(seen).filter((gap) => gap.ms < 150);
    assert.deepEqual(short, [], "no two requests to the host closer than 1/rate");
  });
});

test("crawl() spaces a host's starts by its robots.txt Crawl-delay from the robots.txt request on", async () => {
  const routes: Record<string, Handler> = {
    "/robots.txt": (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("User-agent: *\nCrawl-delay: 0.3\n"),
    "/": page("home", ["/a", "/b", "/c"]),
  };
  const { handler, seen } = arrivals((req, res) => (routes[req.url ?? ""] ?? page(req.url ?? ""))(req, res));
  await withServer(handler, async (server) => {
    const records = await collect({ start: server.url("/"), concurrency: 4 });
    assert.equal(records.length, 4);
    assert.deepEqual(seen.map((arrival) => arrival.path).slice(0, 2), ["/robots.txt", "/"]);
    const short = gaps(seen).filter((gap) => gap.ms < 200);
    assert.deepEqual(short, [], "no two requests closer than the Crawl-delay of 300 ms, less a margin");
  });
});

test("crawl() gives the fetch slots to hosts that may start: a paced host does not hold them while others wait", async () => {
  const slow = arrivals(page("slow"));
  const fast = arrivals(page("fast"));
  const a = await startServer(slow.handler);
  const b = await startServer(fast.handler);
  try {
    // A's pages are listed first: a first-come frontier would fill both slots with them, each waiting for a's pace.
    const start = [...Array.from({ length: 8 }, (_, i) => a.url(`/a${i}`)), ...Array.from({ length: 8 }, (_, i) => b.url(`/b${i}`))];
    const records = await collect({ start, hosts: "any", follow: false, concurrency: 2, rate: 2.5, robots: false });
    assert.equal(records.length, 16);
    assert.ok(fast.seen[0]!.at < slow.seen[1]!.at, "b started while a waited for its next start");
    // The two hosts take turns: neither is more than one start ahead of the other.
    const all = [...slow.seen.map(({ at }) => ({ at, host: "a" })), ...fast.seen.map(({ at }) => ({ at, host: "b" }))].sort((x, y) => x.at - y.at);
    const counts = all.map((_, i) => all.slice(0, i + 1).filter((x) => x.host === "a").length - all.slice(0, i + 1).filter((x) => x.host === "b").length);
    assert.ok(counts.every((difference) => Math.abs(difference) <= 2), `a minus b over time: ${counts.join(" ")}`);
    assert.ok(gaps(fast.seen).every((gap) => gap.ms >= 300) && gaps(slow.seen).every((gap) => gap.ms >= 300));
  } finally {
    await a.close();
    await b.close();
  }
});

const chain = {
  "/d0": page("d0", ["/d1", "/x1"]),
  "/d1": page("d1", ["/d2"]),
  "/d2": page("d2", ["/d3"]),
  "/d3": page("d3", ["/d4"]),
  "/d4": page("d4"),
  "/x1": page("x1", ["/x2"]),
  "/x2": page("x2", ["/x3"]),
  "/x3": page("x3"),
};

test("crawl() with maxDepth 0 crawls only the start URLs", async () => {
  await withServer(chain, async (server) => {
    const records = byUrl(await collect({ start: [server.url("/d0"), server.url("/x2")], maxDepth: 0 }));
    assert.deepEqual(
      records.map((r) => [r.url, r.depth, r.links]),
      [
        [server.url("/d0"), 0, [server.url("/d1"), server.url("/x1")]],
        [server.url("/x2"), 0, [server.url("/x3")]],
      ],
    );
    assert.deepEqual(pathsSeen(server), ["/d0", "/x2"]);
  });
});

test("crawl() with maxDepth 2 stops two links away from the start, and records carry their depth", async () => {
  await withServer(chain, async (server) => {
    const records = byUrl(await collect({ start: server.url("/d0"), maxDepth: 2 }));
    assert.deepEqual(
      records.map((r) => [r.url, r.depth]),
      [
        [server.url("/d0"), 0],
        [server.url("/d1"), 1],
        [server.url("/d2"), 2],
        [server.url("/x1"), 1],
        [server.url("/x2"), 2],
      ],
    );
    assert.deepEqual(pathsSeen(server), ["/d0", "/d1", "/d2", "/x1", "/x2"]);
  });
});

test("crawl() with maxPages emits exactly that many records and makes that many requests", async () => {
  // An endless site: every page links to twenty new ones.
  const endless: Handler = (req, res) => {
    const i = Number(req.url?.slice(2));
    return page(`n${i}`, Array.from({ length: 20 }, (_, k) => `/n${i * 20 + k + 1}`))(req, res);
  };
  await withServer(delay(10, endless), async (server) => {
    const records = await collect({ start: server.url("/n0"), maxPages: 7, concurrency: 4 });
    assert.equal(records.length, 7);
    assert.equal(new Set(records.map((r) => r.url)).size, 7);
    assert.equal(pageRequests(server), 7);
  });
});

test("crawl() with maxPages starts the hosts in turn, not the first URLs found, and ends at max-pages with the rest counted as left", async () => {
  const hosts: { a?: TestServer; b?: TestServer } = {};
  // a's home links to ten pages of its own, then to b's home, which links to ten of b's.
  const site = (name: "a" | "b"): Handler => (req, res) => {
    const links = Array.from({ length: 10 }, (_, i) => `/${name}${i + 1}`);
    if (req.url === "/" && name === "a") links.push(hosts.b!.url("/"));
    return page(`${name}${req.url}`, req.url === "/" ? links : [])(req, res);
  };
  hosts.a = await startServer(site("a"));
  hosts.b = await startServer(site("b"));
  try {
    const stats = new CrawlStats();
    const records = await collect({ start: hosts.a.url("/"), hosts: "any", maxPages: 9, concurrency: 1, stats });
    assert.equal(records.length, 9);
    const [fromA, fromB] = [pageRequests(hosts.a), pageRequests(hosts.b)];
    assert.equal(fromA + fromB, 9);
    assert.ok(fromB >= 4, `b's pages are fetched in turn with a's: ${fromA} from a, ${fromB} from b`);
    assert.equal(stats.finish, "max-pages");
    assert.equal(stats.summary().left, 22 - 9, "every link found is counted, and those not fetched are left");
    assert.deepEqual(stats.crawl, { admitted: 22, done: 9, errors: 0, queued: 13, leased: 0, started: 9 });
  } finally {
    await hosts.a.close();
    await hosts.b.close();
  }
});

test("crawl() ends done, not max-pages, when maxPages is spent exactly as nothing is left", async () => {
  await withServer({ "/": page("home", ["/1", "/2"]), "/1": page("one"), "/2": page("two") }, async (server) => {
    const stats = new CrawlStats();
    assert.equal((await collect({ start: server.url("/"), maxPages: 3, stats })).length, 3);
    assert.equal(stats.finish, "done");
    assert.equal(stats.summary().left, 0);
  });
});

test("crawl() stays on the hosts of the start URLs by default", async () => {
  const other = await startServer({ "/b1": page("b1", ["/b2"]), "/b2": page("b2") });
  try {
    const routes = { "/": page("home", ["/a1", other.url("/b1")]), "/a1": page("a1", [other.url("/b2")]) };
    await withServer(routes, async (server) => {
      const records = byUrl(await collect({ start: server.url("/") }));
      assert.deepEqual(records.map((r) => r.url), [server.url("/"), server.url("/a1")]);
      assert.equal(other.total, 0); // not even its robots.txt
    });
  } finally {
    await other.close();
  }
});

test('crawl() follows links to any host with hosts: "any", and only to the listed hosts with a list', async () => {
  const b = await startServer({ "/b1": page("b1", ["/b2"]), "/b2": page("b2") });
  const c = await startServer({ "/c1": page("c1") });
  const routes = { "/": page("home", [b.url("/b1"), c.url("/c1")]) };
  try {
    await withServer(routes, async (a) => {
      const records = await collect({ start: a.url("/"), hosts: "any" });
      assert.deepEqual(records.map((r) => r.url).sort(), [a.url("/"), b.url("/b1"), b.url("/b2"), c.url("/c1")].sort());
      assert.deepEqual([pageRequests(a), pageRequests(b), pageRequests(c)], [1, 2, 1]);
    });
    await withServer(routes, async (a) => {
      const hosts = [new URL(a.origin).host, new URL(c.origin).host];
      const records = await collect({ start: a.url("/"), hosts });
      assert.deepEqual(records.map((r) => r.url).sort(), [a.url("/"), c.url("/c1")].sort());
      // b's two requests are the first crawl's.
      assert.deepEqual([pageRequests(a), pageRequests(b), pageRequests(c)], [1, 2, 2]);
    });
  } finally {
    await b.close();
    await c.close();
  }
});

test("crawl() follows only links that match allow and not deny", async () => {
  const routes = {
    "/": page("home", ["/keep/1", "/skip/1", "/keep/secret", "/keep/2?x=skip"]),
    "/keep/1": page("k1", ["/keep/2", "/skip/2"]),
    "/keep/2": page("k2"),
  };
  await withServer(routes, async (server) => {
    const options = { start: server.url("/"), allow: ["/keep/\\d+$", /\?x=/], deny: [/secret|skip$/] };
    const records = byUrl(await collect(options));
    assert.deepEqual(
      records.map((r) => [r.url, r.status]),
      [
        [server.url("/"), 200],
        [server.url("/keep/1"), 200],
        [server.url("/keep/2"), 200],
      ],
    );
    assert.deepEqual(pathsSeen(server), ["/", "/keep/1", "/keep/2"]);
  });
});

/** A site of the Python manual's kind: pages that link to files, a large archive among them. */
function fileSite(downloads: Download[]): Record<string, Handler> {
  const MB = 1024 * 1024;
  const files = ["/guide.pdf", "/logo.PNG", "/dist/tool-1.0.tar.gz", "/includes/example.py", "/big.zip", "/export"];
  return {
    "/": page("home", ["/about", ...files, "/page.html?download=docs.zip"]),
    "/about": page("about", ["/"]),
    "/page.html": page("a page with a query"),
    "/guide.pdf": bytes(Buffer.from("%PDF-1.4\n"), "application/pdf"),
    "/logo.PNG": bytes(Buffer.from([0x89, 0x50, 0x4e, 0x47]), "image/png"),
    "/dist/tool-1.0.tar.gz": bytes(Buffer.alloc(1000), "application/gzip"),
    "/includes/example.py": bytes(Buffer.from("print('hi')\n"), "text/x-python"),
    "/big.zip": download(12 * MB, "application/zip", downloads),
    // No extension: only its type tells that it is a file.
    "/export": download(6 * MB, "application/zip", downloads),
  };
}

test("crawl() requests no link to a file by its extension and leaves it no row; one without an extension is a row of a file", async () => {
  await withServer(fileSite([]), async (server) => {
    const stats = new CrawlStats();
    const records = byUrl(await collect({ start: server.url("/"), stats }));
    assert.deepEqual(
      records.map((r) => [r.url, r.status, r.bytes > 0, r.errorCode]),
      [
        [server.url("/"), 200, true, ""],
        [server.url("/about"), 200, true, ""],
        [server.url("/export"), 200, false, ""],
        [server.url("/page.html?download=docs.zip"), 200, true, ""],
      ],
    );
    assert.deepEqual(pathsSeen(server), ["/", "/about", "/export", "/page.html?download=docs.zip"]);
    const summary = stats.summary();
    assert.deepEqual([summary.pages, summary.ok, summary.files, summary.errors], [4, 4, 1, 0]);
  });
});

test("crawl() with keepFiles requests links to files and closes each after its headers: rows with their status and type, 0 bytes, no error", async () => {
  const downloads: Download[] = [];
  await withServer(fileSite(downloads), async (server) => {
    const stats = new CrawlStats();
    const records = byUrl(await collect({ start: server.url("/"), keepFiles: true, stats }));
    const files = records.filter((r) => r.bytes === 0);
    assert.deepEqual(
      files.map((r) => [new URL(r.url).pathname, r.status, r.contentType, r.error, r.title, r.links.length]),
      [
        ["/big.zip", 200, "application/zip", "", "", 0],
        ["/dist/tool-1.0.tar.gz", 200, "application/gzip", "", "", 0],
        ["/export", 200, "application/zip", "", "", 0],
        ["/guide.pdf", 200, "application/pdf", "", "", 0],
        ["/includes/example.py", 200, "text/x-python", "", "", 0],
        ["/logo.PNG", 200, "image/png", "", "", 0],
      ],
    );
    assert.equal(records.length, 9, "the crawl went on past the large files");
    assert.equal(downloads.length, 2);
    const summary = stats.summary();
    assert.deepEqual([summary.pages, summary.ok, summary.files, summary.errors], [9, 9, 6, 0]);
    assert.equal(summary.bodyBytes.count, 3, "the three pages' bodies, and no file's");
  });
});

test("crawl() with skipExtensions follows what its list leaves out, and fetches a start URL whatever its extension", async () => {
  await withServer(fileSite([]), async (server) => {
    const records = byUrl(await collect({ start: [server.url("/"), server.url("/guide.pdf")], skipExtensions: ["-py", "-pdf", "zip"] }));
    assert.deepEqual(
      records.map((r) => new URL(r.url).pathname),
      ["/", "/about", "/dist/tool-1.0.tar.gz", "/export", "/guide.pdf", "/includes/example.py", "/logo.PNG", "/page.html"],
    );
    const pdf = records.find((r) => r.url === server.url("/guide.pdf"))!;
    assert.deepEqual([pdf.depth, pdf.status, pdf.error], [0, 200, ""]);
  });
});

test("crawl() records a redirect out of scope as ESCOPE without requesting its target", async () => {
  const other = await startServer({ "/target": page("target") });
  try {
    const routes = {
      "/": page("home", ["/out", "/to-private", "/in"]),
      "/out": redirect(other.url("/target")),
      "/to-private": redirect("/private/x", 301),
      "/private/x": page("private"),
      "/in": page("in"),
    };
    await withServer(routes, async (server) => {
      const records = byUrl(await collect({ start: server.url("/"), deny: ["/private/"] }));
      assert.deepEqual(
        records.map((r) => [r.url, r.finalUrl, r.status, r.errorCode, r.error]),
        [
          [server.url("/"), server.url("/"), 200, "", ""],
          [server.url("/in"), server.url("/in"), 200, "", ""],
          [
            server.url("/out"),
            server.url("/out"),
            302,
            "ESCOPE",
            `Redirect to ${other.url("/target")} not followed: out of the crawl's scope (${server.url("/out")})`,
          ],
          [
            server.url("/to-private"),
            server.url("/to-private"),
            301,
            "ESCOPE",
            `Redirect to ${server.url("/private/x")} not followed: out of the crawl's scope (${server.url("/to-private")})`,
          ],
        ],
      );
      assert.equal(other.total, 0); // not even its robots.txt
      assert.equal(server.hitsOf("/private/x"), 0);
    });
  } finally {
    await other.close();
  }
});

test("crawl() records a redirect to a URL it has seen as EDUPLICATE and never requests a URL twice", async () => {
  const routes = {
    "/": page("home", ["/a", "/alias", "/moved"]),
    "/a": page("a"),
    "/alias": redirect("/a"),
    "/moved": redirect("/new#frag", 301),
    // The target of a redirect counts as seen: these links lead nowhere new.
    "/new": page("new", ["/moved", "/new", "/a"]),
  };
  await withServer(routes, async (server) => {
    const records = byUrl(await collect({ start: server.url("/") }));
    assert.deepEqual(
      records.map((r) => [r.url, r.finalUrl, r.status, r.title, r.errorCode]),
      [
        [server.url("/"), server.url("/"), 200, "home", ""],
        [server.url("/a"), server.url("/a"), 200, "a", ""],
        [server.url("/alias"), server.url("/alias"), 302, "", "EDUPLICATE"],
        [server.url("/moved"), server.url("/new"), 200, "new", ""],
      ],
    );
    assert.equal(
      records.find((r) => r.url === server.url("/alias"))?.error,
      `Redirect to ${server.url("/a")} not followed: already crawled (${server.url("/alias")})`,
    );
    assert.deepEqual(pathsSeen(server), ["/", "/a", "/alias", "/moved", "/new"]);
    assert.ok(eachOnce(server), `duplicate requests: ${[...server.hits]}`);
  });
});

test("crawl() turns failing URLs into records with an error and completes the rest of the crawl", async () => {
  const closed = await startServer({});
  const refused = closed.url("/gone");
  await closed.close();
  const routes = {
    "/": page("home", ["/missing", "/broken", "/slow", refused, "/ok"]),
    "/broken": html("<title>oops</title>", { status: 500 }),
    "/slow": delay(5000, page("slow")),
    "/ok": page("ok", ["/after-ok"]),
    "/after-ok": page("after ok"),
  };
  await withServer(routes, async (server) => {
    const records = await collect({ start: server.url("/"), hosts: "any", retries: 0, timeout: 300 });
    assert.deepEqual(Object.fromEntries(records.map((r) => [r.url, [r.status, r.errorCode]])), {
      [server.url("/")]: [200, ""],
      [server.url("/missing")]: [404, "EHTTP"],
      [server.url("/broken")]: [500, "EHTTP"],
      [server.url("/slow")]: [0, "ETIMEOUT"],
      [refused]: [0, "ENETWORK"],
      [server.url("/ok")]: [200, ""],
      [server.url("/after-ok")]: [200, ""],
    });
    assert.equal(records.length, 7);
    const error = (path: string) => records.find((r) => r.url === server.url(path))?.error;
    assert.equal(error("/missing"), `HTTP 404 Not Found (${server.url("/missing")})`);
    assert.equal(error("/broken"), `HTTP 500 Internal Server Error (${server.url("/broken")})`);
    assert.equal(error("/slow"), `No complete response within the timeout (${server.url("/slow")})`);
    assert.match(records.find((r) => r.url === refused)?.error ?? "", /ECONNREFUSED/);
    assert.equal(server.hitsOf("/broken"), 1); // retries: 0
    assert.ok(eachOnce(server), `duplicate requests: ${[...server.hits]}`);
  });
});

test("crawl() makes a page whose extract function throws an EPARSE record, and goes on", async () => {
  const routes = {
    "/": page("home", ["/bad", "/good"]),
    "/bad": page("bad", ["/only-from-bad"]),
    "/good": page("good", ["/after-good"]),
    "/after-good": page("after good"),
    "/only-from-bad": page("only from bad"),
  };
  await withServer(routes, async (server) => {
    const records = byUrl(
      await collect({
        start: server.url("/"),
        extract: (document, info) => {
          if (info.url.endsWith("/bad")) throw new Error("no price on this page");
          return { heading: document.title.toUpperCase() };
        },
      }),
    );
    assert.deepEqual(
      records.map((r) => [r.url, r.status, r.errorCode, r.fields, r.links.length]),
      [
        [server.url("/"), 200, "", { heading: "HOME" }, 2],
        [server.url("/after-good"), 200, "", { heading: "AFTER GOOD" }, 0],
        [server.url("/bad"), 200, "EPARSE", {}, 0],
        [server.url("/good"), 200, "", { heading: "GOOD" }, 1],
      ],
    );
    assert.equal(records[2]!.error, `Extracting failed: no price on this page (${server.url("/bad")})`);
    assert.equal(server.hitsOf("/only-from-bad"), 0);
  });
});

const navigation = {
  "/": html(
    '<title>home</title><nav><a href="/n1">n1</a></nav><main><a href="/m1">m1</a><span data-next="f1"></span></main>',
  ),
  "/n1": html('<title>n1</title><nav><a href="n2#top">n2</a></nav><a href="/m1">m1</a>'),
  "/n2": html('<title>n2</title><nav><a href="/">home</a></nav>'),
  "/m1": html("<title>m1</title>"),
  "/f1": html('<title>f1</title><span data-next="/f2?page=2"></span><a href="/m1">m1</a>'),
  "/f2": html('<title>f2</title><span data-next="javascript:void(0)"></span>'),
};

test("crawl() follows only the links a CSS selector in `follow` matches", async () => {
  await withServer(navigation, async (server) => {
    const records = byUrl(await collect({ start: server.url("/"), follow: "nav a" }));
    assert.deepEqual(
      records.map((r) => [r.url, r.links]),
      [
        [server.url("/"), [server.url("/n1")]],
        [server.url("/n1"), [server.url("/n2")]],
        [server.url("/n2"), [server.url("/")]],
      ],
    );
    assert.deepEqual(pathsSeen(server), ["/", "/n1", "/n2"]);
  });
});

test("crawl() follows the URLs a `follow` function returns, resolved against the page", async () => {
  await withServer(navigation, async (server) => {
    const follow = (document: Document) =>
      Array.from(document.querySelectorAll("[data-next]"), (element) => element.getAttribute("data-next") ?? "");
    const records = byUrl(await collect({ start: server.url("/"), follow }));
    assert.deepEqual(
      records.map((r) => [r.url, r.links]),
      [
        [server.url("/"), [server.url("/f1")]],
        [server.url("/f1"), [server.url("/f2?page=2")]],
        [server.url("/f2?page=2"), []],
      ],
    );
    assert.deepEqual(pathsSeen(server), ["/", "/f1", "/f2?page=2"]);
  });
});

test("crawl() with follow: false crawls the start URLs only", async () => {
  await withServer(navigation, async (server) => {
    const records = await collect({ start: [server.url("/"), server.url("/n1")], follow: false });
    assert.deepEqual(byUrl(records).map((r) => [r.url, r.title, r.links]), [
      [server.url("/"), "home", []],
      [server.url("/n1"), "n1", []],
    ]);
    assert.deepEqual(pathsSeen(server), ["/", "/n1"]);
  });
});

test("crawl() aborts the requests in flight when unsubscribed, closes every socket and leaves no timer", async () => {
  let closes = 0;
  const slow = delay(10_000, page("slow"));
  // Four quick pages at once open four connections; the three slow pages then leave one of them idle, kept alive.
  const routes: Record<string, Handler> = { "/": page("home", ["/q0", "/q1", "/q2", "/q3", "/s0", "/s1", "/s2"]) };
  for (let i = 0; i < 4; i++) routes[`/q${i}`] = delay(20, page("quick"));
  for (let i = 0; i < 3; i++) {
    routes[`/s${i}`] = (req, res) => {
      res.once("close", () => closes++);
      return slow(req, res);
    };
  }
  await withServer(routes, async (server) => {
    const timersBefore = activeTimers();
    const stats = new CrawlStats();
    const emitted: string[] = [];
    let ended = false;
    const subscription = crawl({ start: server.url("/"), concurrency: 4, stats }).subscribe({
      next: (record) => emitted.push(record.url),
      error: () => (ended = true),
      complete: () => (ended = true),
    });
    await waitFor(() => emitted.length === 5 && server.inFlight === 3, "4 quick pages to finish and 3 slow ones to arrive");
    assert.ok(server.openSockets() > 3, `${server.openSockets()} sockets open`);
    subscription.unsubscribe();
    await waitFor(() => closes === 3 && server.inFlight === 0, "the server to see the 3 slow requests close");
    await waitFor(() => server.openSockets() === 0, "every socket to close, idle ones included");
    await sleep(50);
    assert.deepEqual(emitted.sort(), ["/", "/q0", "/q1", "/q2", "/q3"].map((path) => server.url(path)));
    assert.equal(ended, false);
    assert.equal(pageRequests(server), 8);
    assert.equal(stats.inFlight, 0);
    assert.equal(activeTimers(), timersBefore);
  });
});

test("crawl() stops fetching when a downstream take() has what it needs", async () => {
  await withServer(delay(20, tree), async (server) => {
    const records = await lastValueFrom(crawl({ start: server.url("/p0"), concurrency: 2 }).pipe(take(3), toArray()));
    assert.equal(records.length, 3);
    await waitFor(() => server.inFlight === 0 && server.openSockets() === 0, "every request and socket to close");
    const requested = pageRequests(server);
    await sleep(100);
    assert.equal(pageRequests(server), requested);
    assert.ok(requested <= 3 + 2, `${requested} pages requested for 3 records with concurrency 2`);
  });
});

test("crawl() leaves no timer behind when unsubscribed during a retry's backoff, with requests queued by host", async () => {
  const hrefs = Array.from({ length: 10 }, (_, i) => `/w${i}`);
  const routes: Record<string, Handler> = {
    "/": page("home", ["/flaky", ...hrefs]),
    "/flaky": html("<title>busy</title>", { status: 503 }),
  };
  for (const href of hrefs) routes[href] = delay(10_000, page(href));
  await withServer(routes, async (server) => {
    const timersBefore = activeTimers();
    const options = { start: server.url("/"), concurrency: 6, perHost: 2, rate: 50, retries: 2, retryDelay: 5000 };
    const subscription = crawl(options).subscribe();
    // /flaky failed and sleeps before its retry; two slow pages hold the host's two slots; three more wait for them.
    await waitFor(() => server.hitsOf("/flaky") === 1 && server.inFlight === 2, "/flaky to fail, 2 slow pages to arrive");
    subscription.unsubscribe();
    await waitFor(() => server.inFlight === 0 && server.openSockets() === 0, "every request and socket to close");
    await waitFor(() => activeTimers() === timersBefore, "the crawl's timers to go", 500);
    assert.deepEqual(pathsSeen(server), ["/", "/flaky", "/w0", "/w1"]);
  });
});

test("crawl() stops gracefully on `signal`: no new request, those in flight finish and emit, then it completes", async () => {
  const hrefs = Array.from({ length: 10 }, (_, i) => `/s${i}`);
  const routes: Record<string, Handler> = { "/": page("home", hrefs) };
  for (const href of hrefs) routes[href] = delay(100, page(href, ["/more"]));
  await withServer(routes, async (server) => {
    const timersBefore = activeTimers();
    const controller = new AbortController();
    const stats = new CrawlStats();
    const done = collect({ start: server.url("/"), concurrency: 3, signal: controller.signal, stats });
    await waitFor(() => server.inFlight === 3, "3 slow requests to arrive");
    const inFlight = pathsSeen(server).filter((path) => path !== "/");
    controller.abort();
    const records = byUrl(await done);
    assert.equal(inFlight.length, 3);
    assert.deepEqual(
      records.map((r) => [r.url, r.status, r.error]),
      ["/", ...inFlight].map((path) => [server.url(path), 200, ""]).sort(),
    );
    await sleep(50);
    assert.deepEqual(pathsSeen(server), ["/", ...inFlight]);
    // "/more", which the pages in flight link to, is admitted with their commit (so that a resumed crawl fetches it),
    // but not fetched after the stop.
    assert.deepEqual([stats.admitted, stats.done, stats.inFlight, stats.errors], [12, 4, 0, 0]);
    assert.equal(activeTimers(), timersBefore); // stopGrace's timer included
  });
});

test("crawl() on `signal` starts neither the requests waiting for their host nor any retry", async () => {
  const hrefs = Array.from({ length: 6 }, (_, i) => `/s${i}`);
  let unavailable = 0;
  const routes: Record<string, Handler> = {
    "/": page("home", [...hrefs, "/unavailable"]),
    "/unavailable": (req, res) => {
      unavailable++;
      return html("<title>busy</title>", { status: 503 })(req, res);
    },
  };
  for (const href of hrefs) routes[href] = delay(100, page(href));
  await withServer(routes, async (server) => {
    const controller = new AbortController();
    const done = collect({ start: server.url("/"), concurrency: 8, perHost: 2, retries: 2, retryDelay: 50, signal: controller.signal });
    await waitFor(() => server.inFlight === 2 && server.total >= 3, "the first requests after the home page");
    await sleep(10);
    controller.abort();
    const seenAtStop = server.total;
    const records = await done;
    await sleep(150);
    assert.equal(server.total, seenAtStop, "no request starts after the stop");
    assert.ok(unavailable <= 1, `a 503 is not retried after the stop (${unavailable} requests)`);
    // Each request on the wire at the stop finished with its record; the 503 whose retry was cancelled has none, so
    // that a resumed crawl tries it afresh.
    const requested = pathsSeen(server).filter((path) => path !== "/robots.txt" && path !== "/unavailable");
    assert.deepEqual(records.map((r) => r.url).sort(), requested.map((path) => server.url(path)).sort());
  });
});

test("crawl() aborts what is still in flight stopGrace ms after `signal`, and completes", async () => {
  let hangClosed = false;
  const routes: Record<string, Handler> = {
    "/": page("home", ["/quick", "/hang"]),
    "/quick": delay(50, page("quick")),
    "/hang": (req, res) => {
      res.once("close", () => (hangClosed = true));
      return delay(10_000, page("hang"))(req, res);
    },
  };
  await withServer(routes, async (server) => {
    const controller = new AbortController();
    const stats = new CrawlStats();
    const done = collect({ start: server.url("/"), signal: controller.signal, stopGrace: 200, stats });
    // Arrived, not in flight together: on a busy machine /quick may be answered (50 ms) before /hang arrives.
    await waitFor(() => server.hitsOf("/quick") === 1 && server.hitsOf("/hang") === 1, "both requests to arrive");
    const abortedAt = performance.now();
    controller.abort();
    const records = byUrl(await done);
    const waited = performance.now() - abortedAt;
    assert.deepEqual(records.map((r) => [r.url, r.status]), [
      [server.url("/"), 200],
      [server.url("/quick"), 200],
    ]);
    assert.ok(waited >= 190, `completed ${waited.toFixed(0)} ms after the abort`);
    await waitFor(() => hangClosed && server.inFlight === 0, "the server to see /hang close");
    await waitFor(() => server.openSockets() === 0, "every socket to close");
    assert.deepEqual([stats.done, stats.inFlight], [2, 0]);
  });
});

test("crawl() with a signal aborted before it starts makes no request and completes empty", async () => {
  await withServer({ "/": page("home") }, async (server) => {
    const records = await collect({ start: server.url("/"), signal: AbortSignal.abort() });
    assert.deepEqual(records, []);
    assert.equal(server.total, 0);
  });
});

test("crawl() keeps `stats` in step with the records it emits", async () => {
  const routes = {
    "/": page("home", ["/a", "/b", "/missing", "/bad"]),
    "/a": page("a", ["/", "/b", "/c"]),
    "/b": page("b", ["/gone"]),
    "/c": page("c"),
    "/bad": page("bad"),
  };
  await withServer(routes, async (server) => {
    const stats = new CrawlStats();
    const records = await lastValueFrom(
      crawl({
        start: server.url("/"),
        stats,
        extract: (_document, info) => {
          if (info.url.endsWith("/bad")) throw new Error("bad page");
          return {};
        },
      }).pipe(toArray()),
    );
    const failed = records.filter((r) => r.error !== "");
    assert.equal(records.length, 7);
    assert.deepEqual(failed.map((r) => r.errorCode).sort(), ["EHTTP", "EHTTP", "EPARSE"]);
    assert.deepEqual(
      [stats.admitted, stats.done, stats.errors, stats.inFlight, stats.queued],
      [records.length, records.length, failed.length, 0, 0],
    );
  });
});

test("crawl() can be subscribed twice: each subscription crawls from scratch, maxPages included", async () => {
  await withServer(delay(10, tree), async (server) => {
    const stats = new CrawlStats();
    const pages$ = crawl({ start: server.url("/p0"), maxPages: 5, concurrency: 2, stats }).pipe(toArray());
    const first = await lastValueFrom(pages$);
    const second = await lastValueFrom(pages$);
    assert.deepEqual([first.length, second.length], [5, 5]);
    assert.equal(pageRequests(server), 10);
    const twice = [...server.hits].every(([path, count]) => path === ROBOTS || count === 2);
    assert.ok(twice, `requests: ${[...server.hits]}`);
    assert.equal(stats.done, 10, "a shared stats counts both");
    assert.equal(stats.crawl?.started, 5, "the second crawl's own count");
  });
});

test("crawl() rejects bad options when it is called, before any request", async () => {
  await withServer({ "/": page("home") }, async (server) => {
    const start = server.url("/");
    const cases: [CrawlOptions, string][] = [
      [{ start, concurrency: 0 }, "Expected concurrency to be a positive integer, got 0"],
      [{ start, maxPages: 0 }, "Expected maxPages to be a positive integer, got 0"],
      [{ start, maxDepth: -1 }, "Expected maxDepth to be a non-negative integer, got -1"],
      [{ start: "ftp://example.com/file" }, 'Expected a start URL with http:// or https://, got "ftp://example.com/file"'],
      [{ start: [start, "not a url"] }, 'Expected a start URL with http:// or https://, got "not a url"'],
      [{ start: [] }, "Expected at least one start URL, got none"],
      [{ start, allow: ["(unclosed"] }, 'Expected allow to be a regular expression, got "(unclosed"'],
      [{ start, deny: ["[a-"] }, 'Expected deny to be a regular expression, got "[a-"'],
      [{ start, follow: "a[href" }, 'Expected follow to be a valid CSS selector, got "a[href"'],
      [{ start, timeout: 0 }, "Expected timeout to be a positive integer, got 0"],
      [{ start, skipExtensions: ["*.pdf"] }, 'Expected skipExtensions to list extensions such as "pdf", "+md" or "-svg", got "*.pdf"'],
      [{ start, keepFiles: true, skipExtensions: ["pdf"] }, "Expected keepFiles or skipExtensions, not both: keepFiles follows the links to every file"],
    ];
    for (const [options, message] of cases) assert.throws(() => crawl(options), new UsageError(message));
    await sleep(20);
    assert.equal(server.total, 0);
  });
});

test("crawl() gives the same records with workers: 1 as with workers: 0 on the demo site", async () => {
  const site = await startDemoSite({ pages: 300, bodyKb: 2 });
  try {
    const follow = "#db-rec-section dt a";
    const summary = (records: PageRecord[]) => byUrl(records).map((r) => [r.url, r.status, r.title, r.links.join(" ")]);
    const results: ReturnType<typeof summary>[] = [];
    for (const workers of [0, 1]) {
      site.stats.reset();
      const records = await collect({ start: site.startUrl, follow, workers, concurrency: 16 });
      assert.equal(records.length, 300, `workers: ${workers}`);
      assert.equal(site.stats.subjectsServed(), 300);
      assert.equal(site.stats.duplicateRequests(), 0);
      assert.deepEqual(records.map((r) => r.url).sort(), site.urls().sort());
      assert.ok(records.every((r) => r.status === 200 && r.error === "" && r.links.length === 10));
      results.push(summary(records));
    }
    assert.deepEqual(results[1], results[0]);
  } finally {
    await site.close();
  }
});

test("crawl() whose frontier spills to disk still crawls every page once, without a duplicate request", async () => {
  const site = await startDemoSite({ pages: 1_000, links: 10, bodyKb: 1 });
  try {
    const stats = new CrawlStats();
    let mostQueued = 0;
    const records = await lastValueFrom(
      crawl({ start: site.startUrl, follow: "#db-rec-section dt a", concurrency: 8, frontierMemory: 10, stats }).pipe(
        tap(() => (mostQueued = Math.max(mostQueued, stats.queued))),
        toArray(),
      ),
    );
    assert.ok(mostQueued > 100, `the frontier held ${mostQueued} URLs at most: it never spilled`);
    assert.equal(records.length, 1_000);
    assert.deepEqual(new Set(records.map((r) => r.url)), new Set(site.urls()));
    assert.equal(site.stats.duplicateRequests(), 0);
  } finally {
    await site.close();
  }
});

test("crawl({ sitemap: true }) starts from the sitemap robots.txt names: an index, a gzipped sitemap, every page once with its lastmod", async () => {
  const site = await startDemoSite({ pages: 120, bodyKb: 1 });
  try {
    const records = await collect({ start: site.startUrl, sitemap: true, follow: false, maxDepth: 0, workers: 0 });
    const sitemaps = records.filter((record) => record.kind === "sitemap").map((record) => [new URL(record.url).pathname, record.error]);
    assert.deepEqual(sitemaps.sort(), [["/sitemap.xml", ""], ["/sitemaps/books-1.xml.gz", ""]]);
    const pages = records.filter((record) => record.kind === undefined);
    assert.deepEqual(pages.map((record) => record.url).sort(), site.urls().sort(), "every page of the sitemap, once");
    const listed = pages.filter((record) => record.url !== site.startUrl);
    assert.ok(listed.every((record) => record.lastmod === demoLastmod(Number(/subject\/(\d+)/.exec(record.url)![1]))));
    assert.equal(site.stats.byPath.get("/robots.txt"), 1, "robots.txt fetched once");
    assert.equal(site.stats.duplicateRequests(), 0);
  } finally {
    await site.close();
  }
});

test("crawl({ sitemap: true }) records a malformed sitemap, and one over maxBytes, as errors and crawls on", async () => {
  const urlset = (paths: string[]) =>
    `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${paths.map((path) => `<url><loc>${origin}${path}</loc></url>`).join("")}`;
  let origin = "";
  const xml = (body: string): Handler => (_, res) => void res.writeHead(200, { "content-type": "application/xml" }).end(body);
  const routes: Record<string, Handler> = {
    "/robots.txt": (_, res) =>
      void res.end(`User-agent: *\nAllow: /\nSitemap: ${origin}/cut.xml\nSitemap: ${origin}/big.xml\nSitemap: ${origin}/page.xml\n`),
    "/": page("home"),
    "/sitemap.xml": (req, res) => xml(`${urlset(["/a"])}</urlset>`)(req, res),
    "/cut.xml": (req, res) => xml(`${urlset(["/b"])}<url><loc>${origin}/c`)(req, res),
    "/big.xml": (req, res) => xml(`${urlset(["/d"])}${" ".repeat(20_000)}</urlset>`)(req, res),
    "/page.xml": page("not a sitemap"),
    "/a": page("a"),
    "/b": page("b"),
  };
  await withServer(routes, async (server) => {
    origin = server.origin;
    const records = byUrl(await collect({ start: server.url("/"), sitemap: true, follow: false, maxBytes: 10_000, workers: 0 }));
    const outcome = Object.fromEntries(records.map((record) => [new URL(record.url).pathname, record.errorCode || record.status]));
    assert.deepEqual(outcome, { "/": 200, "/sitemap.xml": 200, "/cut.xml": "EPARSE", "/big.xml": "ETOOBIG", "/page.xml": "EPARSE", "/a": 200, "/b": 200 });
    const cut = records.find((record) => record.url.endsWith("/cut.xml"))!;
    assert.match(cut.error, /^Malformed sitemap at line 1: .+ \(the 1 URLs before it are kept\) \(http/);
    assert.match(records.find((record) => record.url.endsWith("/page.xml"))!.error, /^Not a sitemap: its root element is <html>/);
  });
});
