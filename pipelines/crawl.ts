#!/usr/bin/env -S node --import tsx --max-semi-space-size=2
// --max-semi-space-size=2: 2 MB young-generation semi-spaces: as fast as the default, 30 to 40 MB less resident.
// The generic crawler: from start URLs, follow links (every a[href] on the start hosts by default), and write one row
// per URL attempted: url, final_url, status, content_type, depth, title, the --extract fields, error, fetched_at.
// Input: start URLs and flags. Output: CSV or JSONL by the extension of --out, JSONL on stdout without it.
import { identity, lastValueFrom, map } from "rxjs";
import { crawl, type CrawlOptions, CrawlStats, pageColumns, pageRow, showProgress, writeRows } from "../src/mod.ts";
import {
  commandSpec,
  crawlFlags,
  defaultWorkers,
  joinedOptions,
  openJournal,
  parseCli,
  runPipeline,
  SHARED_FLAGS,
  sharedNote,
  sharedState,
  stopOnSignals,
} from "../src/cli/mod.ts";

const COMMAND = commandSpec({
  usage: "<start-url>... [options]",
  about: "Crawls from the start URLs, following links, and writes one row per URL attempted.",
  flags: [
    "follow",
    "extract",
    "out",
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
    "workers",
    ...SHARED_FLAGS,
  ],
  positionals: true,
  footer: `Columns: ${pageColumns(["<fields>"]).join(", ")}.
Example: crawl.ts https://example.com/ --max-depth 2 --extract h1=h1 --out data/out/example.csv`,
});

await runPipeline(async () => {
  const { values, positionals } = parseCli(COMMAND);
  const out = values.out as string | undefined;
  // A shared crawl (--redis): a process that joins without start URLs crawls what the crawl was started with.
  const state = await sharedState(values, out, positionals.length > 0);
  const flags = { ...(await joinedOptions(state, positionals)), ...crawlFlags(values) };
  const fields = Object.keys(flags.extract ?? {});
  const columns = pageColumns(fields);
  const target = state?.output ?? out;
  const stats = new CrawlStats();
  const stop = stopOnSignals();
  const journal = state === undefined ? await openJournal(out, values.resume === true) : undefined;
  const options: CrawlOptions = {
    start: positionals,
    workers: defaultWorkers(),
    ...flags,
    columns,
    signal: stop.signal,
    stats,
    ...(journal === undefined ? {} : { journal }),
    ...(state === undefined ? {} : { state }),
  };

  try {
    await lastValueFrom(
      crawl(options).pipe(
        map((page) => pageRow(page, fields)),
        writeRows(target ?? process.stdout, { columns, append: journal?.resumed ?? false }),
        state?.acknowledge() ?? identity,
        showProgress(stats, { note: () => (target === undefined ? "rows on stdout" : `wrote ${target}${sharedNote(state)}`) }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    journal?.close();
    await state?.disconnect();
  }
  process.exitCode = stop.exitCode();
});
