import { catchError, connect, EMPTY, filter, finalize, from, map, merge, mergeMap, Observable, type OperatorFunction, Subject } from "rxjs";
import { crawlConfig, type CrawlOptions } from "./crawl_options.ts";
import { CrawlError, type CrawlErrorCode } from "./errors.ts";
import { Fetcher, type FetchStep } from "./fetch/fetcher.ts";
import { abortable } from "./internal.ts";
import { parseHtml } from "./parse/parse_html.ts";
import { type CrawlRequest, type FetchedPage, type FieldsOf, nextUrl, type PageRecord } from "./records.ts";
import { politeRequests } from "./render/polite_requests.ts";
import { type PageToRead, RenderStage, type Settled } from "./render/render_stage.ts";
import { hostOf, originOf } from "./url.ts";
import type { CrawlCounts, HostPace, Lease, Outcome } from "./state/crawl_state.ts";
import { CrawlStats } from "./stats/crawl_stats.ts";

export type { CrawlOptions } from "./crawl_options.ts";

/** What the `extract` option may be, from which the type of the records' `fields` follows. */
type FieldSpec = NonNullable<CrawlOptions["extract"]>;

/** How long a process with nothing to fetch waits before asking a shared state again, at first and at most. */
const IDLE_MS = { first: 10, max: 50 };

/** Pages waiting for the browser, in concurrencies, beyond which they take fetch slots: bodies kept in memory are bounded. */
const RENDER_BACKLOG = 4;

/** A fetch step and the lease it was made for. */
type Fetched = { lease: Lease; step: FetchStep };
/** What goes to the state: a lease's outcome, with the record to emit when the page is finished. */
type Ending = { lease: Lease; outcome: Outcome; record?: PageRecord };

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
export function crawl<E extends FieldSpec = FieldSpec>(options: CrawlOptions & { extract?: E }): Observable<PageRecord<FieldsOf<E>>>;
export function crawl(options: CrawlOptions): Observable<PageRecord> {
  const config = crawlConfig(options);
  const parse = parseHtml(config.parse); // checks selectors and workers up front

  return new Observable<PageRecord>((subscriber) => {
    const stats = options.stats ?? new CrawlStats();
    stats.maxPages = config.maxPages;
    const state = config.state();
    const requests = new Subject<Lease>();
    /**
     * Leases handed to fetching whose outcome is not committed yet, by URL (a URL is leased once at a time), with the
     * pace a finished fetch learned. Held until the record is out, not until the fetch ends: parsing pushes back on
     * fetching, so pages never pile up, bodies and all, before slower parser threads.
     */
    const held = new Map<string, { lease: Lease; pace?: HostPace }>();
    let started = 0;
    /**
     * Of those, pages fetched and in the hands of the browser (waiting for a tab, or for their host's decision). Up to
     * `RENDER_BACKLOG` concurrencies of them take no fetch slot: a page waiting for the browser keeps its lease, and
     * its body, but fetching goes on for the pages that need no browser.
     */
    let rendering = 0;
    let stopping = options.signal?.aborted ?? false;
    let opened = false;
    let leasing = false;
    let committed = 0; // commits so far: a lease answered "nothing" while one went through may be stale
    let idleMs = IDLE_MS.first;
    /** The one timer that asks the state again: when its next host may start, or a shared crawl's next look. */
    let wake: { timer: NodeJS.Timeout; at: number } | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    let left = 0; // URLs waiting, over every process when the state is shared: at the end, those maxPages left
    // The browser, when pages are rendered, is closed before the crawl ends: its end leaves no process behind.
    let render: RenderStage | undefined;
    const closeThen = (notify: () => void): void => void (render === undefined ? notify() : render.close().then(notify, notify));
    const fail = (error: unknown): void => {
      stats.end("failed");
      closeThen(() => subscriber.error(error));
    };
    const complete = (): void => {
      stats.end(stopping ? "stopped" : left > 0 ? "max-pages" : "done");
      closeThen(() => subscriber.complete());
    };
    const counts = (crawled: CrawlCounts): void => {
      stats.crawl = crawled;
      left = crawled.queued;
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
    const wakeIn = (ms: number): void => {
      const at = performance.now() + ms;
      if (wake !== undefined && wake.at <= at) return;
      clearTimeout(wake?.timer);
      // At least 1 ms: a timer may fire a hair before the time it was set for, and find the host not ready yet.
      wake = { at, timer: setTimeout(() => ((wake = undefined), pump()), Math.max(1, ms)) };
    };

    // Requests are leased only when fetching has room, so mergeMap never buffers: its buffer is an array that shifts
    // in O(n) once large, and would hold the whole frontier in memory.
    const handOut = (leases: readonly Lease[]): void => {
      for (const lease of leases) {
        started++;
        held.set(lease.url, { lease });
        requests.next(lease);
      }
    };
    const pump = (): void => {
      if (leasing || !opened || stopping || subscriber.closed) return;
      const room = config.concurrency - started + Math.min(rendering, config.concurrency * RENDER_BACKLOG);
      if (room <= 0) return;
      leasing = true;
      const commitsBefore = committed;
      state.lease(room).then((batch) => {
        leasing = false;
        counts(batch.counts);
        if (stopping || subscriber.closed) {
          state.release(batch.leases).catch(fail);
          return;
        }
        handOut(batch.leases);
        if (batch.leases.length > 0) idleMs = IDLE_MS.first;
        if (batch.leases.length === room || committed !== commitsBefore) return pump();
        // Short: no host may start before readyIn, and the frontier says so rather than make a fetch slot wait.
        if (Number.isFinite(batch.readyIn)) return wakeIn(batch.readyIn);
        if (started > 0) return; // the commits of what is in flight bring links and free hosts
        if (batch.over) return requests.complete();
        // Other processes sharing the crawl are still fetching: their pages may bring links.
        wakeIn(idleMs);
        idleMs = Math.min(idleMs * 2, IDLE_MS.max);
      }, fail);
    };

    // What a page found for the crawl: a sitemap's URLs and sitemaps, at depth 0; else its links, one level deeper.
    // Links to files are left out, but not a sitemap's sitemaps (`.xml.gz`).
    const follows = (url: string): boolean => config.inScope(url) && !config.isFileLink(url);
    const found = (record: PageRecord): CrawlRequest[] => {
      if (record.found !== undefined) {
        return record.found.filter((request) => (request.kind === "sitemap" ? config.inScope(request.url) : follows(request.url)));
      }
      if (record.depth >= config.maxDepth) return [];
      return record.links.filter(follows).map((url) => ({ url, depth: record.depth + 1 }));
    };
    // The sitemaps a start origin's robots.txt names, when the crawl starts from sitemaps.
    const sitemaps = ({ lease, step }: Fetched): CrawlRequest[] => {
      if (!("again" in step) || step.sitemaps === undefined || !config.sitemapOrigins.has(originOf(nextUrl(lease)))) return [];
      return step.sitemaps.filter(config.inScope).map((url): CrawlRequest => ({ url, depth: 0, kind: "sitemap" }));
    };
    const fetcher = new Fetcher(config.fetch, {
      // A redirect target counts as seen, so it is never fetched a second time, and it must stay in scope.
      onRedirect: async (target): Promise<CrawlErrorCode | undefined> => {
        if (!config.inScope(target)) return "ESCOPE";
        return (await state.claim(target)) ? undefined : "EDUPLICATE";
      },
      shareRobots: state.shareRobots.bind(state),
      cookieStore: state.cookieStore(),
      onEvent: (event) => stats.fetchEvent(event),
    });
    if (config.render !== undefined) {
      // A rendered page's own requests are the crawl's too: robots.txt and their host's pace apply.
      const requests = politeRequests({
        robots: (url, options) => fetcher.robotsRefusal(url, options),
        reserve: (host) => state.reserve(host),
        sent: (url) => state.sent({ url, depth: 0 }),
      });
      render = new RenderStage(config.render.mode, config.render.options, { ...requests, onEvent: (event) => stats.renderEvent(event) });
    }
    // Between fetching and parsing: each page as it came, or as the browser rendered it (see RenderStage).
    const reading: OperatorFunction<PageToRead, FetchedPage> = render?.read() ?? map(({ page }) => page);
    const settling: OperatorFunction<PageRecord, Settled> = render?.settle() ?? map((record) => ({ record }));

    const onStop = (): void => {
      stopping = true;
      clearTimeout(wake?.timer);
      graceTimer = setTimeout(() => {
        subscription.unsubscribe(); // aborts what is still in flight; their leases go back in the teardown
        complete();
      }, config.stopGrace);
      // The requests not handed out yet leave no record: a resumed crawl fetches them.
      if (opened && started === 0) requests.complete();
    };
    options.signal?.addEventListener("abort", onStop, { once: true });

    // The feedback loop: leases flow from the Subject through one fetch step each, and each step's outcome goes back to
    // the state in a commit, from which the next leases come. A step that finished a page is parsed first, and its
    // links are admitted with its commit; a step that goes on later (a retry, a redirect, the robots.txt first) is
    // committed at once, and its request waits in the frontier for its host's next turn. `started` counts the leases
    // between the two ends, which is why this is a hand-made Observable.
    const subscription = requests
      .pipe(
        mergeMap((lease) => {
          stats.inFlight++;
          const step = (signal: AbortSignal) => fetcher.step(lease, { signal, stop: options.signal, sent: () => state.sent(lease) });
          return abortable(step).pipe(
            map((step): Fetched => ({ lease, step })),
            catchError((error: unknown) => {
              // Stopped before its request started: like the requests not handed out, no record.
              if (!(error instanceof CrawlError && error.code === "ESTOPPED")) throw error;
              drop(lease);
              return EMPTY;
            }),
            // A request leaves the flight when its step ends, when it is stopped, or when it is aborted (an
            // unsubscription, or the end of stopGrace).
            finalize(() => stats.inFlight--),
          );
        }, config.concurrency),
        connect((fetched) =>
          merge(
            fetched.pipe(
              filter(({ step }) => "again" in step),
              map(({ lease, step }): Ending => {
                const { again, delayMs, pace } = step as Extract<FetchStep, { again: CrawlRequest }>;
                const outcome: Outcome = { again, delayMs, found: sitemaps({ lease, step }) };
                if (pace !== undefined) outcome.pace = pace;
                return { lease, outcome };
              }),
            ),
            fetched.pipe(
              filter(({ step }) => "page" in step),
              map(({ lease, step }): PageToRead => {
                const { page, pace } = step as Extract<FetchStep, { page: unknown }>;
                if (pace !== undefined) held.set(lease.url, { lease, pace });
                if (render !== undefined) rendering++;
                return { page, host: hostOf(nextUrl(lease)), known: lease.render };
              }),
              reading,
              parse,
              settling,
              map(({ record, render: decision }): Ending => {
                if (render !== undefined) rendering--;
                const { lease, pace } = held.get(record.url)!;
                const outcome: Outcome = { record, found: found(record) };
                if (pace !== undefined) outcome.pace = pace;
                if (decision !== undefined) outcome.render = decision;
                return { lease, outcome, record };
              }),
            ),
          ),
        ),
        // Commits are sent as outcomes come and answered in that order, so records go out in the order they committed.
        // Each asks for the request that takes its lease's place, so a busy crawl makes one call to its state per step.
        mergeMap(({ lease, outcome, record }) =>
          state.commit(lease, outcome, stopping ? 0 : 1).then((result) => ({ lease, record, result })),
        ),
      )
      .subscribe({
        next: ({ lease, record, result }) => {
          committed++;
          counts(result.counts);
          held.delete(lease.url);
          started--;
          stats.admitted += result.admitted;
          // A commit refused because the lease was taken back: another process fetches the page and records it.
          if (record !== undefined && result.accepted) emit(record);
          if (stopping || subscriber.closed) state.release(result.leases).catch(fail);
          else handOut(result.leases);
          settle();
        },
        error: fail,
        complete,
      });

    // The browser starts before the first request: loading playwright-core and starting Chromium hold this thread for
    // a while, which a request already handed out would wait through, its host's pace with it. A browser that cannot
    // start fails the crawl before anything is fetched.
    const plan = { start: config.start, maxPages: config.maxPages, definition: config.definition, politeness: config.politeness };
    const open = async () => {
      const crawled = await state.open(plan);
      // The cookies the crawl starts with go in before any lease: in a shared jar, before another process fetches.
      await fetcher.ready();
      return crawled;
    };
    const opening = from(Promise.all([open(), render?.start()])).subscribe({
      next: ([crawled]) => {
        opened = true;
        stats.admitted += crawled.counts.admitted - crawled.counts.done;
        counts(crawled.counts);
        if (stopping) requests.complete();
        else pump();
      },
      error: fail,
    });

    return () => {
      stats.end("stopped"); // unsubscribed before the end: noted only if the crawl had not ended
      opening.unsubscribe();
      clearTimeout(graceTimer);
      clearTimeout(wake?.timer);
      options.signal?.removeEventListener("abort", onStop);
      subscription.unsubscribe();
      fetcher.close();
      void render?.close().catch(() => {}); // after an unsubscription: the renders aborted, nobody waits for it
      const unfinished = [...held.values()].map(({ lease }) => lease);
      held.clear();
      // Nobody listens any more: what goes wrong while letting go cannot be reported.
      (unfinished.length === 0 ? Promise.resolve() : state.release(unfinished))
        .catch(() => {})
        .finally(() => state.close().catch(() => {}));
    };
  });
}
