import { isPageType } from "../fetch/content_type.ts";
import type { FetchEvent } from "../fetch/fetcher.ts";
import type { RenderEvent } from "../render/render_stage.ts";
import type { PageRecord } from "../records.ts";
import type { CrawlCounts } from "../state/crawl_state.ts";
import { hostOf } from "../url.ts";
import type { CrawlSummary, FinishReason, RenderSummary } from "./crawl_summary.ts";
import { Distribution } from "./distribution.ts";

/** The buckets a report shows: response times in ms, and body sizes in bytes. */
const MS_BOUNDS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000];
const BYTE_BOUNDS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192].map((kb) => kb * 1024);
/** The timeline keeps at most this many buckets: past that, pairs merge and buckets double in width. */
const TIMELINE_BUCKETS = 600;
const SLOWEST = 10;
const FAILING = 100;
const HOSTS_SHOWN = 20;
/** Hosts counted one by one; the records of any further host are left out of `hosts`, so memory stays bounded. */
const HOSTS_COUNTED = 10_000;

/**
 * A running crawl's counters, and what its summary is made of. Pass one to `crawl({ stats })`: the crawl updates the
 * live counters (for a progress line) and records every page in it; {@linkcode summary} then gives the statistics of
 * the crawl (`CrawlSummary`: statuses, errors by code, retries, bytes, depths, response times, why it ended …), which
 * the pipelines print at their end and write with `--stats`. Memory stays bounded however long the crawl.
 *
 * @example
 * ```ts
 * import { CrawlStats } from "./crawl_stats.ts";
 * const stats = new CrawlStats();
 * // crawl({ start, stats }) ...
 * `${stats.done} done, ${stats.queued} queued, ${stats.pagesPerSecond().toFixed(1)} pages/s`;
 * stats.summary().statusClasses; // { "2xx": 198, "4xx": 2 }
 * ```
 */
export class CrawlStats {
  /**
   * URLs admitted to the crawl: each leaves one record, unless the crawl is stopped first or `maxPages` leaves it
   * waiting.
   */
  admitted = 0;
  /** URLs whose record was emitted. */
  done = 0;
  /** Records emitted with an error. */
  errors = 0;
  /** Requests being fetched now. */
  inFlight = 0;
  /** The whole crawl's counts, as its state gives them (over every process when it is shared); `undefined` before it opens. */
  crawl: CrawlCounts | undefined = undefined;
  /** The crawl's `maxPages`, against which the progress line shows the requests started; the crawl sets it. */
  maxPages = Infinity;
  /** Why the crawl ended, once it has: the crawl sets it. */
  finish: FinishReason = "done";
  /** When the crawl started, from `performance.now()`. */
  readonly startedAt = performance.now();
  readonly #started = new Date();
  /** When the crawl ended, from `performance.now()`. */
  #endedAt: number | undefined;
  readonly #statuses = new Map<number, number>();
  readonly #codes = new Map<string, number>();
  readonly #depths = new Map<number, number>();
  readonly #hosts = new Map<string, { pages: number; errors: number }>();
  #files = 0;
  #requests = 0;
  #retries = 0;
  #redirects = 0;
  #wire = 0;
  #decoded = 0;
  readonly #responseMs = new Distribution(MS_BOUNDS);
  readonly #bodyBytes = new Distribution(BYTE_BOUNDS);
  readonly #timeline = { bucketSeconds: 1, pages: [] as number[], errors: [] as number[] };
  readonly #slowest: CrawlSummary["slowest"] = [];
  readonly #failing: CrawlSummary["failing"] = [];
  readonly #proxies = new Map<string, { requests: number; benched: number }>();
  readonly #blockedHosts = new Map<string, { responses: number; slowestMs: number }>();
  #blocked = 0;
  /** What the browser did, once the crawl said it renders; its hosts counted apart, by pages rendered. */
  #render: Omit<RenderSummary, "hosts"> | undefined;
  readonly #renderHosts = new Map<string, { pages: number; compared: number }>();

  /** Counts one finished page, and records it for the summary. */
  record(page: PageRecord): void {
    const failed = page.error !== "";
    this.done++;
    if (failed) this.errors++;
    increment(this.#statuses, page.status);
    increment(this.#depths, page.depth);
    if (failed) increment(this.#codes, page.errorCode || "EUNKNOWN");
    if (isFile(page)) this.#files++;
    if (page.rendered === true && this.#render !== undefined) this.#render.rows++;
    this.#requests += page.attempts;
    this.#retries += page.retries;
    this.#redirects += page.redirects;
    this.#wire += page.wireBytes;
    this.#decoded += page.bytes;
    if (page.status > 0) this.#responseMs.add(page.responseMs);
    if (page.bytes > 0) this.#bodyBytes.add(page.bytes);
    this.#tick(failed);
    if (page.status > 0 && (this.#slowest.length < SLOWEST || page.responseMs > this.#slowest.at(-1)!.ms)) {
      this.#slowest.push({ url: page.url, ms: page.responseMs, status: page.status });
      this.#slowest.sort((a, b) => b.ms - a.ms);
      this.#slowest.length = Math.min(this.#slowest.length, SLOWEST);
    }
    if (failed && this.#failing.length < FAILING) {
      this.#failing.push({ url: page.url, status: page.status, code: page.errorCode, error: page.error });
    }
    const host = hostOf(page.url);
    let counted = this.#hosts.get(host);
    if (counted === undefined && this.#hosts.size < HOSTS_COUNTED) this.#hosts.set(host, (counted = { pages: 0, errors: 0 }));
    if (counted !== undefined) {
      counted.pages++;
      if (failed) counted.errors++;
    }
  }

  /** Counts what the fetcher told: a request through a proxy, a proxy benched, a response that looked like a block. */
  fetchEvent(event: FetchEvent): void {
    if (event.type === "block") {
      this.#blocked++;
      let host = this.#blockedHosts.get(event.host);
      if (host === undefined && this.#blockedHosts.size < HOSTS_COUNTED) this.#blockedHosts.set(event.host, (host = { responses: 0, slowestMs: 0 }));
      if (host === undefined) return;
      host.responses++;
      host.slowestMs = Math.max(host.slowestMs, event.intervalMs);
      return;
    }
    let proxy = this.#proxies.get(event.proxy);
    if (proxy === undefined) this.#proxies.set(event.proxy, (proxy = { requests: 0, benched: 0 }));
    if (event.type === "request") proxy.requests++;
    else proxy.benched++;
  }

  /** Counts what the render stage told: that the crawl renders, then each page rendered and the browser's counts. */
  renderEvent(event: RenderEvent): void {
    if (event.type === "start") {
      this.#render ??= { mode: event.mode, pages: 0, compared: 0, failed: 0, rows: 0, browser: { launches: 0, crashes: 0, memoryRestarts: 0, peakBytes: 0 } };
      return;
    }
    const render = this.#render;
    if (render === undefined) return;
    render.pages++;
    if (event.compared) render.compared++;
    if (event.failed) render.failed++;
    const { launches, crashes, memoryRestarts, peakBrowserBytes } = event.browser;
    render.browser = { launches, crashes, memoryRestarts, peakBytes: peakBrowserBytes };
    let host = this.#renderHosts.get(event.host);
    if (host === undefined && this.#renderHosts.size < HOSTS_COUNTED) this.#renderHosts.set(event.host, (host = { pages: 0, compared: 0 }));
    if (host === undefined) return;
    host.pages++;
    if (event.compared) host.compared++;
  }

  /** Marks the crawl over, and why; the crawl calls it. The first call counts. */
  end(finish: FinishReason): void {
    if (this.#endedAt !== undefined) return;
    this.finish = finish;
    this.#endedAt = performance.now();
  }

  /** Admitted URLs waiting for a fetch slot. */
  get queued(): number {
    return Math.max(0, this.admitted - this.done - this.inFlight);
  }

  /** Seconds since the crawl started, up to its end once it ended. */
  elapsed(): number {
    return ((this.#endedAt ?? performance.now()) - this.startedAt) / 1000;
  }

  /** Records per second since the start. */
  pagesPerSecond(): number {
    const seconds = this.elapsed();
    return seconds > 0 ? this.done / seconds : 0;
  }

  /** The statistics of the crawl so far, as `--stats` writes them. */
  summary(): CrawlSummary {
    const elapsedSeconds = this.elapsed();
    const sorted = <K>(map: Map<K, number>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const statusClasses: Record<string, number> = {};
    for (const [status, count] of sorted(this.#statuses)) {
      const name = status === 0 ? "none" : `${Math.floor(status / 100)}xx`;
      statusClasses[name] = (statusClasses[name] ?? 0) + count;
    }
    return {
      format: 1,
      startedAt: this.#started.toISOString(),
      finishedAt: new Date(this.#started.getTime() + elapsedSeconds * 1000).toISOString(),
      elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
      finish: this.finish,
      left: this.crawl?.queued ?? 0,
      pages: this.done,
      ok: this.done - this.errors,
      files: this.#files,
      errors: this.errors,
      pagesPerSecond: Math.round(this.pagesPerSecond() * 10) / 10,
      statusClasses,
      statuses: Object.fromEntries(sorted(this.#statuses).map(([status, count]) => [String(status), count])),
      errorCodes: Object.fromEntries(sorted(this.#codes)),
      depths: Object.fromEntries(sorted(this.#depths).map(([depth, count]) => [String(depth), count])),
      requests: this.#requests,
      retries: this.#retries,
      redirects: this.#redirects,
      robotsRefusals: this.#codes.get("EROBOTS") ?? 0,
      bytes: { wire: this.#wire, decoded: this.#decoded },
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      timeline: { bucketSeconds: this.#timeline.bucketSeconds, pages: [...this.#timeline.pages], errors: [...this.#timeline.errors] },
      responseMs: this.#responseMs.toJSON(),
      bodyBytes: this.#bodyBytes.toJSON(),
      slowest: this.#slowest.map((entry) => ({ ...entry })),
      failing: this.#failing.map((entry) => ({ ...entry })),
      hosts: [...this.#hosts]
        .sort(([a, x], [b, y]) => y.pages - x.pages || (a < b ? -1 : 1))
        .slice(0, HOSTS_SHOWN)
        .map(([host, { pages, errors }]) => ({ host, pages, errors })),
      proxies: [...this.#proxies].map(([proxy, counts]) => ({ proxy, ...counts })),
      blocks: {
        responses: this.#blocked,
        hosts: [...this.#blockedHosts]
          .sort(([a, x], [b, y]) => y.responses - x.responses || (a < b ? -1 : 1))
          .slice(0, HOSTS_SHOWN)
          .map(([host, counts]) => ({ host, ...counts })),
      },
      ...(this.#render === undefined ? {} : { render: this.#renderSummary(this.#render) }),
    };
  }

  #renderSummary(render: Omit<RenderSummary, "hosts">): RenderSummary {
    const hosts = [...this.#renderHosts]
      .sort(([a, x], [b, y]) => y.pages - x.pages || (a < b ? -1 : 1))
      .slice(0, HOSTS_SHOWN)
      .map(([host, counts]) => ({ host, ...counts }));
    return { ...render, browser: { ...render.browser }, hosts };
  }

  /** Counts a record in the timeline's bucket of now, merging pairs of buckets when there would be too many. */
  #tick(failed: boolean): void {
    const timeline = this.#timeline;
    let index = Math.floor((performance.now() - this.startedAt) / 1000 / timeline.bucketSeconds);
    while (index >= TIMELINE_BUCKETS) {
      timeline.bucketSeconds *= 2;
      timeline.pages = merge(timeline.pages);
      timeline.errors = merge(timeline.errors);
      index = Math.floor(index / 2);
    }
    while (timeline.pages.length <= index) {
      timeline.pages.push(0);
      timeline.errors.push(0);
    }
    timeline.pages[index]!++;
    if (failed) timeline.errors[index]!++;
  }
}

/**
 * Whether a record is of a file rather than a page: it got an answer of another type than HTML or XML, whose body was
 * not downloaded (a sitemap is read whatever its type, and is a page).
 */
function isFile(page: PageRecord): boolean {
  return page.error === "" && page.status > 0 && page.kind !== "sitemap" && !isPageType(page.contentType);
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Buckets two by two. */
function merge(buckets: number[]): number[] {
  const merged: number[] = [];
  for (let i = 0; i < buckets.length; i += 2) merged.push(buckets[i]! + (buckets[i + 1] ?? 0));
  return merged;
}
