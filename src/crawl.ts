import { catchError, EMPTY, finalize, mergeMap, Observable, Subject } from "rxjs";
import { type CrawlConfig, type CrawlOptions, crawlConfig } from "./crawl_options.ts";
import { CrawlError, type CrawlErrorCode } from "./errors.ts";
import { Fetcher } from "./fetch/fetcher.ts";
import { abortable } from "./internal.ts";
import { parseHtml } from "./parse/parse_html.ts";
import type { CrawlRequest, PageRecord } from "./records.ts";
import { originOf } from "./url.ts";
import type { CrawlCounts, Lease } from "./state/crawl_state.ts";
import { CrawlStats } from "./stats/crawl_stats.ts";

export type { CrawlOptions } from "./crawl_options.ts";

/** How long a process with nothing to fetch waits before asking a shared state again, at first and at most. */
const IDLE_MS = { first: 10, max: 50 };

/**
 * Crawls from the start URLs, following the links that `follow` selects, and emits one {@linkcode PageRecord} per URL
 * it attempts: exactly once per URL, in the order pages finish. A URL that fails is a record with `error` set, never an
 * error of the stream. The Observable completes by itself when nothing is queued and nothing is in flight (in every
 * process, when the `state` is shared); unsubscribing aborts the requests in flight and closes every connection.
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
  const config = crawlConfig(options);
  const parse = parseHtml(config.parse); // checks selectors and workers up front

  return new Observable<PageRecord>((subscriber) => {
    const stats = options.stats ?? new CrawlStats();
    const state = config.state();
    const requests = new Subject<Lease>();
    /** Leases handed to fetching whose record is not out yet, by URL (a URL is leased once at a time). */
    const held = new Map<string, Lease>();
    // Held until the record is out, not until the fetch ends: parsing pushes back on fetching, so pages never pile up,
    // bodies and all, before slower parser threads.
    let started = 0;
    let stopping = options.signal?.aborted ?? false;
    let opened = false;
    let leasing = false;
    let committed = 0; // commits so far: a lease answered "nothing" while one went through may be stale
    let idleMs = IDLE_MS.first;
    let idleTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    let admitted = 0; // URLs this crawl admitted, over every process when the state is shared
    const fail = (error: unknown): void => {
      stats.end("failed");
      subscriber.error(error);
    };
    const complete = (): void => {
      stats.end(stopping ? "stopped" : admitted >= config.maxPages ? "max-pages" : "done");
      subscriber.complete();
    };
    const counts = (crawled: CrawlCounts | undefined): void => {
      if (crawled === undefined) return;
      stats.crawl = crawled;
      admitted = crawled.admitted;
    };
    const emit = (record: PageRecord): void => {
      stats.record(record);
      subscriber.next(record);
    };
    // A request that will not be fetched: its lease goes back, and the crawl may be over.
    const drop = (lease: Lease): void => {
      held.delete(lease.url);
      started--;
      state.release([lease]).catch(fail);
      settle();
    };
    const settle = (): void => {
      if (stopping && started === 0) requests.complete();
      else pump();
    };

    // Requests are leased only when fetching has room, so mergeMap never buffers: its buffer is an array that shifts
    // in O(n) once large, and would hold the whole frontier in memory.
    const handOut = (leases: readonly Lease[]): void => {
      for (const lease of leases) {
        started++;
        held.set(lease.url, lease);
        requests.next(lease);
      }
    };
    const pump = (): void => {
      if (leasing || !opened || stopping || subscriber.closed) return;
      const room = config.concurrency - started;
      if (room <= 0) return;
      leasing = true;
      const commitsBefore = committed;
      state.lease(room).then((batch) => {
        leasing = false;
        counts(batch.counts);
        for (const record of batch.records ?? []) emit(record);
        if (stopping || subscriber.closed) {
          state.release(batch.leases).catch(fail);
          return;
        }
        handOut(batch.leases);
        if (batch.leases.length > 0) {
          idleMs = IDLE_MS.first;
          if (batch.leases.length === room) pump();
        } else if (started === 0) {
          if (batch.over && committed === commitsBefore) requests.complete();
          else if (committed !== commitsBefore) pump();
          else {
            // Other processes sharing the crawl are still fetching: their pages may bring links.
            idleTimer = setTimeout(pump, idleMs);
            idleMs = Math.min(idleMs * 2, IDLE_MS.max);
          }
        }
      }, fail);
    };

    // What a page found for the crawl: a sitemap's URLs and sitemaps, at depth 0; else its links, one level deeper.
    const found = (record: PageRecord): CrawlRequest[] => {
      if (record.found !== undefined) return record.found.filter((request) => config.inScope(request.url));
      if (record.depth >= config.maxDepth) return [];
      return record.links.filter(config.inScope).map((url) => ({ url, depth: record.depth + 1 }));
    };
    const fetcher = new Fetcher(config.fetch, {
      // A redirect target counts as seen, so it is never fetched a second time, and it must stay in scope.
      onRedirect: async (target): Promise<CrawlErrorCode | undefined> => {
        if (!config.inScope(target)) return "ESCOPE";
        return (await state.claim(target)) ? undefined : "EDUPLICATE";
      },
      onEvent: (event) => stats.fetchEvent(event),
      ...(state.pacer === undefined ? {} : { pacer: state.pacer }),
      ...(state.shareRobots === undefined ? {} : { shareRobots: state.shareRobots.bind(state) }),
    });

    const onStop = (): void => {
      stopping = true;
      clearTimeout(idleTimer);
      graceTimer = setTimeout(() => {
        subscription.unsubscribe(); // aborts what is still in flight; their leases go back in the teardown
        complete();
      }, config.stopGrace);
      // The requests not handed out yet leave no record: a resumed crawl fetches them.
      if (opened && started === 0) requests.complete();
    };
    options.signal?.addEventListener("abort", onStop, { once: true });

    // The feedback loop: leases flow from the Subject through fetch, parse and commit, and each commit's links go back
    // to the state, from which the next leases come. `started` counts what is between the two ends, which is why this
    // is a hand-made Observable.
    const subscription = requests
      .pipe(
        mergeMap((lease) => {
          stats.inFlight++;
          return abortable((signal) => fetcher.fetch(lease, signal, options.signal)).pipe(
            catchError((error: unknown) => {
              // Stopped while it waited for its host, or before a retry: like the requests not handed out, no record.
              if (!(error instanceof CrawlError && error.code === "ESTOPPED")) throw error;
              drop(lease);
              return EMPTY;
            }),
            // A request leaves the flight when its page arrives, when it is stopped, or when it is aborted (an
            // unsubscription, or the end of stopGrace).
            finalize(() => stats.inFlight--),
          );
        }, config.concurrency),
        parse,
        // Commits are sent as pages come and answered in that order, so records go out in the order they committed.
        // Each asks for the request that takes its page's place, so a busy crawl makes one call to its state per page.
        mergeMap((record) => {
          const lease = held.get(record.url)!;
          return state.commit(lease, record, found(record), stopping ? 0 : 1).then((result) => ({ record, lease, result }));
        }),
      )
      .subscribe({
        next: ({ record, lease, result }) => {
          committed++;
          counts(result.counts);
          held.delete(lease.url);
          started--;
          stats.admitted += result.admitted;
          if (result.counts === undefined) admitted += result.admitted;
          // A commit refused because the lease was taken back: another process fetches the page and records it.
          if (result.accepted) emit(record);
          if (stopping || subscriber.closed) state.release(result.leases).catch(fail);
          else handOut(result.leases);
          settle();
        },
        error: fail,
        complete,
      });

    const { perHost, rate, timeout } = config.fetch;
    const politeness = { perHost, rate, slotMs: timeout + 10_000 };
    // The crawl opens once its start requests are known: with sitemaps, that takes the start origins' robots.txt.
    const opening = abortable((signal) => startRequests(config, fetcher, signal))
      .pipe(mergeMap((start) => state.open({ start, maxPages: config.maxPages, definition: config.definition, politeness })))
      .subscribe({
        next: (crawled) => {
          opened = true;
          stats.admitted += crawled.counts.admitted - crawled.counts.done;
          admitted = crawled.counts.admitted;
          if (stopping) requests.complete();
          else pump();
        },
        error: fail,
      });

    return () => {
      stats.end("stopped"); // unsubscribed before the end: noted only if the crawl had not ended
      opening.unsubscribe();
      clearTimeout(graceTimer);
      clearTimeout(idleTimer);
      options.signal?.removeEventListener("abort", onStop);
      subscription.unsubscribe();
      fetcher.close();
      const unfinished = [...held.values()];
      held.clear();
      // Nobody listens any more: what goes wrong while letting go cannot be reported.
      (unfinished.length === 0 ? Promise.resolve() : state.release(unfinished))
        .catch(() => {})
        .finally(() => state.close().catch(() => {}));
    };
  });
}

/** The start requests, with the sitemaps of the start URLs' origins when the crawl starts from sitemaps too. */
async function startRequests(config: CrawlConfig, fetcher: Fetcher, signal: AbortSignal): Promise<CrawlRequest[]> {
  if (!config.sitemap || config.start.length === 0) return config.start;
  const origins = [...new Set(config.start.map((request) => originOf(request.url)))];
  const sitemaps = (await Promise.all(origins.map((origin) => fetcher.sitemapsOf(`${origin}/`, signal)))).flat();
  const listed = new Set(config.start.map((request) => request.url));
  const more = sitemaps.filter((url) => !listed.has(url) && config.inScope(url));
  return [...config.start, ...more.map((url): CrawlRequest => ({ url, depth: 0, kind: "sitemap" }))];
}
