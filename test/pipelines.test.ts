// End-to-end tests of the runnable pipelines: each runs as a child process, as a user runs it, against a site served
// by this process on 127.0.0.1. What a user sees is what is asserted: the exit code, stdout, stderr and the file.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type DemoSite, renderDemoPage, startDemoSite } from "../src/demo/demo_site.ts";
import { DOUBAN_FIELDS, DOUBAN_RECOMMENDATIONS } from "../src/parse/douban.ts";
import { pageColumns } from "../src/sinks/page_row.ts";
import { type Csv, type Exit, parseCsv, readCsv, ROOT, run, type Running, start } from "./helpers/pipeline.ts";
import { bytes, download, html, startServer } from "./helpers/server.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-pipelines-"));
after(() => rm(TMP, { recursive: true, force: true }));

/** The columns crawl.ts documents in its --help, in order. */
const CRAWL_COLUMNS = ["url", "final_url", "status", "content_type", "depth", "title", "error", "fetched_at"];
const SUMMARY = /^Code runtime: \d+\.\d\d s: (\d+) pages, (\d+) errors, \d+\.\d pages\/s; (.+)$/m;
/** The summary's lines after its first, in order. */
const DETAILS = ["ended", "status", "ok", "errors", "requests", "received", "depth", "peak memory"];

/** A pipeline that finished normally: exit 0, and stderr is exactly the summary line; returns its note. */
function assertSummaryOnly(result: Exit, pages: number, errors: number): string {
  assert.equal(result.code, 0, result.stderr);
  const match = SUMMARY.exec(result.stderr);
  assert.ok(match !== null, `no summary on stderr: ${JSON.stringify(result.stderr)}`);
  const [first, ...details] = result.stderr.slice(0, -1).split("\n");
  assert.equal(first, match[0], "stderr starts with the summary's first line");
  assert.deepEqual(
    details.map((line) => /^ {2}([a-z ]+): /.exec(line)?.[1]),
    DETAILS,
    `then the summary's details, and nothing else: ${JSON.stringify(result.stderr)}`,
  );
  assert.deepEqual([Number(match[1]), Number(match[2])], [pages, errors]);
  return match[3] ?? "";
}

/** The value of a line of the summary's details, `status` for `  status: 2xx 3`. */
function detail(result: Exit, name: string): string {
  return new RegExp(`^  ${name}: (.*)$`, "m").exec(result.stderr)?.[1] ?? "";
}

/** A usage error: exit 2, nothing on stdout, and exactly one line on stderr, without a stack trace. */
function assertUsageError(result: Exit, script: string, message: string | RegExp): void {
  assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "");
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  assert.match(result.stderr, /^[^\n]+\n$/, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  const line = result.stderr.slice(0, -1);
  if (typeof message === "string") assert.equal(line, `${script}: ${message} (see --help)`);
  else assert.match(line, message);
}

function parseJsonl(text: string): Record<string, unknown>[] {
  assert.ok(text === "" || text.endsWith("\n"), "JSONL ends with a newline");
  return text
    .split("\n")
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Requests for pages the demo site saw, its robots.txt aside (the fetcher reads it once per origin). */
function pageRequests(site: DemoSite): number {
  assert.ok((site.stats.byPath.get("/robots.txt") ?? 0) <= 1, "robots.txt is fetched at most once");
  return site.stats.requests - (site.stats.byPath.get("/robots.txt") ?? 0);
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** What a demo book page shows, read from its HTML with patterns independent of the crawler's parser. */
function demoBook(html: string) {
  const text = (pattern: RegExp): string => {
    const value = pattern.exec(html)?.[1];
    assert.ok(value !== undefined, `the demo page has ${pattern}`);
    return value.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  };
  return {
    title: text(/<span property="v:itemreviewed">([^<]*)<\/span>/),
    author: text(/作者<\/span>: <a[^>]*>([^<]*)<\/a>/),
    publisher: text(/出版社:<\/span> <a[^>]*>([^<]*)<\/a>/),
    year: Number(text(/出版年:<\/span> (\d{4})-/)),
    rating: Number(text(/property="v:average"> ([\d.]+) </)),
    ratings: Number(text(/property="v:votes">(\d+)</)),
    isbn: text(/ISBN:<\/span> (\d+)/),
    recommendations: Array.from(html.matchAll(/<dt><a href="([^"]+)"/g), (m) => m[1] ?? ""),
  };
}

/** The id of a demo book page URL. */
function subjectId(url: string): number {
  const id = /\/subject\/(\d+)\/$/.exec(url)?.[1];
  assert.ok(id !== undefined, `not a book page: ${url}`);
  return Number(id);
}

test("crawl.ts writes one CSV row per page of a 3,000-page site, each fetched exactly once", { timeout: 60_000 }, async () => {
  const site = await startDemoSite({ pages: 3000, links: 10, bodyKb: 2 });
  try {
    const out = join(TMP, "crawl-3000.csv");
    const result = await run("crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", out]);

    assert.equal(result.stdout, "", "rows go to the file, nothing to stdout");
    assert.equal(assertSummaryOnly(result, 3000, 0), `wrote ${out}`);
    const { header, rows } = await readCsv(out);
    assert.deepEqual(header, CRAWL_COLUMNS);
    assert.deepEqual(header, pageColumns());
    assert.equal(rows.length, 3000);
    assert.deepEqual(new Set(rows.map((row) => row.url)), new Set(site.urls()));
    assert.deepEqual(
      rows.filter((row) => row.status !== "200" || row.error !== ""),
      [],
      "every row is a 200 without an error",
    );
    assert.ok(rows.every((row) => !Number.isNaN(Date.parse(row.fetched_at ?? ""))), "fetched_at is a timestamp");
    assert.equal(site.stats.duplicateRequests(), 0);
    assert.equal(pageRequests(site), 3000);
  } finally {
    await site.close();
  }
});

test("crawl.ts --extract writes each field to JSONL, the text of a selector or the attribute of css@attr", async () => {
  const site = await startDemoSite({ pages: 40, bodyKb: 1 });
  try {
    const out = join(TMP, "extract.jsonl");
    const result = await run("crawl.ts", [
      site.startUrl,
      "--follow", DOUBAN_RECOMMENDATIONS,
      "--extract", "book=h1 span",
      "--extract", "canonical=link[rel=canonical]@href",
      "--extract", "missing=.no-such-class",
      "--out", out,
      "--workers", "1",
    ]);
    assert.equal(result.stdout, "");
    assert.equal(assertSummaryOnly(result, 40, 0), `wrote ${out}`);

    const rows = parseJsonl(await readFile(out, "utf8"));
    assert.equal(rows.length, 40);
    const columns = pageColumns(["book", "canonical", "missing"]);
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), columns);
      const url = String(row.url);
      const book = demoBook(renderDemoPage(subjectId(url), site.origin, { pages: 40, bodyKb: 1 }));
      assert.equal(row.book, book.title);
      assert.equal(row.title, `${book.title} (豆瓣)`);
      assert.equal(row.canonical, url);
      assert.equal(row.missing, null);
    }
  } finally {
    await site.close();
  }
});

test("crawl.ts without --out writes JSONL rows to stdout and only the summary to stderr", async () => {
  const site = await startDemoSite({ pages: 12, bodyKb: 1 });
  try {
    const result = await run("crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--workers", "0"]);
    assert.equal(assertSummaryOnly(result, 12, 0), "rows on stdout");
    const rows = parseJsonl(result.stdout);
    assert.equal(rows.length, 12);
    assert.deepEqual(new Set(rows.map((row) => row.url)), new Set(site.urls()));
    for (const row of rows) assert.deepEqual(Object.keys(row), pageColumns());
  } finally {
    await site.close();
  }
});

test("crawl.ts honours --max-pages and --max-depth", async () => {
  const options = { pages: 60, bodyKb: 1 };
  const [pagesSite, depthSite, startOnlySite] = await Promise.all([
    startDemoSite(options),
    startDemoSite(options),
    startDemoSite(options),
  ]);
  try {
    const follow = ["--follow", DOUBAN_RECOMMENDATIONS, "--workers", "0"];
    const [limited, depthOne, depthZero] = await Promise.all([
      run("crawl.ts", [pagesSite.startUrl, ...follow, "--max-pages", "7"]),
      run("crawl.ts", [depthSite.startUrl, ...follow, "--max-depth", "1"]),
      run("crawl.ts", [startOnlySite.startUrl, ...follow, "--max-depth", "0"]),
    ]);

    assertSummaryOnly(limited, 7, 0);
    assert.equal(parseJsonl(limited.stdout).length, 7);
    assert.equal(pageRequests(pagesSite), 7);
    assert.match(detail(limited, "ended"), /^max-pages, maxPages requests started; \d+ URLs found and left waiting$/);

    // Depth 1 is the start page's ten recommendations, and nothing beyond them is fetched.
    assertSummaryOnly(depthOne, 11, 0);
    const rows = parseJsonl(depthOne.stdout);
    const recommended = demoBook(renderDemoPage(0, depthSite.origin, options)).recommendations;
    assert.equal(recommended.length, 10);
    assert.deepEqual(rows.filter((row) => row.depth === 0).map((row) => row.url), [depthSite.startUrl]);
    assert.deepEqual(new Set(rows.filter((row) => row.depth === 1).map((row) => row.url)), new Set(recommended));
    assert.equal(rows.length, 11);
    assert.equal(pageRequests(depthSite), 11);

    assertSummaryOnly(depthZero, 1, 0);
    assert.deepEqual(parseJsonl(depthZero.stdout).map((row) => row.url), [startOnlySite.startUrl]);
    assert.equal(pageRequests(startOnlySite), 1);
  } finally {
    await Promise.all([pagesSite.close(), depthSite.close(), startOnlySite.close()]);
  }
});

test("crawl.ts follows only the --follow links and sends --header and --user-agent with every request", async () => {
  const headers = new Map<string, IncomingHttpHeaders>();
  const pages: Record<string, string> = {
    "/": '<title>Home</title><a class="keep" href="/one">one</a> <a href="/skipped">skipped</a>',
    "/one": '<title>One</title><a class="keep" href="/two">two</a> <a class="keep" href="/">home</a>',
    "/two": '<title>Two</title><a href="/skipped-too">skipped</a>',
  };
  const server = await startServer((req, res) => {
    const page = pages[req.url ?? ""];
    if (page !== undefined) headers.set(req.url ?? "", req.headers);
    return page === undefined ? html("<title>404</title>", { status: 404 })(req, res) : html(page)(req, res);
  });
  try {
    const out = join(TMP, "follow.jsonl");
    const result = await run("crawl.ts", [
      server.url("/"),
      "--follow", "a.keep",
      "--header", "X-Test: 1",
      "--user-agent", "foo",
      "--out", out,
      "--workers", "0",
    ]);
    assertSummaryOnly(result, 3, 0);
    const rows = parseJsonl(await readFile(out, "utf8"));
    assert.deepEqual(
      rows.map((row) => [row.url, row.title, row.depth]).sort(),
      [
        [server.url("/"), "Home", 0],
        [server.url("/one"), "One", 1],
        [server.url("/two"), "Two", 2],
      ],
    );
    assert.equal(server.total - server.hitsOf("/robots.txt"), 3);
    assert.equal(server.hitsOf("/skipped") + server.hitsOf("/skipped-too"), 0);
    assert.deepEqual([...headers.keys()].sort(), ["/", "/one", "/two"]);
    for (const seen of headers.values()) {
      assert.equal(seen["x-test"], "1");
      assert.equal(seen["user-agent"], "foo");
    }
  } finally {
    await server.close();
  }
});

test("crawl.ts follows <A HREF> links and takes @attr fields of pages written in upper or mixed case", async () => {
  const server = await startServer({
    "/": html('<HTML><HEAD><TITLE>Home</TITLE></HEAD><BODY><A HREF="/one">one</A> <a Href="/two">two</a></BODY></HTML>'),
    "/one": html('<TITLE>One</TITLE><IMG SRC="/one.gif" ALT="One">'),
    "/two": html('<title>Two</title><img Src="/two.gif"><A HREF="/">home</A>'),
  });
  try {
    const result = await run("crawl.ts", [server.url("/"), "--extract", "image=img@src", "--workers", "1"]);
    assertSummaryOnly(result, 3, 0);
    const rows = parseJsonl(result.stdout);
    assert.deepEqual(
      rows.map((row) => [row.url, row.title, row.image, row.depth]).sort(),
      [
        [server.url("/"), "Home", null, 0],
        [server.url("/one"), "One", "/one.gif", 1],
        [server.url("/two"), "Two", "/two.gif", 1],
      ],
    );
  } finally {
    await server.close();
  }
});

test("crawl.ts records a 404 and an unreachable start URL as rows with status and error, and exits 0", async () => {
  const server = await startServer({
    "/": html('<title>Home</title><a href="/gone">gone</a> <a href="/ok">ok</a>'),
    "/ok": html("<title>OK</title>"),
  });
  try {
    const closed = `http://127.0.0.1:${await closedPort()}/`;
    const out = join(TMP, "failures.csv");
    const result = await run("crawl.ts", [server.url("/"), closed, "--out", out, "--workers", "0"]);
    assertSummaryOnly(result, 4, 2);
    const { header, rows } = await readCsv(out);
    assert.deepEqual(header, CRAWL_COLUMNS);
    const byUrl = new Map(rows.map((row) => [row.url, row]));
    assert.equal(rows.length, 4);
    assert.deepEqual([byUrl.get(server.url("/"))?.status, byUrl.get(server.url("/ok"))?.status], ["200", "200"]);
    assert.deepEqual([byUrl.get(server.url("/"))?.error, byUrl.get(server.url("/ok"))?.error], ["", ""]);

    const gone = byUrl.get(server.url("/gone"));
    assert.equal(gone?.status, "404");
    assert.equal(gone?.depth, "1");
    assert.equal(gone?.error, `HTTP 404 Not Found (${server.url("/gone")})`);

    const refused = byUrl.get(closed);
    assert.equal(refused?.status, "0");
    assert.equal(refused?.depth, "0");
    assert.match(refused?.error ?? "", /ECONNREFUSED/);
    assert.ok(refused?.error?.endsWith(`(${closed})`), "the error names the URL");
  } finally {
    await server.close();
  }
});

test("crawl.ts requests no link to a file, unless --keep-files or --skip-ext lets it; the summary and --stats count pages and files apart", async () => {
  const server = await startServer({
    "/": html('<title>Docs</title><a href="/os.html">os</a> <a href="/docs.pdf">pdf</a> <a href="/example.py">py</a> <a href="/docs.zip">zip</a>'),
    "/os.html": html("<title>os</title>"),
    "/docs.pdf": bytes(Buffer.from("%PDF-1.4\n"), "application/pdf"),
    "/example.py": bytes(Buffer.from("print('hi')\n"), "text/x-python"),
    "/docs.zip": download(12 * 1024 * 1024, "application/zip", []),
  });
  try {
    const stats = (name: string) => join(TMP, `files-${name}.stats.json`);
    const crawl = (name: string, flags: string[]) =>
      run("crawl.ts", [server.url("/"), ...flags, "--out", join(TMP, `files-${name}.csv`), "--stats", stats(name), "--workers", "0"]);
    const skipping = await crawl("default", []);
    assertSummaryOnly(skipping, 2, 0);
    assert.equal(detail(skipping, "ok"), "2 pages, 0 files (not HTML or XML, not downloaded)");
    assert.deepEqual(
      (await readCsv(join(TMP, "files-default.csv"))).rows.map((row) => row.url).sort(),
      [server.url("/"), server.url("/os.html")].sort(),
    );
    assert.deepEqual([...server.hits.keys()].filter((path) => path !== "/robots.txt").sort(), ["/", "/os.html"]);

    const keeping = await crawl("kept", ["--keep-files"]);
    assertSummaryOnly(keeping, 5, 0);
    assert.equal(detail(keeping, "ok"), "2 pages, 3 files (not HTML or XML, not downloaded)");
    const kept = new Map((await readCsv(join(TMP, "files-kept.csv"))).rows.map((row) => [new URL(row.url!).pathname, row]));
    assert.deepEqual(
      ["/docs.pdf", "/example.py", "/docs.zip"].map((path) => [kept.get(path)?.status, kept.get(path)?.content_type, kept.get(path)?.error]),
      [["200", "application/pdf", ""], ["200", "text/x-python", ""], ["200", "application/zip", ""]],
    );
    const summary = JSON.parse(await readFile(stats("kept"), "utf8")) as Record<string, unknown>;
    assert.deepEqual([summary.format, summary.pages, summary.ok, summary.files, summary.errors], [1, 5, 5, 3, 0]);

    const changed = await crawl("changed", ["--skip-ext", "pdf", "--skip-ext", "+zip"]);
    assertSummaryOnly(changed, 3, 0);
    assert.equal(detail(changed, "ok"), "2 pages, 1 file (not HTML or XML, not downloaded)");
    assert.equal(server.hitsOf("/example.py"), 2, "--skip-ext pdf,+zip leaves .py out of the list");
    assert.equal(server.hitsOf("/docs.pdf"), 1);
  } finally {
    await server.close();
  }
});

test("crawl.ts reports each bad flag in one line on stderr, with exit code 2 and no request made", async (t) => {
  const site = await startDemoSite({ pages: 5, bodyKb: 1 });
  const aFile = join(TMP, "a-regular-file");
  await writeFile(aFile, "not a folder\n");
  try {
    const url = site.startUrl;
    const cases: [string[], string | RegExp][] = [
      [[url, "--bogus"], "Unknown option '--bogus'"],
      [[url, "--concurrency", "0"], 'Expected --concurrency to be an integer of at least 1, got "0"'],
      [[url, "--concurrency", "abc"], 'Expected --concurrency to be an integer of at least 1, got "abc"'],
      [[url, "--concurrency", "-3"], 'Expected --concurrency to be an integer of at least 1, got "-3"'],
      [["ftp://x"], 'Expected a start URL with http:// or https://, got "ftp://x"'],
      [[], "Expected at least one start URL, got none"],
      [
        [url, "--out", join(TMP, "file.txt")],
        `Expected the output file to end in .csv, .jsonl or .parquet, got ${JSON.stringify(join(TMP, "file.txt"))}`,
      ],
      [[url, "--follow", "a[["], 'Expected follow to be a valid CSS selector, got "a[["'],
      [[url, "--extract", "nameless"], 'Expected --extract to be name=<css selector>, got "nameless"'],
      [[url, "--header", "no colon"], 'Expected --header to be "name: value", got "no colon"'],
      [[url, "--skip-ext", "pdf,,zip"], 'Expected --skip-ext to be a comma-separated list without empty items, got "pdf,,zip"'],
      [[url, "--skip-ext", "*.pdf"], 'Expected --skip-ext to list extensions such as "pdf", "+md" or "-svg", got "*.pdf"'],
      [[url, "--keep-files", "--skip-ext", "pdf"], "Expected --keep-files or --skip-ext, not both: --keep-files follows the links to every file"],
      [[url, "--out", join(aFile, "x.csv")], /^crawl\.ts: Cannot write .*a-regular-file\/x\.csv(\.journal)?: .*\(see --help\)$/],
      [[url, "--resume"], "Expected --out with --resume: rows written to stdout cannot be resumed"],
      [
        [url, "--out", aFile.replace("a-regular-file", "no-journal.csv"), "--resume"],
        /^crawl\.ts: Cannot resume .*no-journal\.csv: its journal .*no-journal\.csv\.journal is missing, as it is once a crawl ends with nothing left to fetch \(run without --resume to start over\) \(see --help\)$/,
      ],
    ];
    await writeFile(join(TMP, "no-journal.csv"), "url,status\n");
    const results = await Promise.all(cases.map(([args]) => run("crawl.ts", [...args, "--workers", "0"])));
    for (const [i, [args, message]] of cases.entries()) {
      const shown = args.map((arg) => (arg === url ? "<start>" : arg.replace(TMP, "<tmp>"))).join(" ");
      await t.test(`crawl.ts ${shown || "(no arguments)"}`, () => assertUsageError(results[i]!, "crawl.ts", message));
    }
    assert.equal(existsSync(join(TMP, "file.txt")), false, "no file is created for a bad extension");
    assert.equal(site.stats.requests, 0);
  } finally {
    await site.close();
  }
});

test(
  "crawl.ts refuses an --out it may not write in one line, with exit code 2, creating nothing",
  async () => {
    const site = await startDemoSite({ pages: 5, bodyKb: 1 });
    const dir = await mkdtemp(join(tmpdir(), "rxcrawl-read-only-"));
    try {
      const out = join(dir, "out.csv");
      await writeFile(out, "url\n");
      await chmod(out, 0o444);
      const [fresh, resumed] = await Promise.all([
        run("crawl.ts", [site.startUrl, "--out", out, "--workers", "0"], { withoutOverride: true }),
        run("crawl.ts", [site.startUrl, "--out", out, "--workers", "0", "--resume"], { withoutOverride: true }),
      ]);
      for (const result of [fresh, resumed]) {
        assertUsageError(result, "crawl.ts", `Cannot write ${out}: permission denied (the file is read-only to this user)`);
      }
      assert.equal(existsSync(`${out}.journal`), false, "no journal is left behind");
      assert.equal(await readFile(out, "utf8"), "url\n");
      assert.equal(site.stats.requests, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await site.close();
    }
  },
);

test("crawl.ts --resume with a larger --max-pages crawls the links the first run left waiting; the journal goes once nothing is left", async () => {
  const site = await startDemoSite({ pages: 14, bodyKb: 1 });
  try {
    const out = join(TMP, "more-pages.csv");
    const args = [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", out, "--workers", "0"];
    const pages = () => site.stats.requests - (site.stats.byPath.get("/robots.txt") ?? 0);
    assertSummaryOnly(await run("crawl.ts", [...args, "--max-pages", "3"]), 3, 0);
    assert.equal(pages(), 3);
    assert.ok(existsSync(`${out}.journal`), "kept: links were left waiting by --max-pages");

    const more = await run("crawl.ts", [...args, "--max-pages", "10", "--resume"]);
    assert.equal(more.code, 0, more.stderr);
    assert.match(more.stderr, /^crawl\.ts: resuming .*: 3 rows kept, \d+ URLs found and not fetched yet\n/);
    assert.equal(pages(), 10, "7 more pages: --max-pages 10 counts the 3 rows written");
    const rows = (await readCsv(out)).rows;
    assert.equal(new Set(rows.map((row) => row.url)).size, 10);
    assert.ok(existsSync(`${out}.journal`), "kept: more links left waiting by --max-pages 10");

    const rest = await run("crawl.ts", [...args, "--resume"]);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(pages(), 14, "every page once over the three runs");
    assert.deepEqual(new Set((await readCsv(out)).rows.map((row) => row.url)), new Set(site.urls()));
    assert.equal(existsSync(`${out}.journal`), false, "removed: the crawl ended with nothing left to fetch");
  } finally {
    await site.close();
  }
});

/** Runs a pipeline on a pseudo-terminal (util-linux's `script`), stdout and stderr both on it, and returns the screen's bytes. */
async function onTerminal(script: string, args: readonly string[]): Promise<string> {
  const quote = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;
  const command = [join(ROOT, "pipelines", script), ...args].map(quote).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let screen = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (screen += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  assert.equal(code, 0, screen);
  return screen;
}

const hasScript = spawnSync("script", ["--version"]).status === 0;

test(
  "crawl.ts on a terminal draws the live line when rows go to a file, and not when they go to the same terminal",
  { skip: hasScript ? false : "needs util-linux's script (Debian: bsdutils) for a pseudo-terminal" },
  async () => {
    // Slow pages, so that the live line is redrawn (every 250 ms) while rows are written.
    const site = await startDemoSite({ pages: 12, bodyKb: 1, latencyMs: 150 });
    try {
      const args = [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--concurrency", "2", "--workers", "0"];
      const [toFile, toTerminal] = await Promise.all([
        onTerminal("crawl.ts", [...args, "--out", join(TMP, "terminal.jsonl")]),
        onTerminal("crawl.ts", args),
      ]);
      assert.match(toFile, /\d+ done, \d+ queued, \d+ in flight/, "the live line is drawn for a file");

      const lines = toTerminal.split("\r\n");
      assert.equal(lines.pop(), "", "the screen ends with a newline");
      const details = lines.splice(-DETAILS.length);
      assert.deepEqual(details.map((line) => /^ {2}([a-z ]+): /.exec(line)?.[1]), DETAILS);
      const summary = lines.pop() ?? "";
      assert.match(summary, /^Code runtime: .* 12 pages, 0 errors, .*; rows on stdout$/);
      assert.equal(lines.length, 12);
      for (const line of lines) assert.equal(typeof (JSON.parse(line) as { url: unknown }).url, "string", line);
      assert.doesNotMatch(toTerminal, /in flight/);
    } finally {
      await site.close();
    }
  },
);

test("crawl.ts --resume refuses a different crawl in one line naming the flag, exit code 2, the output untouched", async () => {
  const [site, other] = await Promise.all([startDemoSite({ pages: 20, bodyKb: 1 }), startDemoSite({ pages: 20, bodyKb: 1 })]);
  try {
    const out = join(TMP, "resume-other.csv");
    const args = ["--follow", DOUBAN_RECOMMENDATIONS, "--extract", "h1=h1", "--out", out, "--workers", "0"];
    const first = await run("crawl.ts", [site.startUrl, ...args, "--max-pages", "5"]);
    assertSummaryOnly(first, 5, 0);
    const [output, journal] = await Promise.all([readFile(out), readFile(`${out}.journal`)]);
    const requests = site.stats.requests;

    const cases: [string, string[], string][] = [
      [
        "another --extract",
        [site.startUrl, ...args, "--extract", "image=img@src", "--resume"],
        '--extract was "h1=h1", now "h1=h1" "image=img@src"',
      ],
      [
        "another start host",
        [other.startUrl, ...args, "--resume"],
        `the start URLs were ${JSON.stringify(site.startUrl)}, now ${JSON.stringify(other.startUrl)}`,
      ],
      [
        "another --follow",
        [site.startUrl, ...args, "--follow", "a[href]", "--resume"],
        `--follow was ${JSON.stringify(DOUBAN_RECOMMENDATIONS)}, now "a[href]"`,
      ],
      [
        "files followed",
        [site.startUrl, ...args, "--keep-files", "--resume"],
        "the extensions skipped (--skip-ext, --keep-files) were the default list, now none (--keep-files)",
      ],
      [
        "other extensions skipped",
        [site.startUrl, ...args, "--skip-ext", ".PDF,zip", "--resume"],
        'the extensions skipped (--skip-ext, --keep-files) were the default list, now "pdf" "zip"',
      ],
    ];
    const results = await Promise.all(cases.map(([, caseArgs]) => run("crawl.ts", caseArgs)));
    for (const [i, [, , what]] of cases.entries()) {
      const message = `Cannot resume ${out} with a different crawl: ${what} (run without --resume to start over)`;
      assertUsageError(results[i]!, "crawl.ts", message);
    }
    assert.deepEqual(await readFile(out), output, "nothing is appended to the output");
    assert.deepEqual(await readFile(`${out}.journal`), journal, "nor to its journal");
    assert.equal(site.stats.requests, requests);
    assert.equal(other.stats.requests, 0);

    // The same crawl resumes (with nothing it may do: its five pages are done, and --max-pages 5 counts them).
    const same = await run("crawl.ts", [site.startUrl, ...args, "--max-pages", "5", "--resume"]);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /^crawl\.ts: resuming .*: 5 rows kept, \d+ URLs found and not fetched yet\n/);
    assert.equal((await readCsv(out)).rows.length, 5);
  } finally {
    await Promise.all([site.close(), other.close()]);
  }
});

test("every pipeline prints its usage on stdout for --help and exits 0", async () => {
  const scripts = ["crawl.ts", "douban-books.ts", "titles.ts", "concurrency-demo.ts"];
  const results = await Promise.all(scripts.map((script) => run(script, ["--help"])));
  for (const [i, script] of scripts.entries()) {
    const result = results[i]!;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.ok(result.stdout.startsWith(`usage: ${script}`), result.stdout);
  }
  // The columns crawl.ts documents are the ones it writes.
  const documented = /^Columns: (.+)\n\(and after title: lastmod with --sitemap, rendered with --render auto or always\)\.$/m
    .exec(results[0]!.stdout)?.[1]
    ?.split(", ");
  assert.deepEqual(documented, [...CRAWL_COLUMNS.slice(0, 6), "<fields>", ...CRAWL_COLUMNS.slice(6)]);
});

test("every pipeline runs by its path from any working directory, relative paths meaning that directory's", async () => {
  const elsewhere = await mkdtemp(join(tmpdir(), "rxcrawl-elsewhere-"));
  const site = await startDemoSite({ pages: 5, bodyKb: 1 });
  try {
    const scripts = ["crawl.ts", "douban-books.ts", "titles.ts", "concurrency-demo.ts"];
    const helps = await Promise.all(scripts.map((script) => run(script, ["--help"], { cwd: elsewhere })));
    for (const [i, script] of scripts.entries()) {
      assert.equal(helps[i]!.code, 0, helps[i]!.stderr);
      assert.ok(helps[i]!.stdout.startsWith(`usage: ${script}`), helps[i]!.stdout);
    }
    const args = [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", "out/pages.csv", "--workers", "1"];
    const crawled = await run("crawl.ts", args, { cwd: elsewhere });
    assertSummaryOnly(crawled, 5, 0);
    assert.equal((await readCsv(join(elsewhere, "out", "pages.csv"))).rows.length, 5);
  } finally {
    await site.close();
    await rm(elsewhere, { recursive: true, force: true });
  }
});

test("douban-books.ts --demo writes every book of the bundled site with the fields the site serves", async () => {
  const out = join(TMP, "douban-demo.csv");
  const result = await run("douban-books.ts", ["--demo", "--out", out]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "");
  const [siteLine = "", summaryLine = "", ...rest] = result.stderr.split("\n");
  const origin = /^demo site: (http:\/\/127\.0\.0\.1:\d+) \(200 book pages\)$/.exec(siteLine)?.[1];
  assert.ok(origin !== undefined, result.stderr);
  assert.match(summaryLine, /^Code runtime: \d+\.\d\d s: 200 pages, 0 errors, [\d.]+ pages\/s; wrote .*douban-demo\.csv$/);
  assert.deepEqual(
    rest.map((line) => /^ {2}([a-z ]+): /.exec(line)?.[1] ?? line),
    [...DETAILS, ""],
    "stderr holds these two lines, the summary's details, and nothing else",
  );

  const { header, rows } = await readCsv(out);
  assert.deepEqual(header, ["url", ...DOUBAN_FIELDS, "status", "depth", "error", "fetched_at"]);
  assert.equal(rows.length, 200, "--max-pages defaults to 200, the size of the demo site");
  assert.equal(new Set(rows.map((row) => row.url)).size, 200);
  for (const row of rows) {
    const url = row.url ?? "";
    const book = demoBook(renderDemoPage(subjectId(url), origin));
    assert.notEqual(row.title, "");
    assert.deepEqual(
      [row.title, row.author, row.publisher, Number(row.year), Number(row.rating), Number(row.ratings), row.isbn],
      [book.title, book.author, book.publisher, book.year, book.rating, book.ratings, book.isbn],
      url,
    );
    assert.deepEqual([row.status, row.error], ["200", ""], url);
  }
});

test("douban-books.ts --demo with an --out it cannot write says so in one line, before the demo site starts", async () => {
  const out = join(TMP, "books.txt");
  const result = await run("douban-books.ts", ["--demo", "--out", out]);
  assertUsageError(result, "douban-books.ts", `Expected the output file to end in .csv, .jsonl or .parquet, got ${JSON.stringify(out)}`);
});

test("douban-books.ts <start-url> --max-pages 30 follows the recommendations from page to page", async () => {
  const options = { pages: 300, bodyKb: 2 };
  const site = await startDemoSite(options);
  try {
    const out = join(TMP, "douban-start.csv");
    // --rate lifts the one-request-a-second default meant for the real site.
    const result = await run("douban-books.ts", [site.startUrl, "--out", out, "--max-pages", "30", "--rate", "1000"]);
    assert.equal(result.stdout, "");
    assert.equal(assertSummaryOnly(result, 30, 0), `wrote ${out}`);

    const { rows } = await readCsv(out);
    assert.equal(rows.length, 30);
    assert.equal(pageRequests(site), 30);
    assert.equal(site.stats.duplicateRequests(), 0);
    const books = new Map(
      rows.map((row) => [row.url, demoBook(renderDemoPage(subjectId(row.url ?? ""), site.origin, options))]),
    );
    for (const row of rows) {
      assert.equal(row.title, books.get(row.url)?.title);
      const depth = Number(row.depth);
      if (depth === 0) {
        assert.equal(row.url, site.startUrl);
        continue;
      }
      // Every other page was recommended by a page one level up.
      const parents = rows.filter((other) => Number(other.depth) === depth - 1);
      assert.ok(
        parents.some((parent) => books.get(parent.url)?.recommendations.includes(row.url ?? "")),
        `${row.url} at depth ${depth} is recommended by no page at depth ${depth - 1}`,
      );
    }
  } finally {
    await site.close();
  }
});

test("titles.ts writes one row per listed URL with its title, skipping blank and comment lines", async () => {
  const server = await startServer({
    "/a": html("<title>Alpha</title>"),
    "/b": html('<title> Beta,  "quoted" </title>'),
    "/c": html("<title>活着</title>"),
  });
  try {
    const list = join(TMP, "urls.txt");
    const lines = ["# pages to fetch", server.url("/a"), "", `  ${server.url("/b")}  `, "# gone:", server.url("/missing")];
    await writeFile(list, [...lines, server.url("/c")].join("\n"));
    const out = join(TMP, "titles.csv");
    const result = await run("titles.ts", [list, "--out", out, "--workers", "1"]);
    assert.equal(result.stdout, "");
    assert.equal(assertSummaryOnly(result, 4, 1), `wrote ${out}`);

    const { header, rows } = await readCsv(out);
    assert.deepEqual(header, ["url", "status", "title", "error", "fetched_at"]);
    assert.deepEqual(
      rows.map((row) => [row.url, row.status, row.title, row.error]).sort(),
      [
        [server.url("/a"), "200", "Alpha", ""],
        [server.url("/b"), "200", 'Beta, "quoted"', ""],
        [server.url("/c"), "200", "活着", ""],
        [server.url("/missing"), "404", "", `HTTP 404 Not Found (${server.url("/missing")})`],
      ],
    );
    assert.equal(server.total - server.hitsOf("/robots.txt"), 4);
    assert.ok(server.hitsOf("/robots.txt") <= 1, "robots.txt is fetched at most once");
  } finally {
    await server.close();
  }
});

test("titles.ts reports a missing list file or a bad line in one line, with exit code 2", async () => {
  const missing = join(TMP, "no-such-list.txt");
  const bad = join(TMP, "bad-list.txt");
  await writeFile(bad, "# fine\nhttp://127.0.0.1:1/\nftp://x\n");
  const out = join(TMP, "titles-never.csv");
  const [noFile, badLine] = await Promise.all([
    run("titles.ts", [missing, "--out", out]),
    run("titles.ts", [bad, "--out", out]),
  ]);
  assertUsageError(noFile, "titles.ts", `Cannot read the URL list ${missing}: no such file`);
  assertUsageError(badLine, "titles.ts", `${bad}:3: Expected an http(s) URL, got "ftp://x"`);
  assert.equal(existsSync(out), false);
});

test("concurrency-demo.ts shows sequential waits adding up, concurrent ones overlapping, and a cap of 2", async () => {
  const waitMs = 100;
  const result = await run("concurrency-demo.ts", ["--wait-ms", String(waitMs)]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const blocks = result.stdout.trimEnd().split("\n\n");
  assert.equal(blocks.length, 3);
  const [sequential, concurrent, capped] = blocks.map((block) => block.split("\n"));

  const runtime = (lines: string[] | undefined, label: string): number => {
    const last = lines?.at(-1) ?? "";
    const seconds = new RegExp(`^${label.replace(/[()]/g, "\\$&")}: Code runtime: (\\d+\\.\\d\\d) s$`).exec(last)?.[1];
    assert.ok(seconds !== undefined, `no runtime for ${label}: ${JSON.stringify(last)}`);
    return Number(seconds);
  };
  // Lower bounds only, with 10 ms for timer granularity and rounding: a busy machine may only make them slower.
  const slack = 0.01;
  assert.ok(runtime(sequential, "sequential (concatMap)") >= (3 * waitMs) / 1000 - slack);
  assert.ok(runtime(concurrent, "concurrent (mergeMap)") >= waitMs / 1000 - slack);
  assert.ok(runtime(capped, "capped at 2 (mergeMap, 2)") >= (2 * waitMs) / 1000 - slack);

  // The order of the lines shows the schedule whatever the timings.
  assert.deepEqual(sequential?.slice(0, -1), ["0 One", "0 Two", "1 One", "1 Two", "2 One", "2 Two"]);
  assert.deepEqual(concurrent?.slice(0, 3), ["0 One", "1 One", "2 One"]);
  assert.deepEqual(concurrent?.slice(3, -1).sort(), ["0 Two", "1 Two", "2 Two"]);
  const cappedTasks = capped?.slice(0, -1) ?? [];
  assert.deepEqual(cappedTasks.slice(0, 2), ["0 One", "1 One"]);
  const firstDone = Math.min(cappedTasks.indexOf("0 Two"), cappedTasks.indexOf("1 Two"));
  assert.ok(cappedTasks.indexOf("2 One") > firstDone, "task 2 waits for a free slot");
  assert.equal(cappedTasks.length, 6);
});

/**
 * Stops a crawl of a slow site with `signal` once rows are being written, and checks the file it leaves: a header,
 * complete rows only, the rows written before the signal kept, and one row for every request the site saw.
 */
async function stopMidCrawl(signal: "SIGINT" | "SIGTERM", code: number): Promise<void> {
  const site = await startDemoSite({ pages: 500, bodyKb: 1, latencyMs: 200 });
  let crawl: Running | undefined;
  try {
    const out = join(TMP, `stopped-${signal}.csv`);
    crawl = start("crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", out, "--workers", "0"]);
    let before: Record<string, string>[] = [];
    const deadline = performance.now() + 20_000;
    while (before.length < 10) {
      assert.ok(performance.now() < deadline, "the crawl wrote no rows");
      await sleep(50);
      const text = existsSync(out) ? await readFile(out, "utf8") : "";
      // Only complete lines: the writer may be in the middle of one.
      if (text.includes("\n")) before = parseCsv(text.slice(0, text.lastIndexOf("\n") + 1)).rows;
    }
    crawl.child.kill(signal);
    const result = await crawl.exit;

    assert.deepEqual([result.code, result.signal], [code, null], result.stderr);
    assert.equal(result.stdout, "");
    assert.doesNotMatch(result.stderr, /^\s+at /m);
    const notice = `crawl.ts: ${signal}: stopping; finishing requests in flight (again to quit now)`;
    assert.ok(result.stderr.split("\n").includes(notice), result.stderr);
    const { header, rows } = await readCsv(out);
    assert.deepEqual(header, CRAWL_COLUMNS);
    assert.deepEqual(rows.slice(0, before.length), before, "rows written before the signal are kept as they were");
    assert.ok(rows.length < site.pages, `the crawl stopped early (${rows.length} rows)`);
    assert.equal(rows.length, pageRequests(site), "the requests in flight finished and were written");
    for (const row of rows) {
      assert.deepEqual([row.status, row.error], ["200", ""], row.url);
      assert.notEqual(row.title, "");
      assert.ok(!Number.isNaN(Date.parse(row.fetched_at ?? "")), row.url);
    }
    const summary = SUMMARY.exec(result.stderr);
    assert.equal(Number(summary?.[1]), rows.length, "the summary counts the rows written");
    assert.ok(existsSync(`${out}.journal`), "the journal stays, for --resume");
  } finally {
    // A failed assertion must not leave the crawl running.
    if (crawl !== undefined && crawl.child.exitCode === null && crawl.child.signalCode === null) crawl.child.kill("SIGKILL");
    await site.close();
  }
}

test("crawl.ts stops on SIGINT with exit code 130, leaving a valid CSV of the rows finished so far", { timeout: 40_000 }, () =>
  stopMidCrawl("SIGINT", 130),
);

test("crawl.ts stops on SIGTERM with exit code 143, leaving a valid CSV of the rows finished so far", { timeout: 40_000 }, () =>
  stopMidCrawl("SIGTERM", 143),
);
