// The requests a rendered page makes, in the real Chromium: images, media and fonts blocked, every other request put to
// onRequest first (a refused host sees nothing), WebSockets never connected.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { BrowserPool } from "../../src/render/browser_pool.ts";
import { findBrowser } from "../../src/render/find_browser.ts";
import { fetchDocument, type RenderSite, startRenderSite } from "../helpers/render_site.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const BROWSER = "HeadlessChrome";
let site: RenderSite;
let other: TestServer;
let pool: BrowserPool;
/** What `onRequest` was asked, in order. */
const asked: { url: string; type: string; page: string }[] = [];
/** The hosts `onRequest` refuses. */
const refused = new Set<string>();

before(async () => {
  other = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" }).end('{"said":"other host answered"}');
  });
  refused.add(new URL(other.origin).host);
  site = await startRenderSite(other.origin);
  pool = new BrowserPool(
    { pages: 2, timeout: 15_000 },
    {
      onRequest: (url, type, { page }) => {
        if (page.endsWith("?hook=throws")) throw new Error("robots.txt unreadable");
        asked.push({ url, type, page });
        return refused.has(new URL(url).host) ? "abort" : "continue";
      },
    },
  );
  await pool.start();
});

after(async () => {
  await pool?.close();
  await site?.close();
  await other?.close();
});

test("images, media and fonts are blocked by default: the server sees the stylesheet and none of them", async () => {
  const result = await pool.render({ url: site.url("/media"), fetch: fetchDocument });
  assert.equal(result.errorCode, "", result.error);
  const fromBrowser = site.pathsFrom(BROWSER);
  assert.ok(fromBrowser.includes("/style.css"));
  for (const path of ["/img/cover.png", "/media/clip.mp4", "/fonts/fancy.woff2"]) assert.ok(!fromBrowser.includes(path), path);
  assert.ok(result.aborted >= 2, `aborted ${result.aborted}`);
  assert.equal(
    asked.some((request) => /cover|clip|fancy/.test(request.url)),
    false,
    "blocked requests never reach onRequest",
  );
});

test("each request of the page passes onRequest first, which keeps a refused host from seeing any", async () => {
  const from = asked.length;
  const result = await pool.render({ url: site.url("/subrequests"), fetch: fetchDocument });
  assert.equal(result.errorCode, "", result.error);
  assert.deepEqual(
    asked.slice(from).map(({ url, type, page }) => [url, type, page]).sort(),
    [
      [site.url("/sub.js"), "script", site.url("/subrequests")],
      [site.url("/api/own.json"), "fetch", site.url("/subrequests")],
      [`${other.origin}/api/other.json`, "fetch", site.url("/subrequests")],
    ].sort(),
  );
  assert.equal(other.total, 0, "the refused host saw nothing");
  assert.match(result.html, /<p id="own">own host answered<\/p><p id="other">refused<\/p>/);
  assert.equal(result.requests, 3);
  assert.equal(result.aborted, 1);
  assert.deepEqual(result.requestsByHost, { [new URL(site.server.origin).host]: 2, [new URL(other.origin).host]: 1 });
});

test("a page's WebSocket is counted and closed: its server sees no connection", async () => {
  const server = await upgradeServer();
  try {
    const from = asked.length;
    const result = await pool.render({ url: site.url(`/socket?to=${server.origin}/live`), fetch: fetchDocument });
    assert.equal(result.errorCode, "", result.error);
    assert.deepEqual({ requests: result.requests, aborted: result.aborted }, { requests: 1, aborted: 1 });
    assert.deepEqual(result.requestsByHost, { [new URL(server.origin).host]: 1 });
    // The same page, the socket let through as Playwright does when nothing routes it, reaches the server: the test
    // can tell a connection.
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: findBrowser(), args: ["--disable-gpu"] });
    try {
      const page = await browser.newPage();
      await page.goto(site.url(`/socket?to=${server.origin}/unrouted`));
      while (server.upgrades.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await browser.close();
    }
    assert.deepEqual(server.upgrades, ["/unrouted"], "the rendered page's socket never reached the server");
    assert.deepEqual(asked.slice(from), [], "onRequest is not asked: no socket is ever let through");
  } finally {
    await server.close();
  }
});

test("an onRequest that throws aborts its request and fails the render with ERENDER", async () => {
  const before = site.requests.length;
  const result = await pool.render({ url: site.url("/spa?hook=throws"), fetch: fetchDocument });
  assert.equal(result.errorCode, "ERENDER");
  assert.match(result.error, /^onRequest failed on http:.*\/spa\.js: robots\.txt unreadable \(http:.*\/spa\?hook=throws\)$/);
  assert.deepEqual(site.requests.slice(before).map((request) => request.path), ["/spa?hook=throws"], "the browser asked for nothing");
  assert.equal(result.aborted, 1);
});

/** A server that counts WebSocket handshakes (the paths asked for) and drops each connection. */
async function upgradeServer(): Promise<{ origin: string; upgrades: string[]; close(): Promise<void> }> {
  const upgrades: string[] = [];
  const server = http.createServer((_req, res) => res.end());
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex) => {
    upgrades.push(req.url ?? "");
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `ws://127.0.0.1:${port}`,
    upgrades,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test("a page's icons are answered in the browser: neither the site nor onRequest sees a favicon request", async () => {
  // A User-Agent of its own tells this test's requests from those of the other browsers of this file.
  const agent = "rxcrawl-icon-test";
  const icons = new BrowserPool(
    { pages: 1, block: [], timeout: 15_000, userAgent: agent },
    { onRequest: (url, type, { page }) => (asked.push({ url, type, page }), "continue") },
  );
  try {
    for (const path of ["/icons", "/no-icon"]) {
      const result = await icons.render({ url: site.url(path), fetch: fetchDocument });
      assert.equal(result.errorCode, "", result.error);
      assert.match(result.html, /<h1>A page/);
    }
    // Chromium asks for a page's icon after its load event: time for a late one to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(site.pathsFrom(agent), [], "the documents came from fetchDocument, and nothing else reached the site");
    assert.deepEqual(asked.filter((request) => /ico|touch/.test(request.url)), []);
  } finally {
    await icons.close();
  }
});

test("a popup a page opens is closed, and none of its requests reaches the site", async () => {
  const agent = "rxcrawl-popup-test";
  const popups = new BrowserPool({ pages: 2, timeout: 15_000, userAgent: agent }, { onRequest: () => "continue" });
  try {
    const result = await popups.render({ url: site.url("/popup"), fetch: fetchDocument });
    assert.equal(result.errorCode, "", result.error);
    assert.match(result.html, /<h1>Opens another window<\/h1>/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(site.pathsFrom(agent), [], "not the popup's document, nor its script");
  } finally {
    await popups.close();
  }
});
