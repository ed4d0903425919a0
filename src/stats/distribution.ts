import type { Histogram } from "./crawl_summary.ts";

/** Buckets per doubling of the fine scale the quantiles are read from: each is about 9 % wide. */
const FINE_PER_DOUBLING = 8;

/**
 * A distribution of positive values (response times, body sizes) in constant memory: counts on the `bounds` a report
 * shows, and on a fine logarithmic scale (about 9 % per bucket) that the quantiles are read from, so they are exact to
 * within 5 %.
 *
 * @example
 * ```ts
 * import { Distribution } from "./distribution.ts";
 * const times = new Distribution([10, 100, 1000]);
 * for (const ms of [4, 40, 60, 400]) times.add(ms);
 * times.toJSON().counts; // [1, 2, 1, 0]
 * ```
 */
export class Distribution {
  readonly #bounds: number[];
  readonly #counts: number[];
  readonly #fine = new Map<number, number>();
  #count = 0;
  #sum = 0;
  #max = 0;

  /** `bounds`: the upper bounds of the buckets shown, ascending. */
  constructor(bounds: readonly number[]) {
    this.#bounds = [...bounds];
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  add(value: number): void {
    let i = 0;
    while (i < this.#bounds.length && value >= this.#bounds[i]!) i++;
    this.#counts[i]!++;
    const fine = value <= 0 ? -Infinity : Math.floor(Math.log2(value) * FINE_PER_DOUBLING);
    this.#fine.set(fine, (this.#fine.get(fine) ?? 0) + 1);
    this.#count++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
  }

  /** The value below which `q` (0 to 1) of the values fall: the middle of its fine bucket, never above the maximum. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (const fine of [...this.#fine.keys()].sort((a, b) => a - b)) {
      seen += this.#fine.get(fine)!;
      if (seen >= rank) return fine === -Infinity ? 0 : Math.min(this.#max, 2 ** ((fine + 0.5) / FINE_PER_DOUBLING));
    }
    return this.#max;
  }

  toJSON(): Histogram {
    const round = (value: number) => Math.round(value * 10) / 10;
    return {
      bounds: [...this.#bounds],
      counts: [...this.#counts],
      count: this.#count,
      sum: round(this.#sum),
      max: round(this.#max),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
    };
  }
}
