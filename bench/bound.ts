import { demoRecommendations } from "../src/demo/demo_site.ts";
import type { Scenario } from "./scenarios.ts";

/** The fastest a crawl of a scenario's site can be when its time goes to waiting alone. */
export interface CrawlBound {
  /** From the first request to the last response, in seconds. */
  seconds: number;
  /** Pages over those seconds: an upper bound on any crawler's pages/s, before its start-up is counted. */
  pagesPerSecond: number;
}

/**
 * The shortest crawl of the scenario's site from /subject/0/ at its concurrency, when each response takes exactly its
 * latency and nothing else takes time: robots.txt first, then every page once, each page's links known as soon as it
 * has arrived and fetched in the order found. A crawl starts with one URL and learns the rest page by page, so it
 * needs a few round trips before its requests fill the concurrency; the got ceiling, given every URL at once, does not.
 *
 * @example
 * ```ts
 * import { crawlBound } from "./bound.ts";
 * import { SCENARIOS } from "./scenarios.ts";
 * crawlBound(SCENARIOS.latency!); // { seconds: 3.3, pagesPerSecond: 454.5... }
 * ```
 */
export function crawlBound(scenario: Scenario): CrawlBound {
  const { pages, links, seed, latencyMs, concurrency } = scenario;
  const seen = new Uint8Array(pages);
  const queue = [0];
  seen[0] = 1;
  let head = 0;
  let now = latencyMs; // robots.txt
  let done = 0;
  // Requests in flight all take latencyMs, so they finish in the order they start: a FIFO of finish times.
  const inFlight: { id: number; at: number }[] = [];
  let first = 0;
  while (head < queue.length || first < inFlight.length) {
    while (inFlight.length - first < concurrency && head < queue.length) inFlight.push({ id: queue[head++]!, at: now + latencyMs });
    const next = inFlight[first++]!;
    now = next.at;
    done += 1;
    for (const id of demoRecommendations(next.id, { pages, links, seed })) {
      if (seen[id] === 0) {
        seen[id] = 1;
        queue.push(id);
      }
    }
  }
  const seconds = now / 1000;
  return { seconds, pagesPerSecond: done / seconds };
}
