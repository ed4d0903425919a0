import type { CrawlSummary } from "../stats/crawl_summary.ts";
import { formatClock } from "../stats/format.ts";

/** A crawl's timeline as rates, one point per bucket. */
export interface TimelineRates {
  /** The start of each bucket as a clock reading since the start of the crawl: "0:00", "0:02", … */
  labels: string[];
  /** Records per second in each bucket. */
  pagesPerSecond: number[];
  /** Records without an error per second in each bucket. */
  okPerSecond: number[];
  /** Records with an error per second in each bucket. */
  errorsPerSecond: number[];
}

/**
 * Turns the counts per bucket of a summary's timeline into rates, so that the line keeps its meaning whatever the
 * bucket width. The last bucket is usually cut short by the end of the crawl: it is divided by the time it covered
 * (at least one second, so that a few records in its last milliseconds do not make a spike).
 *
 * @example
 * ```ts
 * import { timelineRates } from "./timeline_rates.ts";
 * const summary = { elapsedSeconds: 5, timeline: { bucketSeconds: 2, pages: [20, 30, 5], errors: [0, 2, 0] } };
 * timelineRates(summary);
 * // { labels: ["0:00", "0:02", "0:04"], pagesPerSecond: [10, 15, 5], okPerSecond: [10, 14, 5], errorsPerSecond: [0, 1, 0] }
 * ```
 */
export function timelineRates(summary: Pick<CrawlSummary, "elapsedSeconds" | "timeline">): TimelineRates {
  const { bucketSeconds, pages, errors } = summary.timeline;
  const width = bucketSeconds > 0 ? bucketSeconds : 1;
  const length = Math.max(pages.length, errors.length);
  const rates: TimelineRates = { labels: [], pagesPerSecond: [], okPerSecond: [], errorsPerSecond: [] };
  for (let i = 0; i < length; i++) {
    const start = i * width;
    const covered = i === length - 1 ? Math.min(width, Math.max(1, summary.elapsedSeconds - start)) : width;
    rates.labels.push(formatClock(start));
    const [done, failed] = [pages[i] ?? 0, errors[i] ?? 0];
    rates.pagesPerSecond.push(round(done / covered));
    rates.okPerSecond.push(round((done - failed) / covered));
    rates.errorsPerSecond.push(round(failed / covered));
  }
  return rates;
}

/** Two decimals are more than a chart shows, and keep the page's data short. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}
