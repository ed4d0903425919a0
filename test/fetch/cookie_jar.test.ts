import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastValueFrom, toArray } from "rxjs";
import { crawl, type CrawlOptions } from "../../src/crawl.ts";
import { UsageError } from "../../src/errors.ts";
import { CrawlCookieJar, parseCookie, parseCookiesTxt, readCookiesFile } from "../../src/fetch/cookie_jar.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import type { PageRecord } from "../../src/records.ts";
import { type Handler, html, redirect, startServer, type TestServer } from "../helpers/server.ts";
import { fetchPage } from "../helpers/steps.ts";

const YEAR_2100 = 4102444800; // seconds since the epoch

function collect(options: CrawlOptions): Promise<PageRecord[]> {
  return lastValueFrom(crawl({ robots: false, ...options }).pipe(toArray()));
}

/** Runs `body` with a server whose handler also records the `Cookie` header of every request, by path. */
async function withCookieSite(
  routes: Record<string, Handler>,
  body: (server: TestServer, cookies: (path: string) => (string | undefined)[]) => Promise<void>,
): Promise<void> {
  const seen: [string, string | undefined][] = [];
  const server = await startServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = req.url ?? "/";
    seen.push([path, req.headers.cookie]);
    const handler = routes[path.split("?")[0]!] ?? html("<title>404</title>", { status: 404 });
    return handler(req, res);
  });
  try {
    await body(server, (path) => seen.filter(([p]) => p === path).map(([, cookie]) => cookie));
  } finally {
    await server.close();
  }
}

function setCookie(cookies: string[], then: Handler): Handler {
  return (req, res) => {
    res.setHeader("set-cookie", cookies);
    return then(req, res);
  };
}

/** `/` sends a visitor without the consent cookie to `/consent`, which sets it and sends them back to `/`. */
const CONSENT_SITE: Record<string, Handler> = {
  "/": (req, res) =>
    req.headers.cookie?.includes("consent=yes") === true
      ? html('<title>Home</title><a href="/about">About</a><a href="/consent">Change consent</a>')(req, res)
      : redirect("/consent")(req, res),
  "/consent": setCookie(["consent=yes; Path=/"], redirect("/")),
  "/about": html("<title>About</title>"),
};

test("crawl() goes through a consent round trip as a browser does: one row for the page, none for the consent page", async () => {
  await withCookieSite(CONSENT_SITE, async (server, cookies) => {
    const records = await collect({ start: server.url("/") });
    const rows = records.map((record) => [record.url, record.finalUrl, record.status, record.title, record.error]);
    assert.deepEqual(rows.sort(), [
      [server.url("/"), server.url("/"), 200, "Home", ""],
      [server.url("/about"), server.url("/about"), 200, "About", ""],
    ]);
    assert.equal(records.find((record) => record.url === server.url("/"))!.redirects, 2);
    assert.deepEqual(cookies("/"), [undefined, "consent=yes"]);
    assert.deepEqual(cookies("/consent"), [undefined], "the consent page is fetched once, and not again from its link");
    assert.deepEqual(cookies("/about"), ["consent=yes"]);
  });
});

test("crawl() with cookies: false keeps none, and the consent round trip ends as a redirect loop", async () => {
  await withCookieSite(CONSENT_SITE, async (server, cookies) => {
    const [record, ...more] = await collect({ start: server.url("/"), cookies: false });
    const [home, consent] = [server.url("/"), server.url("/consent")];
    assert.equal(more.length, 0);
    assert.equal(record!.errorCode, "EREDIRECT");
    assert.equal(record!.error, `Redirect loop: ${home} -> ${consent} -> ${home} -> ${consent} (${home})`);
    assert.deepEqual(cookies("/"), [undefined, undefined]);
  });
});

test("Fetcher sends a cookie back to its path only, forgets it when it expires, and sends it to the host's other ports", async () => {
  const routes: Record<string, Handler> = {
    "/login": setCookie(["sid=1; Path=/account", "pref=dark", "gone=1; Max-Age=0", "old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], html("<title>in</title>")),
    "/account/home": html("<title>account</title>"),
    "/news": html("<title>news</title>"),
    "/logout": setCookie(["sid=; Path=/account; Max-Age=0"], html("<title>out</title>")),
  };
  await withCookieSite(routes, async (server, cookies) => {
    await withCookieSite({ "/": html("<title>other</title>") }, async (other, otherCookies) => {
      const fetcher = new Fetcher({ robots: false });
      try {
        for (const path of ["/login", "/account/home", "/news", "/logout", "/account/home"]) {
          await fetchPage(fetcher, { url: server.url(path), depth: 0 });
        }
        await fetchPage(fetcher, { url: other.url("/"), depth: 0 });
      } finally {
        fetcher.close();
      }
      assert.deepEqual(cookies("/account/home"), ["sid=1; pref=dark", "pref=dark"]);
      assert.deepEqual(cookies("/news"), ["pref=dark"]);
      // 127.0.0.1 on another port is the same host to cookies, as in a browser: they ignore ports (RFC 6265 §8.5).
      assert.deepEqual(otherCookies("/"), ["pref=dark"]);
    });
  });
});

test("Fetcher sends the cookies it starts with, as given and as read from a cookies.txt file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-cookies-"));
  const file = join(dir, "cookies.txt");
  writeFileSync(
    file,
    [
      "# Netscape HTTP Cookie File",
      "# https://curl.se/docs/http-cookies.html",
      "",
      `#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tfrom-file`,
      `127.0.0.1\tFALSE\t/private\tFALSE\t${YEAR_2100}\tkey\tv2`,
      `127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\tlong-ago`,
    ].join("\r\n"),
  );
  try {
    await withCookieSite({ "/": html("<title>home</title>"), "/private/x": html("<title>x</title>") }, async (server, cookies) => {
      const fetcher = new Fetcher({ robots: false, startCookies: ["login=alice; Domain=127.0.0.1"], cookiesFile: file });
      try {
        await fetchPage(fetcher, { url: server.url("/"), depth: 0 });
        await fetchPage(fetcher, { url: server.url("/private/x"), depth: 0 });
      } finally {
        fetcher.close();
      }
      assert.deepEqual(cookies("/"), ["login=alice; session=from-file"]);
      assert.deepEqual(cookies("/private/x"), ["key=v2; login=alice; session=from-file"]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CrawlCookieJar honours domain, subdomains, path, expiry and Secure as RFC 6265 says", async () => {
  const jar = new CrawlCookieJar(
    parseCookiesTxt(
      [
        `.example.com\tTRUE\t/\tFALSE\t0\twide\t1`,
        `shop.example.com\tFALSE\t/\tFALSE\t0\thost\t2`,
        `example.com\tTRUE\t/docs\tFALSE\t0\tdocs\t3`,
        `example.com\tTRUE\t/\tTRUE\t0\tsecure\t4`,
      ].join("\n"),
      "cookies.txt",
    ),
  );
  await jar.setCookie("later=5; Max-Age=3600", "http://example.com/");
  await jar.setCookie("never=6; Domain=other.org", "http://example.com/"); // not the site's to set: ignored
  assert.equal(await jar.getCookieString("http://example.com/"), "wide=1; later=5");
  assert.equal(await jar.getCookieString("https://example.com/docs/intro"), "docs=3; wide=1; secure=4; later=5");
  assert.equal(await jar.getCookieString("http://shop.example.com/"), "wide=1; host=2");
  assert.equal(await jar.getCookieString("http://a.shop.example.com/"), "wide=1", "a host-only cookie skips subdomains");
  assert.equal(await jar.getCookieString("http://example.org/"), "");
  assert.equal(await jar.getCookieString("http://other.org/"), "");
});

test("CrawlCookieJar.freshSession() forgets the cookies the site set for a URL and keeps those given at the start", async () => {
  const jar = new CrawlCookieJar([parseCookie("login=alice; Domain=example.com")]);
  await jar.setCookie("tracker=1", "http://example.com/");
  await jar.setCookie("elsewhere=2", "http://example.org/");
  assert.equal(await jar.freshSession("http://example.com/page"), 1);
  assert.equal(await jar.getCookieString("http://example.com/"), "login=alice");
  assert.equal(await jar.getCookieString("http://example.org/"), "elsewhere=2");
});

test("CrawlCookieJar forgets the cookies of the domain it used least recently when it holds too many", async () => {
  const jar = new CrawlCookieJar([parseCookie("login=alice; Domain=kept.example")], { maxDomains: 2 });
  await jar.setCookie("a=1", "http://a.example/");
  await jar.setCookie("b=1", "http://b.example/");
  await jar.setCookie("more=1", "http://kept.example/"); // the login's domain: never forgotten, not counted
  assert.equal(await jar.getCookieString("http://a.example/"), "a=1"); // a is used again: b is now the oldest
  await jar.setCookie("c=1", "http://c.example/");
  assert.deepEqual(
    await Promise.all(["a", "b", "c", "kept"].map((name) => jar.getCookieString(`http://${name}.example/`))),
    ["a=1", "", "c=1", "login=alice; more=1"],
  );
});

test("parseCookie() takes a Set-Cookie value naming its Domain, and refuses one without, or for a public suffix", () => {
  assert.deepEqual(parseCookie("sid=abc; Domain=.Example.com; Path=/app; Secure; HttpOnly"), {
    name: "sid",
    value: "abc",
    domain: "example.com",
    hostOnly: false,
    path: "/app",
    secure: true,
    httpOnly: true,
    expires: null,
  });
  assert.throws(() => parseCookie("sid=abc"), {
    name: "UsageError",
    message: 'Expected a cookie as "name=value; Domain=example.com" (a Domain missing), got "sid=abc"',
  });
  assert.throws(() => parseCookie("; Domain=example.com"), {
    name: "UsageError",
    message: 'Expected a cookie as "name=value; Domain=example.com" (name=value missing), got "; Domain=example.com"',
  });
  assert.throws(() => parseCookie("sid=abc; Domain=co.uk"), {
    name: "UsageError",
    message: 'Expected a cookie a browser would keep, got "sid=abc; Domain=co.uk": Cookie has domain set to a public suffix',
  });
});

test("parseCookiesTxt() reads what curl and browser extensions write: comments, #HttpOnly_, CRLF, a missing value", () => {
  const text = [
    "# Netscape HTTP Cookie File",
    "#HttpOnly_.example.com\tTRUE\t/\tTRUE\t0\tsid\tabc",
    `example.com\tFALSE\t/a\tFALSE\t${YEAR_2100}\tempty`,
    "",
  ].join("\r\n");
  assert.deepEqual(parseCookiesTxt(text, "c.txt"), [
    { name: "sid", value: "abc", domain: "example.com", hostOnly: false, path: "/", secure: true, httpOnly: true, expires: null },
    { name: "empty", value: "", domain: "example.com", hostOnly: true, path: "/a", secure: false, httpOnly: false, expires: YEAR_2100 * 1000 },
  ]);
});

test("parseCookiesTxt() names the file and the line of a malformed cookie", () => {
  const cases: [string, string][] = [
    ["example.com TRUE / FALSE 0 a b", "domain, subdomains, path, secure, expiry, name and value, separated by tabs"],
    ["example.com\tyes\t/\tFALSE\t0\ta\tb", "TRUE or FALSE in the second and fourth fields"],
    ["example.com\tTRUE\tdocs\tFALSE\t0\ta\tb", "a path starting with / in the third field"],
    ["example.com\tTRUE\t/\tFALSE\tsoon\ta\tb", "an expiry in seconds in the fifth field, 0 for a session cookie"],
    ["example.com\tTRUE\t/\tFALSE\t0\t\tb", "a name in the sixth field"],
  ];
  for (const [line, what] of cases) {
    assert.throws(() => parseCookiesTxt(`# a comment\n${line}\n`, "cookies.txt"), {
      name: "UsageError",
      message: `Expected line 2 of cookies.txt to be a cookie (${what}), got ${JSON.stringify(line)}`,
    });
  }
  assert.throws(() => parseCookiesTxt("com\tTRUE\t/\tFALSE\t0\ta\tb\n", "cookies.txt"), {
    message: "Expected a cookie a browser would keep, got line 1 of cookies.txt: Cookie has domain set to a public suffix",
  });
});

test("readCookiesFile() and the Fetcher refuse a cookies file that cannot be read, with a UsageError naming it", () => {
  assert.throws(() => readCookiesFile("/nonexistent/cookies.txt"), {
    name: "UsageError",
    message: 'Expected a readable cookies file, got "/nonexistent/cookies.txt" (ENOENT)',
  });
  assert.throws(() => new Fetcher({ cookiesFile: "/nonexistent/cookies.txt" }), UsageError);
  assert.throws(() => crawl({ start: "http://127.0.0.1:9/", startCookies: ["x=1"] }), UsageError);
});
