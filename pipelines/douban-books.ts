#!/bin/sh
':' //; exec node --max-semi-space-size=8 --heap-growing-percent=50 "$(cd "$(dirname "$0")/.." && pwd)/bin/run_source.mjs" "$0" "$@"
// The first two lines are read by sh as well as by TypeScript: sh runs node on this repository's bin/run_source.mjs,
// found from the script's own folder, so the script runs from any working directory; it runs the script bundled once
// from its TypeScript sources (see that file). TypeScript sees a string and a comment.
// --max-semi-space-size=8: young-generation semi-spaces of 8 MB, in which most of a request in flight dies young rather
// than being promoted; --heap-growing-percent=50: the old generation may grow to 1.5 times what it held after a
// collection, where V8 would let it reach several times that. On a crawl of 10,000 hosts: a peak RSS of 209 against
// 285 MB, at the same speed (see README, Performance).
// The seed's crawler: from a Douban book page, follow the recommended books ("#db-rec-section dt a") from page to page
// and write each book's title, author, publisher, year, rating, number of ratings and ISBN.
// Input: a start URL (default: the seed's page), or --demo for the bundled local Douban-like site.
// Output: data/out/douban-books.csv (or each --out: CSV, JSONL or Parquet), one row per page attempted; --stats and
// --report write the crawl's statistics and an HTML report of them.
import { lastValueFrom } from "rxjs";
import {
  BROWSER_USER_AGENT,
  crawl,
  DOUBAN_FIELDS,
  DOUBAN_RECOMMENDATIONS,
  DOUBAN_START,
  doubanBook,
  nullForEmpty,
  UsageError,
} from "../src/mod.ts";
import { commandSpec, defaultWorkers, openCrawlJob, parseCli, runPipeline, SESSION_FLAGS, SHARED_FLAGS } from "../src/cli/mod.ts";
import { startDemoSite } from "../src/demo/mod.ts";

const COLUMNS = ["url", ...DOUBAN_FIELDS, "status", "depth", "error", "fetched_at"];
const COMMAND = commandSpec({
  usage: "[<start-url>...] [options]",
  about: `Follows Douban's recommended books from page to page and writes one row per book page:
${COLUMNS.join(", ")}.`,
  flags: ["demo", "out", "stats", "report", "max-pages", "concurrency", "rate", "timeout", "retries", "no-robots", "resume", "workers", ...SESSION_FLAGS, ...SHARED_FLAGS],
  defaults: {
    out: "data/out/douban-books.csv",
    "max-pages": "200",
    concurrency: "4; 16 with --demo",
    rate: "1, as Douban bans faster crawlers; none with --demo",
  },
  positionals: true,
  footer: `Default start: ${DOUBAN_START} (with --redis, a process given no start URL joins the shared crawl instead)
Requests carry a desktop browser's User-Agent, Accept and Accept-Language headers, as Douban requires.`,
});

await runPipeline(async () => {
  const { values, positionals } = parseCli(COMMAND);
  const demo = values.demo === true;
  if (demo && values.resume === true) {
    throw new UsageError("Expected --resume without --demo: the demo site gets a new address each run");
  }
  // With --redis, a process given no start URL joins the crawl, and takes its budget from it.
  const joining = values.redis !== undefined && !demo && positionals.length === 0;
  const site = demo ? await startDemoSite() : undefined;
  const start = site !== undefined ? [site.startUrl] : positionals.length > 0 ? positionals : joining ? [] : [DOUBAN_START];
  const job = await openCrawlJob(values, {
    start,
    // The demo site is on this machine: the environment's proxies are not for it (--proxy still is).
    defaults: {
      maxPages: joining ? Infinity : 200,
      concurrency: demo ? 16 : 4,
      rate: demo ? Infinity : 1,
      workers: defaultWorkers(),
      ...(demo ? { proxy: [] } : {}),
    },
    fixed: {
      follow: DOUBAN_RECOMMENDATIONS,
      extract: doubanBook,
      userAgent: BROWSER_USER_AGENT,
      headers: { referer: "https://book.douban.com/" },
    },
    columns: COLUMNS,
    types: { year: "int32", rating: "double", ratings: "int32", status: "int32", depth: "int32", fetched_at: "timestamp" },
    out: "data/out/douban-books.csv",
    title: "Douban books",
  });
  if (site !== undefined) process.stderr.write(`demo site: ${site.origin} (${site.pages} book pages)\n`);

  try {
    await lastValueFrom(
      crawl(job.options).pipe(
        job.write((page) =>
          nullForEmpty({
            url: page.url,
            ...Object.fromEntries(DOUBAN_FIELDS.map((name) => [name, page.fields[name] ?? null])),
            status: page.status,
            depth: page.depth,
            error: page.error,
            fetched_at: page.fetchedAt,
          }),
        ),
        job.progress(),
      ),
      { defaultValue: undefined },
    );
  } finally {
    await job.close();
    await site?.close();
  }
  process.exitCode = job.exitCode();
});
