/**
 * What a many-host site saw: every request's arrival, per host, so that politeness can be judged from the server's
 * side (the gaps between a host's consecutive requests, the requests a host had in flight at once) and a crawl's
 * completeness too (pages requested twice). Sized for a million pages: one bit per page, 12 bytes per request.
 */

/** The gaps between consecutive request arrivals at each host; see {@linkcode HostRequestLog.gaps}. */
export interface GapCount {
  /** Hosts that received at least one request. */
  hosts: number;
  /** Gaps measured: for each host, its requests minus one. */
  gaps: number;
  /** Gaps shorter than the interval asked about. */
  below: number;
  /** Hosts with at least one such gap. */
  hostsBelow: number;
  /** The shortest gap at any host, in ms; `null` when no host had two requests. */
  shortestMs: number | null;
}

/** The first and last arrival of a page request, in ms of the server's `performance.now()`. */
export interface ArrivalSpan {
  firstMs: number;
  lastMs: number;
}

/**
 * The request log of a site whose hosts are numbered 0 .. hosts-1, each with pages 0 .. pagesPerHost-1. Arrival
 * times are `performance.now()` in the server's process when the request's headers have been read, so they are as
 * precise as the server's event loop is free.
 *
 * @example
 * ```ts
 * import { HostRequestLog } from "./request_log.ts";
 * const log = new HostRequestLog(2, 10);
 * log.arrive(0, 3, 1000);
 * log.arrive(0, 4, 1200);
 * log.arrive(1, 0, 1210);
 * log.gaps(500); // { hosts: 2, gaps: 1, below: 1, hostsBelow: 1, shortestMs: 200 }
 * ```
 */
export class HostRequestLog {
  readonly hosts: number;
  readonly pagesPerHost: number;
  /** Requests received, strays included. */
  requests = 0;
  /** Requests for a page (not robots.txt, JSON or a 404). */
  pageRequests = 0;
  /** Requests for a host the site does not have (another address, or no Host header it knows). */
  strays = 0;
  /** Requests being answered now, at every host. */
  inFlight = 0;
  /** The most requests in flight at once since start or the last reset. */
  maxInFlight = 0;
  /** The most requests one host had in flight at once since start or the last reset. */
  maxInFlightPerHost = 0;
  #requested: Uint8Array;
  #distinct = 0;
  #hostInFlight: Uint32Array;
  #times = new Float64Array(1024);
  #hostOf = new Uint32Array(1024);
  #length = 0;
  #span: ArrivalSpan | undefined;

  constructor(hosts: number, pagesPerHost: number) {
    this.hosts = hosts;
    this.pagesPerHost = pagesPerHost;
    this.#requested = new Uint8Array(Math.ceil((hosts * pagesPerHost) / 8));
    this.#hostInFlight = new Uint32Array(hosts);
  }

  /**
   * Records a request's arrival: at `host` (-1 for a stray), for `page` (undefined when it is not a page), at `at`
   * ms. Every request of a host counts in its gaps, robots.txt and JSON included: a site owner feels them all.
   */
  arrive(host: number, page?: number, at: number = performance.now()): void {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (host < 0) return void this.strays++;
    const inFlight = ++this.#hostInFlight[host]!;
    this.maxInFlightPerHost = Math.max(this.maxInFlightPerHost, inFlight);
    if (this.#length === this.#times.length) this.#grow();
    this.#times[this.#length] = at;
    this.#hostOf[this.#length++] = host;
    if (page === undefined) return;
    this.pageRequests++;
    const bit = host * this.pagesPerHost + page;
    const byte = bit >>> 3;
    const mask = 1 << (bit & 7);
    if ((this.#requested[byte]! & mask) === 0) {
      this.#requested[byte]! |= mask;
      this.#distinct++;
    }
    if (this.#span === undefined) this.#span = { firstMs: at, lastMs: at };
    else this.#span.lastMs = at;
  }

  /** Records the end of a response at `host` (-1 for a stray). */
  leave(host: number): void {
    this.inFlight--;
    if (host >= 0) this.#hostInFlight[host]!--;
  }

  /** Distinct pages requested. */
  pagesRequested(): number {
    return this.#distinct;
  }

  /** Page requests beyond the first for each page: what a perfect crawler would not have asked. */
  duplicates(): number {
    return this.pageRequests - this.#distinct;
  }

  /** The first and last page request's arrival, or undefined before any. */
  span(): ArrivalSpan | undefined {
    return this.#span === undefined ? undefined : { ...this.#span };
  }

  /** The arrival times of every request at `host`, in order, in ms. */
  arrivals(host: number): number[] {
    const times: number[] = [];
    for (let i = 0; i < this.#length; i++) if (this.#hostOf[i] === host) times.push(this.#times[i]!);
    return times;
  }

  /** Counts, over every host, the gaps between consecutive arrivals, and those shorter than `minGapMs`. */
  gaps(minGapMs: number): GapCount {
    // A counting sort by host keeps each host's arrivals in their order: O(requests + hosts), no per-host arrays.
    const starts = new Uint32Array(this.hosts + 1);
    for (let i = 0; i < this.#length; i++) starts[this.#hostOf[i]! + 1]!++;
    for (let host = 0; host < this.hosts; host++) starts[host + 1]! += starts[host]!;
    const next = starts.slice(0, this.hosts);
    const sorted = new Float64Array(this.#length);
    for (let i = 0; i < this.#length; i++) sorted[next[this.#hostOf[i]!]!++] = this.#times[i]!;

    const count: GapCount = { hosts: 0, gaps: 0, below: 0, hostsBelow: 0, shortestMs: null };
    for (let host = 0; host < this.hosts; host++) {
      const from = starts[host]!;
      const to = starts[host + 1]!;
      if (to === from) continue;
      count.hosts++;
      let below = 0;
      for (let i = from + 1; i < to; i++) {
        const gap = sorted[i]! - sorted[i - 1]!;
        count.gaps++;
        if (gap < minGapMs) below++;
        if (count.shortestMs === null || gap < count.shortestMs) count.shortestMs = gap;
      }
      count.below += below;
      if (below > 0) count.hostsBelow++;
    }
    return count;
  }

  /** Forgets every request; the requests still in flight stay counted in flight. */
  reset(): void {
    this.requests = 0;
    this.pageRequests = 0;
    this.strays = 0;
    this.maxInFlight = this.inFlight;
    this.maxInFlightPerHost = this.#hostInFlight.reduce((most, n) => Math.max(most, n), 0);
    this.#requested.fill(0);
    this.#distinct = 0;
    this.#times = new Float64Array(1024);
    this.#hostOf = new Uint32Array(1024);
    this.#length = 0;
    this.#span = undefined;
  }

  #grow(): void {
    const times = new Float64Array(this.#times.length * 2);
    times.set(this.#times);
    this.#times = times;
    const hostOf = new Uint32Array(this.#hostOf.length * 2);
    hostOf.set(this.#hostOf);
    this.#hostOf = hostOf;
  }
}
