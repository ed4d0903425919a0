import { writeFile } from "node:fs/promises";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { map, type MonoTypeOperatorFunction, type OperatorFunction, pipe, tap } from "rxjs";
import { type CrawlOptions, crawlConfig } from "../crawl_options.ts";
import { UsageError } from "../errors.ts";
import { writeReport } from "../report/write_report.ts";
import type { PageRecord } from "../records.ts";
import type { ParquetColumnType } from "../sinks/parquet.ts";
import type { SharedOutput } from "../sinks/shared_output.ts";
import { checkOutputPath, checkWritable, writeRows } from "../sinks/write_rows.ts";
import type { CrawlJournal } from "../state/journal.ts";
import { CrawlStats } from "../stats/crawl_stats.ts";
import { showProgress } from "../stats/show_progress.ts";
import { crawlFlags } from "./flags.ts";
import { describeDifference, openJournal } from "./open_journal.ts";
import type { Cli } from "./parse_cli.ts";
import { joinedOptions, sharedOutput, sharedState } from "./shared_state.ts";
import { stopOnSignals } from "./stop_on_signals.ts";

/** What a crawl command brings to {@linkcode openCrawlJob}: its start, its options, and what its rows are. */
export interface CrawlJobSpec {
  /** The start URLs; none for a process joining a shared crawl. */
  start: readonly string[];
  /** The command's defaults, which flags override. @default {} */
  defaults?: Partial<CrawlOptions>;
  /** What the command sets whatever the flags (a pipeline's own extractor, headers). @default {} */
  fixed?: Partial<CrawlOptions>;
  /**
   * The output's columns, in order; or a function of the crawl's options, when they depend on what a process joining
   * a shared crawl takes from it (the fields of `--extract`).
   */
  columns: readonly string[] | ((options: CrawlOptions) => readonly string[]);
  /** The Parquet types of the columns that are not text. @default {} */
  types?: Readonly<Record<string, ParquetColumnType>>;
  /** The output when `--out` is not given; rows go to stdout as JSONL without it. @default stdout */
  out?: string;
  /** The report's title. @default "Crawl report" */
  title?: string;
}

/** A crawl command's parts, made from its flags: see {@linkcode openCrawlJob}. */
export interface CrawlJob {
  /** The options to give `crawl()`. */
  options: CrawlOptions;
  /** The output's columns. */
  columns: readonly string[];
  /** The files (or stdout) the rows go to: each worker's own with `--redis`. */
  outputs: readonly string[];
  /**
   * Makes each page's row with `row`, writes it to every output, in order, and passes it on; in a shared crawl, to
   * this process's own file, telling the crawl which are written (and completing the files of dead processes of this
   * machine, with the same `row`).
   */
  write<T extends object>(row: (page: PageRecord) => T): OperatorFunction<PageRecord, T>;
  /** The live progress line and the summary at the end. */
  progress<T>(): MonoTypeOperatorFunction<T>;
  /**
   * Ends the job: the journal closed (and removed when the crawl ended with nothing left to fetch and every row was
   * written), the shared crawl left, the `--stats` and `--report` files written.
   */
  close(): Promise<void>;
  /** 130 after SIGINT, 143 after SIGTERM, 0 otherwise. */
  exitCode(): number;
}

/**
 * Makes what every crawl command needs from its flags, checked before anything is fetched or written: the outputs
 * (`--out`, repeatable: CSV, JSONL or Parquet), the journal of `--resume`, the shared crawl of `--redis`, the sitemaps
 * of `--sitemap`, the statistics `--stats` and the HTML report `--report` are written from, and the graceful stop on
 * signals. A command keeps its own pipe chain: `crawl(job.options)`, `job.write(row)`, `job.progress()`.
 *
 * @example
 * ```ts
 * import { lastValueFrom } from "rxjs";
 * import { crawl, pageColumns, pageRow } from "rxcrawl";
 * import { openCrawlJob, parseCli } from "rxcrawl/cli";
 * const job = await openCrawlJob(values, { start: positionals, columns: pageColumns() });
 * try {
 *   await lastValueFrom(crawl(job.options).pipe(job.write((page) => pageRow(page)), job.progress()), { defaultValue: undefined });
 * } finally {
 *   await job.close();
 * }
 * process.exitCode = job.exitCode();
 * ```
 */
export async function openCrawlJob(values: Cli["values"], spec: CrawlJobSpec): Promise<CrawlJob> {
  const given = (values.out as string[] | undefined) ?? (spec.out === undefined ? [] : [spec.out]);
  for (const out of given) checkOutputPath(out);
  const statsPath = values.stats as string | undefined;
  const reportPath = values.report as string | undefined;
  if (statsPath !== undefined) checkExtension(statsPath, "--stats", ".json");
  if (reportPath !== undefined) checkExtension(reportPath, "--report", ".html");
  const resume = values.resume === true;
  const shared = values.redis !== undefined || values["crawl-id"] !== undefined;
  // `--reset` without start URLs only removes the shared crawl, and exits.
  if (shared && values.reset === true && spec.start.length === 0) await sharedState(values, undefined, false);
  if (shared && given.length !== 1) {
    throw new UsageError("Expected one --out with --redis: each process writes its rows to a file of its own beside it");
  }
  if (resume && given.length > 1) throw new UsageError("Expected one --out with --resume: the journal belongs to one output");
  const flags = crawlFlags(values);
  const sitemap = values.sitemap === true ? { sitemap: true } : {};

  const state = await sharedState(values, given[0], spec.start.length > 0);
  let journal: CrawlJournal | undefined;
  try {
    const joined = await joinedOptions(state, spec.start);
    const stats = new CrawlStats();
    const stop = stopOnSignals();
    const options: CrawlOptions = {
      // As curl and wget do, a command goes through the proxies the environment names unless --proxy is given.
      proxy: { env: process.env },
      ...spec.defaults,
      ...joined,
      ...flags,
      ...sitemap,
      ...spec.fixed,
      start: spec.start,
      signal: stop.signal,
      stats,
      ...(state === undefined ? {} : { state }),
    };
    const columns = typeof spec.columns === "function" ? spec.columns(options) : spec.columns;
    options.columns = columns;
    if (state !== undefined && spec.start.length === 0) {
      // A process joining is told what differs in the terms of its command line, before it takes part.
      const stored = await state.definition();
      const difference = stored === undefined ? undefined : describeDifference(stored, crawlConfig(options).definition);
      if (difference !== undefined) throw new UsageError(`Cannot join crawl "${state.crawlId}": ${difference}`);
    }
    journal = state === undefined ? await openJournal(given[0], resume, options) : undefined;
    if (journal !== undefined) options.journal = journal;
    const output: SharedOutput | undefined = state === undefined ? undefined : await sharedOutput(state, given[0]!, columns);
    const outputs = output !== undefined ? [output.path] : given;
    const append = journal?.resumed ?? false;
    const opened = journal;
    let written = false; // every row reached every output
    return {
      options,
      columns,
      outputs,
      write<T extends object>(row: (page: PageRecord) => T): OperatorFunction<PageRecord, T> {
        if (output !== undefined) return output.write(row);
        const sinks = outputs.map((out) => writeRows<T>(out, { columns, types: spec.types ?? {}, append }));
        if (sinks.length === 0) sinks.push(writeRows<T>(process.stdout));
        const done: MonoTypeOperatorFunction<T> = tap({ complete: () => (written = true) });
        return pipe(map(row), ...(sinks as [MonoTypeOperatorFunction<T>]), done);
      },
      progress<T>(): MonoTypeOperatorFunction<T> {
        const note = () => (outputs.length === 0 ? "rows on stdout" : `wrote ${outputs.join(", ")}`) + (state === undefined ? "" : `; ${state.calls} Redis calls`);
        // Rows on a terminal and a live line on the same terminal would run into each other: the summary is enough.
        return showProgress(stats, { note, live: outputs.length > 0 || process.stdout.isTTY !== true });
      },
      async close() {
        // A journal is what a resume needs: it goes only with a crawl that has nothing left to resume.
        if (opened?.complete === true && written) opened.discard();
        else opened?.close();
        // A process that died near the end may have left records: its file is completed before this one leaves.
        await output?.finish();
        await state?.disconnect();
        const summary = stats.summary();
        if (statsPath !== undefined) {
          mkdirSync(dirname(statsPath), { recursive: true });
          await writeFile(statsPath, `${JSON.stringify(summary, null, 2)}\n`);
        }
        if (reportPath !== undefined) await writeReport(reportPath, summary, { title: spec.title ?? "Crawl report" });
      },
      exitCode: () => stop.exitCode(),
    };
  } catch (error) {
    journal?.close();
    await state?.disconnect();
    throw error;
  }
}

function checkExtension(path: string, flag: string, extension: string): void {
  if (!path.toLowerCase().endsWith(extension)) throw new UsageError(`Expected ${flag} to end in ${extension}, got ${JSON.stringify(path)}`);
  checkWritable(path);
}

