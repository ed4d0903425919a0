import { test } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { UsageError } from "../../src/errors.ts";
import { DEFAULT_USER_AGENT, Fetcher, type FetcherHooks, type FetcherOptions } from "../../src/fetch/fetcher.ts";
import type { FetchedPage } from "../../src/records.ts";
import { bytes, delay, type Download, download, html, startServer, type Handler, type TestServer } from "../helpers/server.ts";
import { runSteps } from "../helpers/steps.ts";

/**
 * Runs `body` with a server and a fetcher, and closes both whatever happens. robots.txt is off unless a test turns it
 * on (it has tests of its own), so that every request the server sees is one the test made.
 */
async function withFetcher(
  routes: Record<string, Handler> | Handler,
  options: FetcherOptions,
  body: (server: TestServer, fetcher: Fetcher) => Promise<void>,
  hooks: FetcherHooks = {},
): Promise<void> {
  const server = await startServer(routes);
  const fetcher = new Fetcher({ robots: false, ...options }, hooks);
  try {
    await body(server, fetcher);
  } finally {
    fetcher.close();
    await server.close();
  }
}

async function fetchUrl(fetcher: Fetcher, url: string): Promise<FetchedPage> {
  return (await runSteps(fetcher, url)).page;
}

function redirect(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location, "content-length": "0" }).end();
  };
}

/** Answers with `statuses` in turn (then 200 with a page), recording when each request arrived. */
function sequence(statuses: number[], headers: Record<string, string> = {}, times: number[] = []): Handler {
  let calls = 0;
  return (_req, res) => {
    times.push(performance.now());
    const status = statuses[calls++];
    if (status === undefined) return html("<title>finally</title>")(_req, res);
    res.writeHead(status, { "content-type": "text/plain", ...headers }).end(`status ${status}`);
  };
}

async function waitFor(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("Fetcher returns the status, content type and exact body bytes of a page", async () => {
  const page = "<!DOCTYPE html><title>héllo</title><p>世界</p>";
  await withFetcher({ "/": html(page) }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/"));
    assert.equal(result.url, server.url("/"));
    assert.equal(result.finalUrl, server.url("/"));
    assert.equal(result.status, 200);
    assert.equal(result.contentType, "text/html; charset=utf-8");
    assert.deepEqual(Buffer.from(result.body), Buffer.from(page, "utf8"));
    assert.equal(result.error, "");
    assert.equal(result.errorCode, "");
    assert.equal(result.attempts, 1);
    assert.ok(!Number.isNaN(Date.parse(result.fetchedAt)), `fetchedAt is ${result.fetchedAt}`);
    assert.equal(server.hitsOf("/"), 1);
  });
});

test("Fetcher sends the default User-Agent and Accept headers", async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const route: Handler = (req, res) => {
    seen.push(req.headers);
    return html("<title>ok</title>")(req, res);
  };
  await withFetcher({ "/": route }, {}, async (server, fetcher) => {
    await fetchUrl(fetcher, server.url("/"));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.["user-agent"], DEFAULT_USER_AGENT);
    assert.equal(seen[0]?.accept, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    assert.match(seen[0]?.["accept-encoding"] ?? "", /gzip/);
  });
});

test("Fetcher sends a custom userAgent and extra headers, which override the defaults whatever their case", async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const route: Handler = (req, res) => {
    seen.push(req.headers);
    return html("<title>ok</title>")(req, res);
  };
  const options = { userAgent: "my-bot/2.0", headers: { "X-Token": "abc123", "Accept-Language": "fr-FR" } };
  await withFetcher({ "/": route }, options, async (server, fetcher) => {
    await fetchUrl(fetcher, server.url("/"));
    await fetchUrl(fetcher, server.url("/"));
    assert.equal(seen.length, 2);
    for (const headers of seen) {
      assert.equal(headers["user-agent"], "my-bot/2.0");
      assert.equal(headers["x-token"], "abc123");
      assert.equal(headers["accept-language"], "fr-FR");
    }
  });
});

test("Fetcher turns a response slower than the timeout into an ETIMEOUT record, retried like other network errors", async () => {
  await withFetcher({ "/slow": delay(10_000, html("<title>late</title>")) }, { timeout: 200, retries: 1, retryDelay: 10 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/slow"));
    assert.equal(result.errorCode, "ETIMEOUT");
    assert.equal(result.error, `No complete response within the timeout (${server.url("/slow")})`);
    assert.equal(result.status, 0);
    assert.equal(result.body.byteLength, 0);
    assert.equal(result.attempts, 2);
    assert.equal(server.hitsOf("/slow"), 2);
  });
});

test("Fetcher retries a 503 with backoff and returns the 200 that follows, counting every attempt", async () => {
  await withFetcher({ "/flaky": sequence([503, 503]) }, { retries: 2, retryDelay: 10 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/flaky"));
    assert.equal(result.status, 200);
    assert.equal(result.error, "");
    assert.equal(result.attempts, 3);
    assert.equal(Buffer.from(result.body).toString(), "<title>finally</title>");
    assert.equal(server.hitsOf("/flaky"), 3);
  });
});

test("Fetcher gives up after `retries` retries and records the last HTTP error", async () => {
  await withFetcher({ "/down": sequence([503, 503, 503, 503]) }, { retries: 2, retryDelay: 10 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/down"));
    assert.equal(result.status, 503);
    assert.equal(result.errorCode, "EHTTP");
    assert.equal(result.error, `HTTP 503 Service Unavailable (${server.url("/down")})`);
    assert.equal(result.body.byteLength, 0);
    assert.equal(result.attempts, 3);
    assert.equal(server.hitsOf("/down"), 3);
  });
});

test("Fetcher does not retry a 404", async () => {
  await withFetcher({}, { retries: 3, retryDelay: 10 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/missing"));
    assert.equal(result.status, 404);
    assert.equal(result.errorCode, "EHTTP");
    assert.equal(result.error, `HTTP 404 Not Found (${server.url("/missing")})`);
    assert.equal(result.attempts, 1);
    assert.equal(server.hitsOf("/missing"), 1);
  });
});

test("Fetcher.step() gives a retryable failure back as the same request, one more try in its progress, its backoff as the delay", async () => {
  await withFetcher({ "/flaky": sequence([503]) }, { retries: 2, retryDelay: 100 }, async (server, fetcher) => {
    const request = { url: server.url("/flaky"), depth: 2 };
    const first = await fetcher.step(request);
    assert.ok("again" in first);
    assert.equal(server.hitsOf("/flaky"), 1, "one request per step");
    assert.equal(first.again.url, request.url);
    assert.equal(first.again.depth, 2);
    assert.deepEqual({ ...first.again.progress, wireBytes: 0 }, { redirects: [], requests: 1, retries: 1, wireBytes: 0, tries: 1 });
    assert.ok(first.again.progress!.wireBytes > 0);
    assert.ok(first.delayMs >= 50 && first.delayMs <= 150, `backoff ${first.delayMs} ms: 100 ms ± 50 %`);
    const second = await fetcher.step(first.again);
    assert.ok("page" in second);
    assert.equal(second.page.status, 200);
    assert.deepEqual([second.page.attempts, second.page.retries], [2, 1]);
    assert.equal(server.hitsOf("/flaky"), 2);
  });
});

test("Fetcher takes a Retry-After (in seconds) as a retry's delay", async () => {
  await withFetcher({ "/busy": sequence([503], { "retry-after": "1" }) }, { retries: 1, retryDelay: 10 }, async (server, fetcher) => {
    const { page, steps } = await runSteps(fetcher, server.url("/busy"));
    assert.equal(page.status, 200);
    assert.equal(page.attempts, 2);
    assert.equal("again" in steps[0]! && steps[0].delayMs, 1000);
  });
});

test("Fetcher caps a Retry-After delay at maxRetryAfter", async () => {
  await withFetcher({ "/busy": sequence([429], { "retry-after": "60" }) }, { retries: 1, retryDelay: 10, maxRetryAfter: 20 }, async (server, fetcher) => {
    const { page, steps } = await runSteps(fetcher, server.url("/busy"));
    assert.equal(page.status, 200);
    assert.equal("again" in steps[0]! && steps[0].delayMs, 20);
  });
});

test("Fetcher cuts off a body whose Content-Length is over maxBytes with ETOOBIG", async () => {
  const big = html(`<title>big</title>${"x".repeat(100_000)}`);
  await withFetcher({ "/big": big }, { maxBytes: 10_000 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/big"));
    assert.equal(result.errorCode, "ETOOBIG");
    assert.equal(result.error, `Body of 100018 bytes is over the limit of 10000 (${server.url("/big")})`);
    assert.equal(result.status, 200);
    assert.equal(result.body.byteLength, 0);
    assert.equal(result.attempts, 1);
    assert.equal(server.hitsOf("/big"), 1);
  });
});

test("Fetcher cuts off a chunked body once it grows over maxBytes with ETOOBIG", async () => {
  const chunked: Handler = (_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    for (let i = 0; i < 50; i++) res.write("y".repeat(1000));
    res.end();
  };
  await withFetcher({ "/chunked": chunked }, { maxBytes: 10_000 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/chunked"));
    assert.equal(result.errorCode, "ETOOBIG");
    assert.equal(result.error, `Body is over the limit of 10000 bytes (${server.url("/chunked")})`);
    assert.equal(result.body.byteLength, 0);
  });
});

test("Fetcher counts maxBytes after decompression, so a small gzip bomb fails with ETOOBIG", async () => {
  const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20));
  const route: Handler = (_req, res) => {
    res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip", "content-length": String(bomb.length) });
    res.end(bomb);
  };
  await withFetcher({ "/bomb": route }, { maxBytes: 100_000 }, async (server, fetcher) => {
    assert.ok(bomb.length < 100_000, `compressed size ${bomb.length}`);
    const result = await fetchUrl(fetcher, server.url("/bomb"));
    assert.equal(result.errorCode, "ETOOBIG");
    assert.equal(result.error, `Body is over the limit of 100000 bytes (${server.url("/bomb")})`);
  });
});

test("Fetcher decodes a gzip-encoded body to the original bytes", async () => {
  const page = `<!DOCTYPE html><title>zipped</title>${"<p>重复的内容</p>".repeat(200)}`;
  const zipped = gzipSync(Buffer.from(page, "utf8"));
  const encodings: string[] = [];
  const route: Handler = (req, res) => {
    encodings.push(req.headers["accept-encoding"] ?? "");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip", "content-length": String(zipped.length) });
    res.end(zipped);
  };
  await withFetcher({ "/": route }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/"));
    assert.equal(result.error, "");
    assert.equal(Buffer.from(result.body).toString("utf8"), page);
    assert.match(encodings[0] ?? "", /gzip/);
  });
});

test("Fetcher follows redirects, records the final URL and counts each request as an attempt", async () => {
  await withFetcher({ "/old": redirect("/mid", 301), "/mid": redirect("/new"), "/new": html("<title>new</title>") }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/old"));
    assert.equal(result.url, server.url("/old"));
    assert.equal(result.finalUrl, server.url("/new"));
    assert.equal(result.status, 200);
    assert.equal(result.attempts, 3);
    assert.deepEqual([server.hitsOf("/old"), server.hitsOf("/mid"), server.hitsOf("/new")], [1, 1, 1]);
  });
});

test("Fetcher.step() gives a redirect back as the same request with the target in its progress, to follow at once", async () => {
  await withFetcher({ "/old": redirect("/new", 301), "/new": html("<title>new</title>") }, {}, async (server, fetcher) => {
    const step = await fetcher.step({ url: server.url("/old"), depth: 1 });
    assert.ok("again" in step);
    assert.equal(step.delayMs, 0);
    assert.equal(step.again.url, server.url("/old"));
    const { wireBytes, ...progress } = step.again.progress!;
    assert.deepEqual(progress, { redirects: [server.url("/new")], requests: 1, retries: 0, tries: 0, last: { status: 301, contentType: "", ms: progress.last!.ms } });
    assert.ok(wireBytes > 0);
    assert.equal(server.hitsOf("/new"), 0, "the target waits for its own step");
  });
});

test("Fetcher follows a redirect back to the URL being fetched once, as a consent page asks, and ends on that page", async () => {
  let visits = 0;
  const home: Handler = (req, res) => (++visits === 1 ? redirect("/consent")(req, res) : html("<title>home</title>")(req, res));
  await withFetcher({ "/": home, "/consent": redirect("/") }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/"));
    assert.equal(result.error, "");
    assert.equal(result.status, 200);
    assert.equal(result.finalUrl, server.url("/"));
    assert.deepEqual([result.attempts, result.redirects], [3, 2]);
  });
});

test("Fetcher detects a redirect loop with EREDIRECT once the URL being fetched came back and the loop goes on", async () => {
  await withFetcher({ "/a": redirect("/b"), "/b": redirect("/a") }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/a"));
    const [a, b] = [server.url("/a"), server.url("/b")];
    assert.equal(result.errorCode, "EREDIRECT");
    assert.equal(result.error, `Redirect loop: ${a} -> ${b} -> ${a} -> ${b} (${a})`);
    assert.equal(result.status, 302);
    assert.equal(result.attempts, 3);
    assert.deepEqual([server.hitsOf("/a"), server.hitsOf("/b")], [2, 1]);
  });
});

test("Fetcher detects a loop that does not come back to the URL being fetched at its first repeat", async () => {
  await withFetcher({ "/start": redirect("/b"), "/b": redirect("/c"), "/c": redirect("/b") }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/start"));
    assert.equal(result.errorCode, "EREDIRECT");
    assert.match(result.error, /^Redirect loop: .*\/start -> .*\/b -> .*\/c -> .*\/b \(/);
    assert.deepEqual([server.hitsOf("/b"), server.hitsOf("/c")], [1, 1]);
  });
});

test("Fetcher follows at most maxRedirects redirects, then fails with EREDIRECT", async () => {
  const routes = { "/r0": redirect("/r1"), "/r1": redirect("/r2"), "/r2": redirect("/r3"), "/r3": html("<title>end</title>") };
  await withFetcher(routes, { maxRedirects: 2 }, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/r0"));
    assert.equal(result.errorCode, "EREDIRECT");
    assert.equal(result.error, `More than 2 redirects (${server.url("/r2")})`);
    assert.equal(result.finalUrl, server.url("/r2"));
    assert.equal(server.hitsOf("/r3"), 0);
  });
});

test("Fetcher fails with EREDIRECT on a redirect to a location that is not http(s)", async () => {
  await withFetcher({ "/a": redirect("mailto:someone@example.com") }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/a"));
    assert.equal(result.errorCode, "EREDIRECT");
    assert.equal(result.error, `Redirect to an unusable location "mailto:someone@example.com" (${server.url("/a")})`);
  });
});

test("Fetcher stops at a redirect that onRedirect vetoes, without requesting the target", async () => {
  const targets: string[] = [];
  const hooks: FetcherHooks = {
    onRedirect: async (target): Promise<"ESCOPE"> => {
      targets.push(target);
      return "ESCOPE";
    },
  };
  const routes = { "/a": redirect("/b#frag"), "/b": html("<title>b</title>") };
  await withFetcher(
    routes,
    {},
    async (server, fetcher) => {
      const result = await fetchUrl(fetcher, server.url("/a"));
      assert.deepEqual(targets, [server.url("/b")]);
      assert.equal(result.errorCode, "ESCOPE");
      assert.equal(result.error, `Redirect to ${server.url("/b")} not followed: out of the crawl's scope (${server.url("/a")})`);
      assert.equal(server.hitsOf("/b"), 0);
    },
    hooks,
  );
});

test("Fetcher records a non-HTML response's status and content type with an empty body and no error", async () => {
  const pdf = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(200_000, 0x41)]);
  await withFetcher({ "/doc.pdf": bytes(pdf, "application/pdf") }, {}, async (server, fetcher) => {
    const result = await fetchUrl(fetcher, server.url("/doc.pdf"));
    assert.equal(result.status, 200);
    assert.equal(result.contentType, "application/pdf");
    assert.equal(result.body.byteLength, 0);
    assert.equal(result.error, "");
    assert.equal(result.errorCode, "");
    assert.equal(result.attempts, 1);
  });
});

test("Fetcher closes a file right after its headers, whatever its size: a 6 MB and a 12 MB zip are 200 rows of 0 bytes, no error", async () => {
  const MB = 1024 * 1024;
  const downloads: Download[] = [];
  const files = [
    ["/six.zip", 6 * MB, "application/zip"],
    ["/twelve.zip", 12 * MB, "application/zip"],
    // Far more than the kernel's socket buffers of both ends hold, so that what the server got onto the connection
    // shows whether the client went away.
    ["/disk.iso", 1024 * MB, "application/octet-stream"],
  ] as const;
  const routes: Record<string, Handler> = { "/page": html("<title>after</title>") };
  for (const [path, size, type] of files) routes[path] = download(size, type, downloads);
  // The default limit, 10 MB, lies between the first two.
  await withFetcher(routes, {}, async (server, fetcher) => {
    for (const [path, size, type] of files) {
      const result = await fetchUrl(fetcher, server.url(path));
      assert.equal(result.status, 200, path);
      assert.equal(result.contentType, type, path);
      assert.equal(result.body.byteLength, 0, path);
      assert.equal(result.error, "", path);
      assert.equal(result.errorCode, "", path);
      assert.ok(result.wireBytes < MB, `${path}: ${result.wireBytes} bytes read`);
      const seen = downloads.at(-1)!;
      await seen.closed;
      if (size > 100 * MB) {
        assert.equal(seen.finished, false, `${path}: the server could not send the whole body`);
        assert.ok(seen.written < 100 * MB, `${path}: the server wrote ${seen.written} of ${size} bytes`);
      }
    }
    const after = await fetchUrl(fetcher, server.url("/page"));
    assert.equal(after.status, 200);
    assert.equal(new TextDecoder().decode(after.body), "<title>after</title>");
  });
});

test("Fetcher reads an XML response to a page request, as a page, and closes a 404 file at its headers with EHTTP", async () => {
  const MB = 1024 * 1024;
  const downloads: Download[] = [];
  const routes = {
    "/feed.xml": bytes(Buffer.from("<rss><channel/></rss>"), "application/rss+xml"),
    "/gone.bin": download(1024 * MB, "application/octet-stream", downloads, 404),
  };
  await withFetcher(routes, {}, async (server, fetcher) => {
    const feed = await fetchUrl(fetcher, server.url("/feed.xml"));
    assert.equal(feed.status, 200);
    assert.equal(new TextDecoder().decode(feed.body), "<rss><channel/></rss>");
    const gone = await fetchUrl(fetcher, server.url("/gone.bin"));
    assert.equal(gone.status, 404);
    assert.equal(gone.errorCode, "EHTTP");
    assert.equal(gone.error, `HTTP 404 Not Found (${server.url("/gone.bin")})`);
    await downloads[0]!.closed;
    assert.ok(downloads[0]!.written < 100 * MB, `the server wrote ${downloads[0]!.written} bytes of 1 GB`);
  });
});

test("Fetcher reuses kept-alive connections: 20 sequential fetches use at most 2", async () => {
  const connections = new Set<Socket>();
  const route: Handler = (req, res) => {
    connections.add(req.socket);
    return html("<title>ka</title>")(req, res);
  };
  await withFetcher(route, {}, async (server, fetcher) => {
    for (let i = 0; i < 20; i++) {
      const result = await fetchUrl(fetcher, server.url(`/page/${i}`));
      assert.equal(result.status, 200);
    }
    assert.equal(server.total, 20);
    assert.ok(connections.size <= 2, `${connections.size} connections for 20 requests`);
  });
});

test("Fetcher records a refused connection as ENETWORK and retries it", async () => {
  const closed = await startServer({});
  const url = closed.url("/");
  await closed.close();
  const fetcher = new Fetcher({ retries: 1, retryDelay: 10, robots: false });
  try {
    const result = await fetchUrl(fetcher, url);
    assert.equal(result.errorCode, "ENETWORK");
    assert.match(result.error, /^ECONNREFUSED: /);
    assert.ok(result.error.endsWith(` (${url})`), result.error);
    assert.equal(result.status, 0);
    assert.equal(result.attempts, 2);
  } finally {
    fetcher.close();
  }
});

test("Fetcher.step() rejects when its signal aborts, and the server sees the client disconnect", async () => {
  let closes = 0;
  const hang: Handler = (_req, res) => {
    res.once("close", () => closes++);
  };
  await withFetcher({ "/hang": hang }, {}, async (server, fetcher) => {
    const controller = new AbortController();
    const pending = fetcher.step({ url: server.url("/hang"), depth: 0 }, { signal: controller.signal });
    await waitFor(() => server.inFlight === 1, "the request to arrive");
    const reason = new Error("stop now");
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    await waitFor(() => closes === 1, "the server to see the request close");
    await waitFor(() => server.openSockets() === 0, "the socket to close");
  });
});

test("Fetcher.step() starts no request once stop has aborted, rejecting with ESTOPPED", async () => {
  await withFetcher({ "/": html("<title>home</title>") }, {}, async (server, fetcher) => {
    await assert.rejects(fetcher.step({ url: server.url("/"), depth: 0 }, { stop: AbortSignal.abort() }), { code: "ESTOPPED" });
    assert.equal(server.total, 0);
  });
});

test("Fetcher.step() calls sent once its request has left", async () => {
  await withFetcher({ "/": delay(100, html("<title>home</title>")) }, {}, async (server, fetcher) => {
    let sentAt = 0;
    const step = fetcher.step({ url: server.url("/"), depth: 0 }, { sent: () => (sentAt = performance.now()) });
    await waitFor(() => server.inFlight === 1, "the request to arrive");
    assert.ok(sentAt > 0, "sent before the response");
    await step;
  });
});

test("Fetcher.robotsRefusal() fetches an origin's robots.txt once, after beforeFetch, and applies its rules", async () => {
  const text = (body: string): Handler => (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end(body);
  const routes = { "/robots.txt": text("User-agent: *\nDisallow: /private\n") };
  await withFetcher(routes, { robots: true }, async (server, fetcher) => {
    const order: string[] = [];
    const beforeFetch = async () => void order.push(`before, ${server.hitsOf("/robots.txt")} robots.txt requests`);
    const [open, closed] = await Promise.all([
      fetcher.robotsRefusal(server.url("/api/data.json"), { beforeFetch }),
      fetcher.robotsRefusal(server.url("/private/data.json"), { beforeFetch }),
    ]);
    assert.equal(open, undefined);
    assert.deepEqual(closed, { code: "EROBOTS", message: "Disallowed by robots.txt" });
    assert.equal(server.hitsOf("/robots.txt"), 1);
    assert.deepEqual(order, ["before, 0 robots.txt requests", "before, 0 robots.txt requests"], "both waited their turn before the one fetch");
    assert.deepEqual(await fetcher.robotsRefusal(server.url("/private/x"), { beforeFetch }), closed);
    assert.equal(order.length, 2, "known rules need no turn");
  });
  await withFetcher(routes, { robots: false }, async (server, fetcher) => {
    assert.equal(await fetcher.robotsRefusal(server.url("/private/data.json")), undefined);
    assert.equal(server.hitsOf("/robots.txt"), 0);
  });
});

test("Fetcher rejects invalid options with a UsageError naming the option and value", () => {
  assert.throws(() => new Fetcher({ timeout: 0 }), new UsageError("Expected timeout to be a positive integer, got 0"));
  assert.throws(() => new Fetcher({ retries: -1 }), new UsageError("Expected retries to be a non-negative integer, got -1"));
  assert.throws(() => new Fetcher({ maxBytes: 1.5 }), new UsageError("Expected maxBytes to be a positive integer, got 1.5"));
  assert.throws(() => new Fetcher({ perHost: 0 }), new UsageError("Expected perHost to be a positive integer, got 0"));
  assert.throws(() => new Fetcher({ rate: -2 }), new UsageError("Expected rate to be a positive number, got -2"));
});
