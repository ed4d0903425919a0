import type { CrawlCounts } from "../state/crawl_state.ts";

/**
 * Live counters of a running crawl, for progress lines and summaries. Pass one to `crawl({ stats })`; the crawl
 * updates it as it goes.
 *
 * @example
 * ```ts
 * import { CrawlStats } from "./crawl_stats.ts";
 * const stats = new CrawlStats();
 * // crawl({ start, stats }) ...
 * `${stats.done} done, ${stats.queued} queued, ${stats.pagesPerSecond().toFixed(1)} pages/s`;
 * ```
 */
export class CrawlStats {
  /** URLs admitted to the crawl (each will leave one record, unless the crawl is stopped first). */
  admitted = 0;
  /** URLs whose record was emitted. */
  done = 0;
  /** Records emitted with an error. */
  errors = 0;
  /** Requests being fetched now. */
  inFlight = 0;
  /** The whole crawl's counts, over every process, when its state is shared; `undefined` otherwise. */
  crawl: CrawlCounts | undefined = undefined;
  /** When the crawl started, from `performance.now()`. */
  readonly startedAt = performance.now();

  /** Counts one finished page (a record or a row with an `error` field). */
  record(page: { error: unknown }): void {
    this.done++;
    if (page.error !== "" && page.error !== null && page.error !== undefined) this.errors++;
  }

  /** Admitted URLs waiting for a fetch slot. */
  get queued(): number {
    return Math.max(0, this.admitted - this.done - this.inFlight);
  }

  /** Seconds since the crawl started. */
  elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Records per second since the start. */
  pagesPerSecond(): number {
    const seconds = this.elapsed();
    return seconds > 0 ? this.done / seconds : 0;
  }
}
