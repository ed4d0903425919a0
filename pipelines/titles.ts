#!/bin/sh
':' //; exec node --max-semi-space-size=8 --heap-growing-percent=50 "$(cd "$(dirname "$0")/.." && pwd)/bin/run_source.mjs" "$0" "$@"
// The first two lines are read by sh as well as by TypeScript: sh runs node on this repository's bin/run_source.mjs,
// found from the script's own folder, so the script runs from any working directory; it runs the script bundled once
// from its TypeScript sources (see that file). TypeScript sees a string and a comment.
// --max-semi-space-size=8: young-generation semi-spaces of 8 MB, in which most of a request in flight dies young rather
// than being promoted; --heap-growing-percent=50: the old generation may grow to 1.5 times what it held after a
// collection, where V8 would let it reach several times that. On a crawl of 10,000 hosts: a peak RSS of 209 against
// 285 MB, at the same speed (see README, Performance).
// The seed's multi-core example: fetch a list of URLs concurrently on this thread's event loop while a pool of worker
// threads parses the pages, and write each page's <title>.
// Input: a URL list, one per line, "#" comments allowed (default: data/url_list.txt), or --demo for the bundled site.
// Output: data/out/titles.csv (or each --out: CSV, JSONL or Parquet): url, status, title, error, fetched_at; --stats
// and --report write the crawl's statistics and an HTML report of them.
import { lastValueFrom } from "rxjs";
import { crawl, nullForEmpty, readUrlList } from "../src/mod.ts";
import { commandSpec, defaultWorkers, integerFlag, openCrawlJob, parseCli, runPipeline, SESSION_FLAGS, SHARED_FLAGS } from "../src/cli/mod.ts";
import { startDemoSite } from "../src/demo/mod.ts";

const COLUMNS = ["url", "status", "title", "error", "fetched_at"];
const COMMAND = commandSpec({
  usage: "[<url-list-file>] [options]",
  about: `Fetches every URL of a list (one per line; blank lines and # comments skipped) and writes each page's title:
${COLUMNS.join(", ")}.`,
  flags: ["demo", "out", "stats", "report", "concurrency", "workers", "timeout", "no-robots", ...SESSION_FLAGS, ...SHARED_FLAGS],
  defaults: { out: "data/out/titles.csv", concurrency: "16" },
  positionals: true,
  footer: "Default list: data/url_list.txt (with --redis, a process given no list joins the shared crawl instead)",
});

await runPipeline(async () => {
  const { values, positionals } = parseCli(COMMAND);
  integerFlag(values, "workers", 1); // at least one parser thread: parsing on other cores is the point here
  const site = values.demo === true ? await startDemoSite() : undefined;
  const joining = values.redis !== undefined && site === undefined && positionals.length === 0;
  const urls = site?.urls() ?? (joining ? [] : await readUrlList(positionals[0] ?? "data/url_list.txt"));
  const job = await openCrawlJob(values, {
    start: urls,
    // The demo site is on this machine: the environment's proxies are not for it (--proxy still is).
    defaults: { concurrency: 16, workers: defaultWorkers(), ...(site === undefined ? {} : { proxy: [] }) },
    // A list is a crawl that follows no link: each URL once, on any host, parsed on the worker threads. A fetch slot
    // is held until its page is parsed, so a long list never piles bodies up before slower parsers.
    fixed: { follow: false, hosts: "any" },
    columns: COLUMNS,
    types: { status: "int32", fetched_at: "timestamp" },
    out: "data/out/titles.csv",
    title: "Titles",
  });

  try {
    await lastValueFrom(
      crawl(job.options).pipe(
        job.write((page) =>
          nullForEmpty({ url: page.url, status: page.status, title: page.title, error: page.error, fetched_at: page.fetchedAt }),
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
