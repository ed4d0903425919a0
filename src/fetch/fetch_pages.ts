import { finalize, map, mergeMap, Observable, type OperatorFunction, Subject } from "rxjs";
import type { CrawlStats } from "../stats/crawl_stats.ts";
import { UsageError } from "../errors.ts";
import { DEFAULTS } from "../defaults.ts";
import { fetchConfig } from "./fetch_options.ts";
import { Fetcher, type FetcherOptions } from "./fetcher.ts";
import { rateSpacingMs } from "./spacing.ts";
import { abortable } from "../internal.ts";
import type { CrawlRequest, FetchedPage } from "../records.ts";
import { Frontier } from "../state/frontier.ts";
import { normalizeUrl } from "../url.ts";
import { positiveInteger } from "../validate.ts";

/** Options of {@linkcode fetchPages}. */
export interface FetchPagesOptions extends FetcherOptions {
  /** Requests in flight at once. @default 8 */
  concurrency?: number;
  /** Counters to keep up to date: `inFlight` while a request runs, the requests through each proxy, the blocks. @default none */
  stats?: CrawlStats;
}

/**
 * Fetches each URL (or request) of the source, at most `concurrency` at once, through one shared client with
 * keep-alive connections, and emits a {@linkcode FetchedPage} per URL in the order they finish. The URLs wait in a
 * frontier of per-host lines (in memory, then in temporary files past 100,000), which starts a request only when its
 * host may start: `perHost`, `rate` and robots.txt's `Crawl-delay` hold for every request, retries and redirects
 * included, and a fetch slot never waits for them. A failing URL is a page with `error` set, never an error of the
 * stream; a URL that is not http(s) is a usage error. Unsubscribing aborts the requests in flight and closes the
 * connections.
 *
 * @example
 * ```ts
 * import { from, lastValueFrom, toArray } from "rxjs";
 * import { fetchPages } from "./fetch_pages.ts";
 * const pages = await lastValueFrom(from(["https://example.com/"]).pipe(fetchPages({ concurrency: 4 }), toArray()));
 * ```
 */
export function fetchPages(options: FetchPagesOptions = {}): OperatorFunction<string | CrawlRequest, FetchedPage> {
  const concurrency = positiveInteger("concurrency", options.concurrency ?? DEFAULTS.concurrency);
  const config = fetchConfig(options); // checked up front, not at each subscription
  const politeness = { perHost: config.perHost, intervalMs: rateSpacingMs(config.rate) };
  const stats = options.stats;
  return (source) =>
    new Observable<FetchedPage>((subscriber) => {
      const frontier = new Frontier(politeness);
      const fetcher = new Fetcher(config, stats === undefined ? {} : { onEvent: (event) => stats.fetchEvent(event) });
      const requests = new Subject<CrawlRequest>();
      let inFlight = 0;
      let listed = false; // the source has completed
      let wake: { timer: NodeJS.Timeout; at: number } | undefined;

      // Hands the fetch slots the requests whose hosts may start, and asks again when the next host may.
      const pump = (): void => {
        if (subscriber.closed) return;
        const room = concurrency - inFlight;
        if (room > 0) {
          const now = performance.now();
          const taken = frontier.take(room, now);
          inFlight += taken.length;
          for (const request of taken) requests.next(request);
          const readyIn = taken.length < room ? frontier.readyIn(now) : Infinity;
          if (Number.isFinite(readyIn) && (wake === undefined || wake.at > now + readyIn)) {
            clearTimeout(wake?.timer);
            wake = { at: now + readyIn, timer: setTimeout(() => ((wake = undefined), pump()), Math.max(1, readyIn)) };
          }
        }
        if (listed && inFlight === 0 && frontier.size === 0) requests.complete();
      };

      // Each request goes through one step at a time; a step that goes on (a retry, a redirect, the robots.txt first)
      // puts it back in the frontier, to wait for its host's turn again.
      const fetching = requests
        .pipe(
          mergeMap((request) => {
            if (stats !== undefined) stats.inFlight++;
            const step = (signal: AbortSignal) => fetcher.step(request, { signal, sent: () => frontier.sent(request) });
            return abortable(step).pipe(
              map((step) => ({ request, step })),
              finalize(() => stats !== undefined && stats.inFlight--),
            );
          }, concurrency),
        )
        .subscribe({
          next: ({ request, step }) => {
            inFlight--;
            // Paced before the request is done: a host with nothing else waiting or taken would otherwise lose the
            // record of its last start, and the pace would count from none.
            if (step.pace !== undefined) frontier.pace(step.pace.host, step.pace.intervalMs);
            frontier.done(request);
            if ("page" in step) subscriber.next(step.page);
            else frontier.later(step.again, step.delayMs);
            pump();
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
      const listing = source.subscribe({
        next: (input) => {
          let request: CrawlRequest;
          try {
            request = toRequest(input);
          } catch (error) {
            return subscriber.error(error);
          }
          frontier.push(request);
          pump();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          listed = true;
          pump();
        },
      });

      return () => {
        listing.unsubscribe();
        fetching.unsubscribe();
        clearTimeout(wake?.timer);
        fetcher.close();
        frontier.close();
      };
    });
}

function toRequest(input: string | CrawlRequest): CrawlRequest {
  const raw = typeof input === "string" ? input : input.url;
  const url = normalizeUrl(raw);
  if (url === undefined) throw new UsageError(`Expected an http(s) URL, got ${JSON.stringify(raw)}`);
  return { url, depth: typeof input === "string" ? 0 : input.depth };
}
