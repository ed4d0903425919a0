#!/usr/bin/env -S node --import tsx --max-semi-space-size=2
// --max-semi-space-size=2: 2 MB young-generation semi-spaces: as fast as the default, 30 to 40 MB less resident.
// The seed's crawler: from a Douban book page, follow the recommended books ("#db-rec-section dt a") from page to page
// and write each book's title, author, publisher, year, rating, number of ratings and ISBN.
// Input: a start URL (default: the seed's page), or --demo for the bundled local Douban-like site.
// Output: data/out/douban-books.csv (or --out), one row per page attempted.
import { lastValueFrom, map } from "rxjs";
import {
  BROWSER_USER_AGENT,
  crawl,
  CrawlStats,
  defaultWorkers,
  DOUBAN_FIELDS,
  DOUBAN_RECOMMENDATIONS,
  DOUBAN_START,
  doubanBook,
  integerFlag,
  numberFlag,
  parseCli,
  openJournal,
  runPipeline,
  showProgress,
  startDemoSite,
  stopOnSignals,
  UsageError,
  writeRows,
} from "../src/mod.ts";

const HELP = `usage: douban-books.ts [<start-url>...] [options]

Follows Douban's recommended books from page to page and writes one row per book page:
url, ${DOUBAN_FIELDS.join(", ")}, status, depth, error, fetched_at.

  --demo                  crawl the bundled Douban-like site on a free loopback port instead (offline)
  --out <file>            .csv or .jsonl (default: data/out/douban-books.csv)
  --max-pages N           book pages to crawl at most (default: 200)
  --concurrency N         requests in flight at once (default: 4; 16 with --demo)
  --rate N                requests started per second (default: 1, as Douban bans faster crawlers; none with --demo)
  --timeout <ms>          time one request may take (default: 30000)
  --retries N             retries of a network error, timeout, 408, 429 or 5xx, with backoff (default: 2)
  --no-robots             do not fetch or obey robots.txt
  --resume                continue the crawl that left --out (and its .journal) behind, without repeating a row
  --workers N             parser threads (default: cores - 1, at least 1)
  -h, --help              this help

Default start: ${DOUBAN_START}
Requests carry a desktop browser's User-Agent, Accept and Accept-Language headers, as Douban requires.`;

await runPipeline(async () => {
  const { values, positionals } = parseCli({
    help: HELP,
    positionals: true,
    options: {
      demo: { type: "boolean" },
      out: { type: "string" },
      "max-pages": { type: "string" },
      concurrency: { type: "string" },
      rate: { type: "string" },
      timeout: { type: "string" },
      retries: { type: "string" },
      "no-robots": { type: "boolean" },
      resume: { type: "boolean" },
      workers: { type: "string" },
    },
  });
  const demo = values.demo === true;
  const out = (values.out as string | undefined) ?? "data/out/douban-books.csv";
  const options = {
    maxPages: integerFlag(values, "max-pages") ?? 200,
    concurrency: integerFlag(values, "concurrency") ?? (demo ? 16 : 4),
    rate: numberFlag(values, "rate") ?? (demo ? Infinity : 1),
    timeout: integerFlag(values, "timeout") ?? 30_000,
    retries: integerFlag(values, "retries", 0) ?? 2,
    robots: values["no-robots"] !== true,
    workers: integerFlag(values, "workers", 0) ?? defaultWorkers(),
  };
  if (demo && values.resume === true) {
    throw new UsageError("Expected --resume without --demo: the demo site gets a new address each run");
  }
  const journal = await openJournal(out, values.resume === true);
  const site = demo ? await startDemoSite() : undefined;
  const start = site !== undefined ? [site.startUrl] : positionals.length > 0 ? positionals : [DOUBAN_START];
  if (site !== undefined) process.stderr.write(`demo site: ${site.origin} (${site.pages} book pages)\n`);
  const stats = new CrawlStats();
  const stop = stopOnSignals();

  try {
    await lastValueFrom(
      crawl({
        start,
        follow: DOUBAN_RECOMMENDATIONS,
        extract: doubanBook,
        ...options,
        userAgent: BROWSER_USER_AGENT,
        headers: { referer: "https://book.douban.com/" },
        signal: stop.signal,
        stats,
        ...(journal === undefined ? {} : { journal }),
      }).pipe(
        map((page) => ({
          url: page.url,
          ...Object.fromEntries(DOUBAN_FIELDS.map((name) => [name, page.fields[name] ?? null])),
          status: page.status,
          depth: page.depth,
          error: page.error,
          fetched_at: page.fetchedAt,
        })),
        writeRows(out, {
          columns: ["url", ...DOUBAN_FIELDS, "status", "depth", "error", "fetched_at"],
          append: journal?.resumed ?? false,
        }),
        showProgress(stats, { note: `wrote ${out}` }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    journal?.close();
    await site?.close();
  }
  process.exitCode = stop.exitCode();
});
