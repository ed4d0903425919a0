import type { SharedCookieStore } from "../fetch/cookie_jar.ts";
import type { RobotsFetch } from "../fetch/robots.ts";
import type { CrawlRequest, PageRecord } from "../records.ts";
import type { CrawlDefinition } from "./crawl_definition.ts";

/**
 * A request handed out to be fetched: the right to send ONE HTTP request to the host of its next URL
 * (`nextUrl(lease)`), now. It ends in one {@linkcode CrawlState.commit} (the page finished, or its fetch goes on later)
 * or {@linkcode CrawlState.release}.
 */
export interface Lease extends CrawlRequest {
  /**
   * The fencing token of this hand-out: a state that takes a request back (its holder looked dead) and hands it out
   * again gives a new token, and refuses a commit with the old one.
   */
  readonly token: string;
  /**
   * How its host's pages are read, as the crawl's `render: "auto"` decided and committed it (see
   * {@linkcode HostRender}): in a browser (true) or over HTTP alone (false). Absent while the host is undecided, and
   * in a crawl that does not decide.
   */
  render?: boolean;
}

/** What `crawl()` tells its state when it opens it. */
export interface CrawlPlan {
  /** The start requests: admitted when the crawl is new, and checked against the stored ones when it is not. */
  start: readonly CrawlRequest[];
  /**
   * The most requests the whole crawl starts: a request's first lease counts once (not its retries, its redirects'
   * hops, nor a lease given back and handed out again). Every link in scope is admitted whatever it is; those that never
   * start wait for a run with a larger one.
   */
  maxPages: number;
  /** What defines this crawl; a state that continues a crawl refuses one defined otherwise. */
  definition: CrawlDefinition;
  /** The per-host limits the frontier keeps, for every process of the crawl. */
  politeness: Politeness;
}

/** What the frontier holds every host to. */
export interface Politeness {
  /** Leases held at once per host (a lease lasts from its hand-out to its commit or release). `Infinity` for none. */
  perHost: number;
  /** The least time between two starts on one host, in ms (`1000 / rate`); 0 for none. */
  intervalMs: number;
}

/** Counts of the whole crawl, over every process that shares it. */
export interface CrawlCounts {
  /** URLs admitted so far: every new link in scope. */
  admitted: number;
  /** URLs whose record is committed. */
  done: number;
  /** Of those, records with an error. */
  errors: number;
  /** URLs waiting to be fetched, the fetches under way that wait for their next step included. */
  queued: number;
  /** URLs handed out and not committed yet. */
  leased: number;
  /**
   * Requests started: leased for the first time, which `maxPages` counts (on a resumed local crawl, the rows written
   * before count as started).
   */
  started: number;
}

/** What {@linkcode CrawlState.open} found. */
export interface OpenedCrawl {
  /** Whether the crawl existed before (a resume, or a process joining), so that `start` was not admitted again. */
  continued: boolean;
  /** Records committed before, and what is still to fetch. */
  counts: CrawlCounts;
}

/** What {@linkcode CrawlState.lease} hands out. */
export interface LeaseBatch {
  /**
   * Requests whose hosts may start now, at most as many as asked for, taken from the ready hosts in turn (one each
   * before any gets a second); none when no host may start.
   */
  leases: Lease[];
  /**
   * Whether the crawl is over: nothing is handed out, to this process or another, and nothing waits that may still
   * be fetched (once `maxPages` requests started, only the fetches under way may: what never started is left waiting,
   * and `counts.queued` says how much). With no lease and not over, either a host is not ready yet (see `readyIn`) or
   * other processes are still fetching: their pages may bring links.
   */
  over: boolean;
  /**
   * When fewer leases came than were asked for: the ms until a request waiting in this state may start (its host's
   * next start, a retry's backoff; once `maxPages` requests started, only a fetch under way counts); `Infinity` when
   * none waits (only what is in flight, here or elsewhere, can bring more). 0 when the batch is full.
   */
  readyIn: number;
  /** The whole crawl's counts (over every process, when the state is shared). */
  counts: CrawlCounts;
}

/**
 * What became of a lease: its page is finished (a record, with what it found), or its fetch goes on later (the same
 * request with its progress: a retry after a backoff, a redirect's next hop, the page after its robots.txt).
 */
export type Outcome = Finished | Continued;

/** A page whose fetch is over: its record is kept and emitted once, and what it found is admitted. */
export interface Finished {
  record: PageRecord;
  /**
   * The requests it found: its links at the lease's depth + 1, or a sitemap's URLs at depth 0; already in scope and
   * within `maxDepth`. New ones are admitted, whatever `maxPages`: it counts starts, not admissions.
   */
  found: readonly CrawlRequest[];
  /** A change to a host's pace that the fetch learned (a `Crawl-delay`, a host that blocks). */
  pace?: HostPace;
  /** How its host's pages are to be read from now on, as reading this page decided (`render: "auto"`). */
  render?: HostRender;
}

/** A fetch that goes on later: no record yet; the request waits again, for its next URL's host. */
export interface Continued {
  /** The lease's request, its `progress` updated. */
  again: CrawlRequest;
  /** The least ms before it may start again (a retry's backoff, `Retry-After`); its host's pace applies as well. */
  delayMs: number;
  /** Requests found on the way (the sitemaps a robots.txt names), admitted as {@linkcode Finished.found} is. */
  found?: readonly CrawlRequest[];
  pace?: HostPace;
}

/** A host's own least interval between starts, from now on: never shorter than the crawl's. */
export interface HostPace {
  host: string;
  intervalMs: number;
}

/**
 * A host's render decision: whether its pages need a browser. The state keeps the last one committed for each host
 * and hands it out with the host's leases ({@linkcode Lease.render}), so that every process of a shared crawl reads a
 * host's pages the same way.
 */
export interface HostRender {
  host: string;
  render: boolean;
}

/** What {@linkcode CrawlState.commit} did. */
export interface CommitResult {
  /** False when the lease was taken back before the commit: nothing is recorded, and the page must not be emitted. */
  accepted: boolean;
  /** Requests it found that were new and admitted. */
  admitted: number;
  /** The requests leased in the same step, for the slots the page frees (as many as asked for, or fewer). */
  leases: Lease[];
  /** The whole crawl's counts (over every process, when the state is shared). */
  counts: CrawlCounts;
}

/**
 * Everything a crawl remembers, behind one asynchronous interface, so that a crawl can keep it in memory (the default,
 * `LocalCrawlState`) or share it among processes and machines (`RedisCrawlState`): the frontier of requests to fetch,
 * the set of URLs seen (redirect targets included), the count of requests started against `maxPages` (`maxDepth` is
 * the crawl's own check), leases on the requests being fetched, the atomic commit of a finished page with its links and its record,
 * and the answer to "is the crawl over?".
 *
 * The frontier decides what starts: requests wait in per-host queues (within a host, a fetch under way first, then
 * shallower pages, then first come), hosts are ordered by when each may next start (its interval from its last start,
 * its leases against `perHost`), and `lease` hands out only requests whose hosts may start now. So a fetch never
 * waits for politeness: every HTTP request of a crawl, retries, redirects and robots.txt included, is one lease.
 *
 * A state serves one `crawl()` subscription: `open` once, then any number of `lease`, `claim`, `commit` and `release`,
 * then `close`.
 *
 * @example
 * ```ts
 * import { crawl, LocalCrawlState } from "rxcrawl";
 * crawl({ start: "https://example.com/", state: new LocalCrawlState() });
 * ```
 */
export interface CrawlState {
  /** Starts the crawl from `plan.start`, or continues the one that exists; a different definition is a `UsageError`. */
  open(plan: CrawlPlan): Promise<OpenedCrawl>;
  /**
   * Hands out up to `max` requests whose hosts may start now, the ready hosts in turn; a request leased for the first
   * time takes one of `maxPages`, and once none is left only the fetches under way are handed out.
   */
  lease(max: number): Promise<LeaseBatch>;
  /** Marks a redirect target as seen; false when it was seen before, so the redirect is not followed. */
  claim(url: string): Promise<boolean>;
  /**
   * Ends a lease in one step: checks that it still holds; for a finished page, stores its record and admits what it
   * found that is new; for a fetch that goes on, puts its request back to wait for its next host and its delay;
   * applies the outcome's `pace` and keeps its `render` decision; then leases up to `next` requests, for the fetches
   * the lease makes room for, so that a busy crawl needs one call per page.
   */
  commit(lease: Lease, outcome: Outcome, next: number): Promise<CommitResult>;
  /**
   * Gives leases back unfinished (a stop): their requests wait at the front of their hosts to be fetched again, by this
   * process or another, as fetches under way (started already: `maxPages` does not count them twice).
   */
  release(leases: readonly Lease[]): Promise<void>;
  /**
   * Notes that an HTTP request to the host of `nextUrl(request)` has just left: a lease's, or one `reserve` took a
   * start for. On a host with an interval, a start is open from its hand-out until then, in every process: the host
   * gives no other start, leased or reserved, and its next start counts from when the request left, however late, so
   * that two requests to a host never leave closer than its interval. A start whose request never leaves closes where
   * it was given when its lease ends (a commit, a release, a lease that lapses).
   */
  sent(request: CrawlRequest): void;
  /**
   * Takes a start on `host` for a request that no lease covers (the requests a rendered page makes to its own host),
   * once no start of the host is open: resolves with the ms to wait before sending it, and the host's next start moves
   * past it. The start is open until `sent` says its request left.
   */
  reserve(host: string): Promise<number>;
  /** Wraps the fetch of a robots.txt so that each origin's file is fetched once for the whole crawl. */
  shareRobots(fetch: RobotsFetch): RobotsFetch;
  /**
   * The store of the crawl's cookie jar, when the state keeps it for every process that shares it (a cookie one
   * process receives is sent by all); `undefined` when the crawl's one process keeps its jar itself. Usable once the
   * crawl is open.
   */
  cookieStore(): SharedCookieStore | undefined;
  /** Lets go of what the state holds: files, connections, leases not given back. Safe to call twice. */
  close(): Promise<void>;
}
