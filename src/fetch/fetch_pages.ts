import { defer, finalize, mergeMap, type OperatorFunction } from "rxjs";
import type { CrawlStats } from "../stats/crawl_stats.ts";
import { UsageError } from "../errors.ts";
import { DEFAULTS } from "../defaults.ts";
import { fetchConfig } from "./fetch_options.ts";
import { Fetcher, type FetcherOptions } from "./fetcher.ts";
import { abortable } from "../internal.ts";
import type { CrawlRequest, FetchedPage } from "../records.ts";
import { normalizeUrl } from "../url.ts";
import { positiveInteger } from "../validate.ts";

/** Options of {@linkcode fetchPages}. */
export interface FetchPagesOptions extends FetcherOptions {
  /** Requests in flight at once. @default 8 */
  concurrency?: number;
  /** Counters to keep up to date: `inFlight` while a request runs. @default none */
  stats?: CrawlStats;
}

/**
 * Fetches each URL (or request) of the source, at most `concurrency` at once, through one shared client with
 * keep-alive connections, and emits a {@linkcode FetchedPage} per URL in the order they finish. A failing URL is a
 * page with `error` set, never an error of the stream; a URL that is not http(s) is a usage error. Unsubscribing
 * aborts the requests in flight and closes the connections.
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
  return (source) =>
    defer(() => {
      const fetcher = new Fetcher(config);
      return source.pipe(
        mergeMap((input) => {
          const request = toRequest(input);
          const stats = options.stats;
          if (stats === undefined) return abortable((signal) => fetcher.fetch(request, signal));
          stats.inFlight++;
          return abortable((signal) => fetcher.fetch(request, signal).finally(() => stats.inFlight--));
        }, concurrency),
        finalize(() => fetcher.close()),
      );
    });
}

function toRequest(input: string | CrawlRequest): CrawlRequest {
  const raw = typeof input === "string" ? input : input.url;
  const url = normalizeUrl(raw);
  if (url === undefined) throw new UsageError(`Expected an http(s) URL, got ${JSON.stringify(raw)}`);
  return { url, depth: typeof input === "string" ? 0 : input.depth };
}
