/**
 * The least time between two starts on one host that must reach it at least `ms` apart (`--rate`'s 1/N s, a
 * robots.txt `Crawl-delay`): `ms` and a margin of 5% of it, at most 50 ms and at least 2 ms. The crawl spaces the
 * moments its requests leave; a server sees their arrivals, as its own busy thread gets to them, and two requests do
 * not arrive exactly as far apart as they left. Measured at a loopback site's own log: up to 6 ms closer on a quiet
 * machine; on a busy one, 13 to 18 ms at 500 ms apart, and at 1 s 21.6 ms, then 28 and 29 ms where a crawl of 10,000
 * hosts kept both cores busy. The jitter is the server's, so tens of ms at most whatever the pace: the margin keeps the
 * gap a site owner reads at or above what was asked, for 5% of a pace up to 1 s and 50 ms of a longer one.
 *
 * @example
 * ```ts
 * import { startSpacingMs } from "./spacing.ts";
 * startSpacingMs(500); // 525
 * startSpacingMs(0); // 0: no pace
 * ```
 */
export function startSpacingMs(ms: number): number {
  return ms > 0 ? ms + Math.max(2, Math.min(ms * 0.05, 50)) : 0;
}

/**
 * The least time between two starts on one host at `rate` requests a second (see {@linkcode startSpacingMs}); 0 when
 * the rate is `Infinity`, no pace.
 *
 * @example
 * ```ts
 * import { rateSpacingMs } from "./spacing.ts";
 * rateSpacingMs(2); // 525
 * rateSpacingMs(1); // 1050
 * ```
 */
export function rateSpacingMs(rate: number): number {
  return startSpacingMs(1000 / rate);
}
