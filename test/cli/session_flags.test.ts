// The flags of cookies, proxies and blocks, end to end: crawl.ts run as a user runs it, against real proxies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Exit, readCsv, ROOT, run } from "../helpers/pipeline.ts";
import { deadProxyUrl, startMicrosocks, startTinyproxy } from "../helpers/proxies.ts";
import { html, startServer, type TestServer } from "../helpers/server.ts";

const TMP = join(ROOT, "data", "out", "test-session-flags");

/** A site of `pages` pages, `/` linking to the others, that records the address each request came from. */
async function peerSite(pages: number): Promise<TestServer & { peers: string[] }> {
  const peers: string[] = [];
  const links = Array.from({ length: pages - 1 }, (_, i) => `<a href="/p${i + 1}">${i + 1}</a>`).join("");
  const server = await startServer((req, res) => {
    peers.push(req.socket.remoteAddress ?? "");
    return html(`<title>${req.url}</title>${req.url === "/" ? links : ""}`)(req, res);
  });
  return Object.assign(server, { peers });
}

function assertUsageError(result: Exit, message: string): void {
  assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  assert.equal(result.stderr, `crawl.ts: ${message} (see --help)\n`);
}

test("crawl.ts --proxy with credentials never shows them: not on stderr, in the summary, in --stats or in a row", async () => {
  await mkdir(TMP, { recursive: true });
  const live = await startTinyproxy({ user: "alice", password: "secret-one" });
  const site = await peerSite(6);
  try {
    const dead = (await deadProxyUrl()).replace("http://", "http://bob:secret-two@");
    const out = join(TMP, "proxied.csv");
    const stats = join(TMP, "proxied.stats.json");
    const args = [site.url("/"), "--proxy", dead, "--proxy", live.url, "--proxy-rotate", "request", "--no-robots", "--workers", "0"];
    const result = await run("crawl.ts", [...args, "--out", out, "--stats", stats]);
    assert.equal(result.code, 0, result.stderr);
    const { rows } = await readCsv(out);
    assert.equal(rows.length, 6);
    assert.ok(rows.every((row) => row.status === "200" && row.error === ""));
    assert.deepEqual(site.peers, Array(6).fill(live.egress));
    const [deadShown, liveShown] = [dead, live.url].map((url) => url.replace(/\/\/[^@]*@/, "//***@")) as [string, string];
    const line = result.stderr.split("\n").find((text) => text.startsWith("  proxies: "));
    assert.equal(line, `  proxies: 1 request through ${deadShown} (benched 1×), 6 through ${liveShown}`);
    const summary = JSON.parse(await readFile(stats, "utf8")) as { proxies: unknown };
    assert.deepEqual(summary.proxies, [
      { proxy: deadShown, requests: 1, benched: 1 },
      { proxy: liveShown, requests: 6, benched: 0 },
    ]);
    // Through the dead proxy alone, every row is an error that names the proxy, masked.
    const failed = await run("crawl.ts", [site.url("/"), "--proxy", dead, "--retries", "0", "--no-robots", "--workers", "0", "--out", out, "--stats", stats]);
    assert.equal(failed.code, 0, failed.stderr);
    const [row] = (await readCsv(out)).rows;
    assert.ok(row!.error?.startsWith(`Proxy ${deadShown} failed: connect ECONNREFUSED`), row!.error);
    for (const text of [result.stderr, failed.stderr, await readFile(out, "utf8"), await readFile(stats, "utf8")]) {
      assert.doesNotMatch(text, /secret-one|secret-two|alice|bob/);
    }
  } finally {
    await live.stop();
    await site.close();
    await rm(TMP, { recursive: true, force: true });
  }
});

test("crawl.ts goes through HTTP_PROXY without --proxy, direct for NO_PROXY hosts, and --proxy wins over both", async () => {
  const http = await startTinyproxy();
  const socks = await startMicrosocks();
  const site = await peerSite(2);
  try {
    const crawl = (env: Record<string, string>, ...flags: string[]) =>
      run("crawl.ts", [site.url("/"), "--no-robots", "--workers", "0", ...flags], { env }).then((result) => {
        assert.equal(result.code, 0, result.stderr);
        return site.peers.splice(0);
      });
    assert.deepEqual(await crawl({ HTTP_PROXY: http.url }), [http.egress, http.egress]);
    assert.deepEqual(await crawl({ http_proxy: socks.url, HTTP_PROXY: http.url }), [socks.egress, socks.egress], "lower case first");
    assert.deepEqual(await crawl({ HTTPS_PROXY: http.url }), ["127.0.0.1", "127.0.0.1"], "HTTPS_PROXY is for https URLs");
    assert.deepEqual(await crawl({ HTTP_PROXY: http.url, NO_PROXY: "localhost,127.0.0.1" }), ["127.0.0.1", "127.0.0.1"]);
    assert.deepEqual(await crawl({ HTTP_PROXY: http.url, NO_PROXY: "127.0.0.1" }, "--proxy", socks.url), [socks.egress, socks.egress]);
  } finally {
    await http.stop();
    await socks.stop();
    await site.close();
  }
});

test("crawl.ts --cookies starts logged in with a cookies.txt file, and --no-cookies keeps none", async () => {
  await mkdir(TMP, { recursive: true });
  const seen: (string | undefined)[] = [];
  const site = await startServer((req, res) => {
    seen.push(req.headers.cookie);
    res.setHeader("set-cookie", "visit=1");
    return html(req.url === "/" ? '<title>home</title><a href="/next">next</a>' : "<title>next</title>")(req, res);
  });
  try {
    const file = join(TMP, "cookies.txt");
    await writeFile(file, "# Netscape HTTP Cookie File\n#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tlogged-in\n");
    const base = [site.url("/"), "--no-robots", "--workers", "0", "--concurrency", "1"];
    assert.equal((await run("crawl.ts", [...base, "--cookies", file, "--cookie", "lang=en; Domain=127.0.0.1"])).code, 0);
    assert.deepEqual(seen.splice(0), ["lang=en; sid=logged-in", "lang=en; sid=logged-in; visit=1"]);
    assert.equal((await run("crawl.ts", [...base, "--no-cookies"])).code, 0);
    assert.deepEqual(seen.splice(0), [undefined, undefined]);
  } finally {
    await site.close();
    await rm(TMP, { recursive: true, force: true });
  }
});

test("crawl.ts refuses a malformed cookie, cookies file, proxy or block flag in one line, with exit code 2", async (t) => {
  await mkdir(TMP, { recursive: true });
  const site = await startServer(html("<title>never</title>"));
  try {
    const file = join(TMP, "bad-cookies.txt");
    await writeFile(file, "# Netscape HTTP Cookie File\n\n.example.com\tTRUE\t/\tFALSE\t0\tsid\n.example.com TRUE / FALSE 0 a b\n");
    const fields = "domain, subdomains, path, secure, expiry, name and value, separated by tabs";
    const cases: [string[], string][] = [
      [["--cookie", "sid=1"], 'Expected a cookie as "name=value; Domain=example.com" (a Domain missing), got "sid=1"'],
      [["--cookies", file], `Expected line 4 of ${file} to be a cookie (${fields}), got ".example.com TRUE / FALSE 0 a b"`],
      [["--cookies", join(TMP, "none.txt")], `Expected a readable cookies file, got ${JSON.stringify(join(TMP, "none.txt"))} (ENOENT)`],
      [
        ["--proxy", "ftp://carol:pw@proxy:2121"],
        'Expected --proxy to be a proxy URL (http://, https://, socks5:// or socks5h://host:port), got "ftp://***@proxy:2121"',
      ],
      [["--proxy-rotate", "often"], 'Expected --proxy-rotate to be "host" or "request", got "often"'],
      [["--block-status", "429,abc"], 'Expected --block-status to be HTTP statuses separated by commas, or "none", got "429,abc"'],
    ];
    const results = await Promise.all(cases.map(([flags]) => run("crawl.ts", [site.url("/"), ...flags, "--workers", "0"])));
    for (const [i, [flags, message]] of cases.entries()) {
      await t.test(flags.join(" ").replace(TMP, "<tmp>"), () => assertUsageError(results[i]!, message));
    }
    assert.equal(site.total, 0);
  } finally {
    await site.close();
    await rm(TMP, { recursive: true, force: true });
  }
});
