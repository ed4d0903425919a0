/**
 * The least time between two starts on one host that must reach it at least `ms` apart (`--rate`'s 1/N s, a
 * robots.txt `Crawl-delay`): `ms` and 2% more, at least 2 ms. The crawl spaces the moments its requests leave; a
 * server sees their arrivals, and two requests on different connections do not arrive exactly as far apart as they
 * left (measured on loopback: up to 6 ms closer on a quiet machine, 18 ms on a busy one, at 500 ms apart). The margin
 * keeps the gap a site owner reads at or above what was asked, for about 2% of the pace.
 *
 * @example
 * ```ts
 * import { startSpacingMs } from "./spacing.ts";
 * startSpacingMs(500); // 510
 * startSpacingMs(0); // 0: no pace
 * ```
 */
export function startSpacingMs(ms: number): number {
  return ms > 0 ? ms + Math.max(2, ms * 0.02) : 0;
}

/**
 * The least time between two starts on one host at `rate` requests a second (see {@linkcode startSpacingMs}); 0 when
 * the rate is `Infinity`, no pace.
 *
 * @example
 * ```ts
 * import { rateSpacingMs } from "./spacing.ts";
 * rateSpacingMs(2); // 510
 * ```
 */
export function rateSpacingMs(rate: number): number {
  return startSpacingMs(1000 / rate);
}
