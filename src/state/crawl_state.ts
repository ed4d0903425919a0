import type { RobotsFetch } from "../fetch/robots.ts";
import type { HostPacer } from "../fetch/host_pacer.ts";
import type { CrawlRequest, PageRecord } from "../records.ts";
import type { CrawlDefinition } from "./crawl_definition.ts";

/** A request handed out to be fetched. It ends in one {@linkcode CrawlState.commit} or {@linkcode CrawlState.release}. */
export interface Lease extends CrawlRequest {
  /**
   * The fencing token of this hand-out: a state that takes a request back (its holder looked dead) and hands it out
   * again gives a new token, and refuses a commit with the old one.
   */
  readonly token: string;
}

/** What `crawl()` tells its state when it opens it. */
export interface CrawlPlan {
  /** The start requests: admitted when the crawl is new, and checked against the stored ones when it is not. */
  start: readonly CrawlRequest[];
  /** The most URLs the whole crawl admits. */
  maxPages: number;
  /** What defines this crawl; a state that continues a crawl refuses one defined otherwise. */
  definition: CrawlDefinition;
  /**
   * The per-host limits, for a state that holds them for every process of the crawl: requests in flight per host,
   * starts per second per host, and how long a request may hold its place (the fetch timeout, with a margin).
   */
  politeness: { perHost: number; rate: number; slotMs: number };
}

/** Counts of the whole crawl, over every process that shares it. */
export interface CrawlCounts {
  /** URLs admitted so far. */
  admitted: number;
  /** URLs whose record is committed. */
  done: number;
  /** Of those, records with an error. */
  errors: number;
  /** URLs waiting to be fetched. */
  queued: number;
  /** URLs handed out and not committed yet. */
  leased: number;
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
  /** Requests to fetch now, at most as many as asked for; none when nothing waits. */
  leases: Lease[];
  /**
   * Whether the crawl is over: nothing waits and nothing is handed out, to this process or another. With no lease and
   * not over, other processes are still fetching: ask again later, their pages may bring links.
   */
  over: boolean;
  /** The whole crawl's counts, when the state is shared. */
  counts?: CrawlCounts;
  /**
   * Records committed by a process that died before they reached its output, taken over by this one: the crawl emits
   * them as they are, so that they reach this process's output instead.
   */
  records?: PageRecord[];
}

/** What {@linkcode CrawlState.commit} did. */
export interface CommitResult {
  /** False when the lease was taken back before the commit: the page is not recorded, and must not be emitted. */
  accepted: boolean;
  /** Links of the page that were new and admitted. */
  admitted: number;
  /** The requests leased in the same step, for the slots the page frees (as many as asked for, or fewer). */
  leases: Lease[];
  /** The whole crawl's counts, when the state is shared. */
  counts?: CrawlCounts;
}

/**
 * Everything a crawl remembers, behind one asynchronous interface, so that a crawl can keep it in memory (the default,
 * `LocalCrawlState`) or share it among processes and machines (`RedisCrawlState`): the frontier of requests to fetch,
 * the set of URLs seen (redirect targets included), admission against `maxPages` (`maxDepth` is the crawl's own
 * check), leases on the requests being fetched, the atomic commit of a finished page with its links and its record,
 * per-host politeness, and the answer to "is the crawl over?".
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
  /** Hands out up to `max` requests to fetch, oldest first. */
  lease(max: number): Promise<LeaseBatch>;
  /** Marks a redirect target as seen; false when it was seen before, so the redirect is not followed. */
  claim(url: string): Promise<boolean>;
  /**
   * Records a finished page in one step: checks that `lease` still holds, admits the requests it found (its links at
   * the lease's depth + 1, or a sitemap's URLs; already in scope and within `maxDepth`) that are new, while `maxPages`
   * allows, and stores the record; then leases up to `next` requests, for the fetches the page makes room for, so
   * that a busy crawl needs one call per page.
   */
  commit(lease: Lease, record: PageRecord, found: readonly CrawlRequest[], next: number): Promise<CommitResult>;
  /** Gives leases back unfinished (a stop): their requests wait to be fetched again, by this process or another. */
  release(leases: readonly Lease[]): Promise<void>;
  /** Paces requests per host for the whole crawl; `undefined` leaves it to the crawl (one `HostLimiter`). */
  readonly pacer?: HostPacer;
  /** Wraps the fetch of a robots.txt so that each origin's file is fetched once for the whole crawl. */
  shareRobots?(fetch: RobotsFetch): RobotsFetch;
  /** Lets go of what the state holds: files, connections, leases not given back. Safe to call twice. */
  close(): Promise<void>;
}
