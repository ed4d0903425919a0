import type { Histogram } from "../stats/crawl_summary.ts";
import { formatQuantity, formatRange, type Quantity } from "../stats/format.ts";

/** A percentile drawn on a histogram's bars. */
export interface PercentileMarker {
  /** "p50", "p90", "p99". */
  label: string;
  /** The value, in the histogram's unit. */
  value: number;
  /**
   * Where it falls on the bars' axis: bar `i` spans `[i - 0.5, i + 0.5)`, and the value is placed inside its bar on a
   * log scale, as the buckets are.
   */
  position: number;
}

/** A histogram ready to draw: one bar per bucket from the first to the last bucket that holds a value. */
export interface HistogramBars {
  /** "< 1 ms", "50–100 ms", "≥ 60 s". */
  labels: string[];
  counts: number[];
  markers: PercentileMarker[];
}

/**
 * The bars of a histogram, labelled with their range in human units. Empty buckets at either end are left out so that
 * the bars fill the chart; those in between stay, so that a gap shows as one.
 *
 * @example
 * ```ts
 * import { histogramBars } from "./histogram_bars.ts";
 * const bars = histogramBars(
 *   { bounds: [50, 100, 200], counts: [0, 3, 1, 0], count: 4, sum: 320, max: 150, p50: 75, p90: 150, p99: 150 },
 *   "ms",
 * );
 * bars.labels; // ["50–100 ms", "100–200 ms"]
 * bars.counts; // [3, 1]
 * ```
 */
export function histogramBars(histogram: Histogram, quantity: Quantity): HistogramBars {
  const { bounds, counts } = histogram;
  const first = counts.findIndex((count) => count > 0);
  if (histogram.count === 0 || first === -1) return { labels: [], counts: [], markers: [] };
  const last = counts.findLastIndex((count) => count > 0);
  const labels: string[] = [];
  for (let i = first; i <= last; i++) labels.push(bucketLabel(bounds, i, quantity));
  const markers = (["p50", "p90", "p99"] as const).map((label) => ({
    label,
    value: histogram[label],
    position: position(histogram, histogram[label]) - first,
  }));
  return { labels, counts: counts.slice(first, last + 1), markers };
}

/**
 * The label of bucket `index`: the first holds values below `bounds[0]`, the last those of `bounds.at(-1)` and above.
 *
 * @example
 * ```ts
 * import { bucketLabel } from "./histogram_bars.ts";
 * bucketLabel([1024, 4096], 1, "bytes"); // "1–4 KB"
 * ```
 */
export function bucketLabel(bounds: number[], index: number, quantity: Quantity): string {
  const low = bounds[index - 1];
  const high = bounds[index];
  if (low === undefined && high === undefined) return "all";
  if (low === undefined) return `< ${formatQuantity(high ?? 0, quantity)}`;
  if (high === undefined) return `≥ ${formatQuantity(low, quantity)}`;
  return formatRange(low, high, quantity);
}

/** Where `value` falls on the axis of all buckets (see {@linkcode PercentileMarker}). */
function position({ bounds, max }: Histogram, value: number): number {
  let index = bounds.findIndex((bound) => value < bound);
  if (index === -1) index = bounds.length;
  const low = bounds[index - 1] ?? 0;
  // The open last bucket ends at the largest value seen.
  const high = bounds[index] ?? Math.max(max, low);
  let fraction = 0.5;
  if (high > low) {
    fraction = low > 0 && value > 0 ? Math.log(value / low) / Math.log(high / low) : (value - low) / (high - low);
  }
  return index - 0.5 + Math.min(1, Math.max(0, fraction));
}
