#!/usr/bin/env -S node --import tsx
// The seed's multi-core example: fetch a list of URLs concurrently on this thread's event loop while a pool of worker
// threads parses the pages, and write each page's <title>.
// Input: a URL list, one per line, "#" comments allowed (default: data/url_list.txt), or --demo for the bundled site.
// Output: data/out/titles.csv (or --out): url, status, title, error, fetched_at.
import { from, lastValueFrom, map, tap } from "rxjs";
import {
  CrawlStats,
  defaultWorkers,
  fetchPages,
  integerFlag,
  parseCli,
  parseHtml,
  readUrlList,
  runPipeline,
  showProgress,
  startDemoSite,
  writeRows,
} from "../src/mod.ts";

const HELP = `usage: titles.ts [<url-list-file>] [options]

Fetches every URL of a list (one per line; blank lines and # comments skipped) and writes each page's title:
url, status, title, error, fetched_at.

  --demo                  fetch every page of the bundled Douban-like site on a free loopback port (offline)
  --out <file>            .csv or .jsonl (default: data/out/titles.csv)
  --concurrency N         requests in flight at once (default: 16)
  --workers N             parser threads (default: cores - 1, at least 1)
  --timeout <ms>          time one request may take (default: 30000)
  -h, --help              this help

Default list: data/url_list.txt`;

await runPipeline(async () => {
  const { values, positionals } = parseCli({
    help: HELP,
    positionals: true,
    options: {
      demo: { type: "boolean" },
      out: { type: "string" },
      concurrency: { type: "string" },
      workers: { type: "string" },
      timeout: { type: "string" },
    },
  });
  const out = (values.out as string | undefined) ?? "data/out/titles.csv";
  const concurrency = integerFlag(values, "concurrency") ?? 16;
  const workers = integerFlag(values, "workers", 1) ?? defaultWorkers();
  const timeout = integerFlag(values, "timeout") ?? 30_000;
  const site = values.demo === true ? await startDemoSite() : undefined;
  const urls = site?.urls() ?? (await readUrlList(positionals[0] ?? "data/url_list.txt"));
  const stats = new CrawlStats();
  stats.admitted = urls.length;

  try {
    await lastValueFrom(
      from(urls).pipe(
        fetchPages({ concurrency, timeout, stats }),
        parseHtml({ follow: false, workers }),
        tap((page) => stats.record(page)),
        map((page) => ({ url: page.url, status: page.status, title: page.title, error: page.error, fetched_at: page.fetchedAt })),
        writeRows(out, { columns: ["url", "status", "title", "error", "fetched_at"] }),
        showProgress(stats, { note: `wrote ${out}` }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    await site?.close();
  }
});
