/**
 * The least time between two starts on one host that must reach it at least `ms` apart (`--rate`'s 1/N s, a
 * robots.txt `Crawl-delay`): `ms` and a margin of 5% of it, at most 25 ms and at least 2 ms. The crawl spaces the
 * moments its requests leave; a server sees their arrivals, as its own busy thread gets to them, and two requests do
 * not arrive exactly as far apart as they left. Measured at a loopback site's own log: up to 6 ms closer on a quiet
 * machine; on a busy one, 13 to 18 ms at 500 ms apart and 21.6 ms at 1 s. The jitter is the server's, so a few ms
 * whatever the pace: the margin keeps the gap a site owner reads at or above what was asked, for 5% of a short
 * pace and 2.5% of 1 s. A server whose own thread is starved is later still: a site sharing two cores with a crawl of
 * 10,000 hosts that kept them busy logged 4 gaps of 242,567 under 1 s (the shortest 998.1 ms) between requests that
 * left at least 1,050.1 ms apart (the crawl's own record, with a margin of 50 ms); no margin short of slowing every
 * paced crawl covers that, and the crawl keeps its departures apart instead.
 *
 * @example
 * ```ts
 * import { startSpacingMs } from "./spacing.ts";
 * startSpacingMs(500); // 525
 * startSpacingMs(0); // 0: no pace
 * ```
 */
export function startSpacingMs(ms: number): number {
  return ms > 0 ? ms + Math.max(2, Math.min(ms * 0.05, 25)) : 0;
}

/**
 * The least time between two starts on one host at `rate` requests a second (see {@linkcode startSpacingMs}); 0 when
 * the rate is `Infinity`, no pace.
 *
 * @example
 * ```ts
 * import { rateSpacingMs } from "./spacing.ts";
 * rateSpacingMs(2); // 525
 * ```
 */
export function rateSpacingMs(rate: number): number {
  return startSpacingMs(1000 / rate);
}
