import { defer, finalize, from, map, mergeMap, type OperatorFunction } from "rxjs";
import { compileSpec, type PageSpec, parsePage } from "./parse_page.ts";
import { ParserPool, toWorkerSpec } from "./parser_pool.ts";
import type { FetchedPage, PageRecord } from "../records.ts";
import { nonNegativeInteger } from "../validate.ts";

/** Options of {@linkcode parseHtml}. */
export interface ParseHtmlOptions extends PageSpec {
  /**
   * Worker threads to parse on; 0 parses inline on the calling thread. Functions in `follow` and `extract` must be
   * made with `defineExtractor()` to run on workers.
   * @default 0
   */
  workers?: number;
}

/**
 * Decodes and parses each fetched page with linkedom and emits a {@linkcode PageRecord}: its title, extracted fields
 * and the links to follow. Pages that failed or are not HTML pass through unparsed; an extractor that throws turns
 * its page into an error record. With `workers`, parsing runs on a pool of worker threads, in the order pages finish.
 *
 * @example
 * ```ts
 * import { from, map } from "rxjs";
 * import { fetchPages, parseHtml, writeCsv } from "../mod.ts";
 * from(["https://example.com/"]).pipe(
 *   fetchPages({ concurrency: 8 }),
 *   parseHtml({ extract: { h1: "h1" }, workers: 1 }),
 *   map((page) => ({ url: page.url, title: page.title, h1: page.fields.h1 })),
 *   writeCsv("data/out/h1.csv"),
 * );
 * ```
 */
export function parseHtml(options: ParseHtmlOptions = {}): OperatorFunction<FetchedPage, PageRecord> {
  const workers = nonNegativeInteger("workers", options.workers ?? 0);
  const spec = compileSpec(options); // checks the selectors before anything runs
  if (workers === 0) return map((page) => parsePage(page, spec));
  toWorkerSpec(options); // a plain function cannot cross to a worker: say so now, as crawl() expects, not on subscribe
  return (source) =>
    defer(() => {
      const pool = new ParserPool(workers, options);
      return source.pipe(
        mergeMap((page) => from(pool.parse(page))),
        finalize(() => void pool.close()),
      );
    });
}
