import { finalize, type MonoTypeOperatorFunction, defer, tap } from "rxjs";
import type { CrawlStats } from "./crawl_stats.ts";
import { summaryLines } from "./summary_lines.ts";

/** Options of {@linkcode showProgress}. */
export interface ShowProgressOptions {
  /** Where the progress line and the summary go. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Milliseconds between redraws of the live line. @default 250 */
  interval?: number;
  /** Appended to the summary, e.g. where the output went; a function is asked at the end. @default "" */
  note?: string | (() => string);
  /**
   * Whether to redraw the live line. Turn it off when rows go to the same terminal (JSONL on stdout, with stdout and
   * `stream` both a terminal): rows written between two redraws would land on the live line's text.
   * @default whether `stream` is a terminal
   */
  live?: boolean;
  /**
   * Whether the summary goes on after its first line with the crawl's details (see `summaryLines`): why it ended,
   * statuses, errors by code, requests, bytes, depths, peak memory. @default true
   */
  details?: boolean;
}

/**
 * Shows a crawl's progress: on a terminal, one live line (done, queued, in flight, errors, pages/s) redrawn in place;
 * on any stream, a summary when the stream completes or is unsubscribed (not when it fails: the error is the report
 * then): a first line with the runtime, pages, errors and rate, then the details. Values pass through untouched.
 *
 * @example
 * ```ts
 * import { crawl, CrawlStats } from "../mod.ts";
 * import { showProgress } from "./show_progress.ts";
 * const stats = new CrawlStats();
 * crawl({ start: "https://example.com/", stats }).pipe(showProgress(stats, { note: "data/out/pages.csv" }));
 * ```
 */
export function showProgress<T>(stats: CrawlStats, options: ShowProgressOptions = {}): MonoTypeOperatorFunction<T> {
  const stream = options.stream ?? process.stderr;
  return (source) =>
    defer(() => {
      const live = stream.isTTY === true && (options.live ?? true);
      const timer = live ? setInterval(() => stream.write(`\r${line(stats)}\x1b[K`), options.interval ?? 250) : undefined;
      timer?.unref();
      let failed = false;
      return source.pipe(
        tap({ error: () => (failed = true) }),
        finalize(() => {
          clearInterval(timer);
          if (live) stream.write("\r\x1b[K");
          // A failed run is told by its error line (runPipeline): a summary before it would make two reports, and its
          // note ("wrote out.csv") would claim an output that could not even be created.
          const note = typeof options.note === "function" ? options.note() : options.note;
          if (failed) return;
          const details = options.details ?? true ? summaryLines(stats.summary()) : [];
          stream.write([`${summary(stats)}${note ? `; ${note}` : ""}`, ...details, ""].join("\n"));
        }),
      );
    });
}

/**
 * The live progress line: the whole crawl's counts (over every process when it is shared, earlier runs' rows included
 * when it was resumed): URLs done, queued (found and waiting) and in flight, errors, and with a `maxPages` the requests
 * started of it; then what this process did when that differs, with its rate.
 */
export function line(stats: CrawlStats): string {
  const rate = `${stats.pagesPerSecond().toFixed(1)} pages/s`;
  const crawled = stats.crawl;
  if (crawled === undefined) {
    return `${stats.done} done, ${stats.queued} queued, ${stats.inFlight} in flight, ${stats.errors} errors, ${rate}`;
  }
  const started = stats.maxPages === Infinity ? "" : `, ${crawled.started} of ${stats.maxPages} started`;
  const whole = `${crawled.done} done, ${crawled.queued} queued, ${crawled.leased} in flight, ${crawled.errors} errors${started}`;
  return crawled.done === stats.done ? `${whole}, ${rate}` : `${whole}; here: ${stats.done} done, ${rate}`;
}

/** The summary printed at the end: the runtime first, as the seed prints it. */
export function summary(stats: CrawlStats): string {
  return `Code runtime: ${stats.elapsed().toFixed(2)} s: ${stats.done} pages, ${stats.errors} errors, ${stats.pagesPerSecond().toFixed(1)} pages/s`;
}
