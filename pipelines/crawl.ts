#!/bin/sh
':' //; exec node --max-semi-space-size=8 --heap-growing-percent=50 "$(cd "$(dirname "$0")/.." && pwd)/bin/run_source.mjs" "$0" "$@"
// The first two lines are read by sh as well as by TypeScript: sh runs node on this repository's bin/run_source.mjs,
// found from the script's own folder, so the script runs from any working directory; it runs the script bundled once
// from its TypeScript sources (see that file). TypeScript sees a string and a comment.
// --max-semi-space-size=8: young-generation semi-spaces of 8 MB, in which most of a request in flight dies young rather
// than being promoted; --heap-growing-percent=50: the old generation may grow to 1.5 times what it held after a
// collection, where V8 would let it reach several times that. On a crawl of 10,000 hosts: a peak RSS of 209 against
// 285 MB, at the same speed (see README, Performance).
// The generic crawler: from start URLs, follow links (every a[href] on the start hosts by default), and write one row
// per URL attempted: url, final_url, status, content_type, depth, title, the --extract fields, error, fetched_at.
// Input: start URLs and flags. Output: CSV, JSONL or Parquet by the extension of each --out, JSONL on stdout without
// one; --stats and --report write the crawl's statistics and an HTML report of them.
import { lastValueFrom } from "rxjs";
import { crawl, type CrawlOptions, PAGE_TYPES, pageColumns, pageRow } from "../src/mod.ts";
import {
  commandSpec,
  defaultWorkers,
  openCrawlJob,
  parseCli,
  programName,
  RENDER_FLAGS,
  runPipeline,
  SESSION_FLAGS,
  SHARED_FLAGS,
} from "../src/cli/mod.ts";

const COMMAND = commandSpec({
  usage: "<start-url>... [options]",
  about: "Crawls from the start URLs, following links, and writes one row per URL attempted.",
  flags: [
    "follow",
    "extract",
    "out",
    "stats",
    "report",
    "sitemap",
    "concurrency",
    "per-host",
    "rate",
    "max-pages",
    "max-depth",
    "timeout",
    "retries",
    "max-bytes",
    "no-robots",
    "resume",
    "user-agent",
    "header",
    "allow",
    "deny",
    "any-host",
    "skip-ext",
    "keep-files",
    "workers",
    ...RENDER_FLAGS,
    ...SESSION_FLAGS,
    ...SHARED_FLAGS,
  ],
  positionals: true,
  footer: `Columns: ${pageColumns(["<fields>"]).join(", ")}
(and after title: lastmod with --sitemap, rendered with --render auto or always).
Example: ${programName()} https://example.com/ --max-depth 2 --extract h1=h1 --out data/out/example.csv`,
});

await runPipeline(async () => {
  const { values, positionals } = parseCli(COMMAND);
  // The fields and the lastmod and rendered columns follow the crawl's options, which a process joining a shared crawl
  // takes from it.
  const shape = (options: CrawlOptions) => ({
    fields: Object.keys(options.extract ?? {}),
    rows: { lastmod: options.sitemap === true, rendered: options.render === "auto" || options.render === "always" },
  });
  const job = await openCrawlJob(values, {
    start: positionals,
    defaults: { workers: defaultWorkers() },
    columns: (options) => pageColumns(shape(options).fields, shape(options).rows),
    types: PAGE_TYPES,
    title: `Crawl of ${positionals.join(", ") || `crawl "${values["crawl-id"]}"`}`,
  });
  const { fields, rows } = shape(job.options);
  try {
    await lastValueFrom(
      crawl(job.options).pipe(
        job.write((page) => pageRow(page, fields, rows)),
        job.progress(),
      ),
      { defaultValue: undefined },
    );
  } finally {
    await job.close();
  }
  process.exitCode = job.exitCode();
});
