import { catchError, EMPTY, finalize, mergeMap, Observable, Subject } from "rxjs";
import { CrawlStats } from "./stats/crawl_stats.ts";
import { Frontier } from "./state/frontier.ts";
import { CrawlError, UsageError, type CrawlErrorCode } from "./errors.ts";
import { Fetcher, type FetcherOptions } from "./fetch/fetcher.ts";
import { abortable } from "./internal.ts";
import type { CrawlJournal } from "./state/journal.ts";
import { parseHtml } from "./parse/parse_html.ts";
import type { PageSpec } from "./parse/parse_page.ts";
import type { CrawlRequest, PageRecord } from "./records.ts";
import { SeenSet } from "./state/seen_set.ts";
import { hostOf, normalizeUrl } from "./url.ts";
import { nonNegativeInteger, positiveInteger } from "./validate.ts";

/** Options of {@linkcode crawl}. */
export interface CrawlOptions extends Omit<FetcherOptions, "onRedirect">, PageSpec {
  /** Where the crawl starts: one or more http(s) URLs, crawled at depth 0. */
  start: string | readonly string[];
  /** Requests in flight at once, over all hosts. @default 8 */
  concurrency?: number;
  /** Worker threads that parse pages; 0 parses on the fetching thread. @default 0 */
  workers?: number;
  /** The most URLs to crawl; each leaves one record. @default Infinity */
  maxPages?: number;
  /** The most links to follow from a start URL; 0 crawls the start URLs only. @default Infinity */
  maxDepth?: number;
  /** Hosts (`host` or `host:port`) the crawl may enter, or `"any"`. @default the hosts of the start URLs */
  hosts?: readonly string[] | "any";
  /** Patterns a discovered URL must match one of (strings are regular expressions). @default every URL */
  allow?: readonly (string | RegExp)[];
  /** Patterns that exclude a discovered URL, checked after `allow`. @default none */
  deny?: readonly (string | RegExp)[];
  /**
   * Stops the crawl gracefully when aborted: no URL is admitted or started after that, the requests in flight finish
   * and emit their records, then the Observable completes. (To cancel at once, unsubscribe.)
   */
  signal?: AbortSignal;
  /**
   * Milliseconds the requests in flight get to finish after `signal` aborts; then they are aborted, leave no record,
   * and the crawl completes.
   * @default 10000
   */
  stopGrace?: number;
  /**
   * URLs waiting to be fetched that are kept in memory; beyond that they wait in a temporary file, so memory stays
   * flat however wide the crawl. @default 100000
   */
  frontierMemory?: number;
  /** Counters the crawl keeps up to date, for progress reports. @default a private instance */
  stats?: CrawlStats;
  /**
   * Makes the crawl resumable: every URL admitted is journaled before the record of the page that found it is
   * emitted, and a journal opened with `resume` hands back what an earlier run had seen and not finished (see
   * {@linkcode CrawlJournal}). One subscription per journal.
   * @default none
   */
  journal?: CrawlJournal;
}

/**
 * Crawls from the start URLs, following the links that `follow` selects, and emits one {@linkcode PageRecord} per URL
 * it attempts: exactly once per URL, in the order pages finish. A URL that fails is a record with `error` set, never an
 * error of the stream. The Observable completes by itself when nothing is queued and nothing is in flight;
 * unsubscribing aborts the requests in flight and closes every connection.
 *
 * @example
 * ```ts
 * import { lastValueFrom, map } from "rxjs";
 * import { crawl, writeCsv } from "./mod.ts";
 * await lastValueFrom(
 *   crawl({ start: "https://book.douban.com/subject/35196328/", follow: "#db-rec-section dt a", maxPages: 50 }).pipe(
 *     map((page) => ({ url: page.url, title: page.title })),
 *     writeCsv("data/out/books.csv"),
 *   ),
 * );
 * ```
 */
export function crawl(options: CrawlOptions): Observable<PageRecord> {
  const starts = startUrls(options.start);
  const concurrency = positiveInteger("concurrency", options.concurrency ?? 8);
  const maxPages = positiveInteger("maxPages", options.maxPages ?? Infinity, true);
  const maxDepth = nonNegativeInteger("maxDepth", options.maxDepth ?? Infinity, true);
  const stopGrace = nonNegativeInteger("stopGrace", options.stopGrace ?? 10_000);
  const frontierMemory = positiveInteger("frontierMemory", options.frontierMemory ?? 100_000);
  const inScope = scope(options, starts);
  const parse = parseHtml(options); // validates selectors and workers up front
  new Fetcher(options).close(); // validates the fetch options up front

  return new Observable<PageRecord>((subscriber) => {
    const stats = options.stats ?? new CrawlStats();
    const journal = options.journal;
    const seen = journal?.state.seen ?? new SeenSet();
    const frontier = new Frontier({ memoryLimit: frontierMemory });
    const requests = new Subject<CrawlRequest>();
    // Counted here, not in `stats`: a stats shared by several crawls must not eat this one's maxPages.
    let admitted = journal?.state.admitted ?? 0;
    let open = 0; // admitted URLs whose record is not out yet: at 0, the crawl is over
    // Requests handed to fetching whose record is not out yet. Counting until the record, not the end of the fetch,
    // makes parsing push back on fetching: pages never pile up, bodies and all, before slower parser threads.
    let started = 0;
    let stopping = options.signal?.aborted ?? false;

    const admit = (url: string, depth: number): void => {
      if (stopping || depth > maxDepth || admitted >= maxPages || !seen.add(url)) return;
      admitted++;
      stats.admitted++;
      open++;
      journal?.admitted(url, depth);
      frontier.push({ url, depth });
    };
    const settle = (): void => {
      if (--open === 0) requests.complete();
    };
    // Requests wait in the frontier and enter the Subject only when fetching has room, so mergeMap never buffers:
    // its buffer is an array that shifts in O(n) once large, and would hold the whole frontier in memory.
    const pump = (): void => {
      while (started < concurrency && frontier.size > 0 && !stopping && !subscriber.closed) {
        started++;
        requests.next(frontier.shift()!);
      }
    };

    const fetcher = new Fetcher({
      ...options,
      // A redirect target counts as seen, so it is never fetched a second time, and it must stay in scope.
      onRedirect: (target): CrawlErrorCode | undefined => {
        if (!inScope(target)) return "ESCOPE";
        if (!seen.add(target)) return "EDUPLICATE";
        journal?.redirected(target);
        return undefined;
      },
    });
    let graceTimer: NodeJS.Timeout | undefined;
    const onStop = () => {
      stopping = true;
      graceTimer = setTimeout(() => {
        subscription.unsubscribe(); // aborts what is still in flight
        subscriber.complete();
      }, stopGrace);
      // The URLs still waiting leave no record: a resumed crawl finds them in the journal and fetches them. With
      // nothing in flight, the crawl completes here, and its teardown clears the timer just set.
      open -= frontier.size;
      frontier.clear();
      if (open === 0) requests.complete();
    };
    options.signal?.addEventListener("abort", onStop, { once: true });

    // The feedback loop: requests flow from the Subject through fetch and parse, and each record's links flow back
    // into the Subject. `open` counts what is between the two ends, which is why this is a hand-made Observable.
    const subscription = requests
      .pipe(
        mergeMap((request) => {
          stats.inFlight++;
          return abortable((signal) => fetcher.fetch(request, signal, options.signal)).pipe(
            catchError((error: unknown) => {
              // Stopped while it waited for its host, or before a retry: like the URLs still waiting, no record.
              if (!(error instanceof CrawlError && error.code === "ESTOPPED")) throw error;
              started--;
              settle();
              return EMPTY;
            }),
            // A request leaves the flight when its page arrives, when it is stopped, or when it is aborted (an
            // unsubscription, or the end of stopGrace).
            finalize(() => stats.inFlight--),
          );
        }, concurrency),
        parse,
      )
      .subscribe({
        next: (record) => {
          stats.record(record);
          if (record.depth < maxDepth) {
            for (const link of record.links) if (inScope(link)) admit(link, record.depth + 1);
          }
          // The links are journaled before their page's record goes out to be written: whenever the process dies, a
          // row in the output has its links in the journal.
          journal?.flush();
          subscriber.next(record);
          started--;
          settle();
          pump();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });

    for (const url of starts) admit(url, 0);
    for (const request of stopping ? [] : (journal?.state.pending ?? [])) {
      stats.admitted++;
      open++;
      frontier.push(request);
    }
    journal?.flush();
    if (open === 0) requests.complete();
    else pump();

    return () => {
      clearTimeout(graceTimer);
      options.signal?.removeEventListener("abort", onStop);
      subscription.unsubscribe();
      fetcher.close();
      frontier.close();
    };
  });
}

function startUrls(start: string | readonly string[]): string[] {
  const list = typeof start === "string" ? [start] : [...start];
  if (list.length === 0) throw new UsageError("Expected at least one start URL, got none");
  return list.map((raw) => {
    const url = normalizeUrl(raw);
    if (url === undefined) throw new UsageError(`Expected a start URL with http:// or https://, got ${JSON.stringify(raw)}`);
    return url;
  });
}

function scope(options: CrawlOptions, starts: readonly string[]): (url: string) => boolean {
  const hosts = options.hosts === "any" ? undefined : new Set((options.hosts ?? starts.map(hostOf)).map((h) => h.toLowerCase()));
  const allow = patterns(options.allow ?? [], "allow");
  const deny = patterns(options.deny ?? [], "deny");
  return (url) =>
    (hosts === undefined || hosts.has(hostOf(url))) &&
    (allow.length === 0 || allow.some((re) => re.test(url))) &&
    !deny.some((re) => re.test(url));
}

function patterns(list: readonly (string | RegExp)[], name: string): RegExp[] {
  return list.map((pattern) => {
    if (pattern instanceof RegExp) return pattern;
    try {
      return new RegExp(pattern);
    } catch {
      throw new UsageError(`Expected ${name} to be a regular expression, got ${JSON.stringify(pattern)}`);
    }
  });
}
