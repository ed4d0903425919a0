import { DEFAULTS } from "../defaults.ts";
import type { RobotsFetch } from "../fetch/robots.ts";
import { type CrawlRequest, nextUrl } from "../records.ts";
import { withKeys } from "../internal.ts";
import { hostOf } from "../url.ts";
import { checkSameCrawl } from "./crawl_definition.ts";
import type { CommitResult, CrawlCounts, CrawlPlan, CrawlState, Lease, LeaseBatch, OpenedCrawl, Outcome } from "./crawl_state.ts";
import { Frontier } from "./frontier.ts";
import type { CrawlJournal } from "./journal.ts";
import { SeenSet } from "./seen_set.ts";
import { positiveInteger } from "../validate.ts";

/** Options of {@linkcode LocalCrawlState}. */
export interface LocalCrawlStateOptions {
  /**
   * Requests waiting to be fetched that are kept in memory; beyond that they wait in temporary files, so memory stays
   * flat however wide the crawl. @default 100000
   */
  frontierMemory?: number;
  /**
   * Makes the crawl resumable: every URL admitted is journaled before the record of the page that found it is
   * emitted, and a journal opened with `resume` hands back what an earlier run had seen and not finished (see
   * `CrawlJournal`). @default none
   */
  journal?: CrawlJournal;
}

/**
 * The crawl state of one process, the default of `crawl()`: a {@linkcode Frontier} of per-host lines in memory that
 * spill to temporary files, a seen set of 64-bit hashes, and optionally a journal that makes the crawl resumable.
 * Everything it does completes at once; its promises only fit the shape that a shared state needs.
 *
 * @example
 * ```ts
 * import { crawl, CrawlJournal, LocalCrawlState } from "rxcrawl";
 * const journal = await CrawlJournal.open("data/out/site.csv", { resume: true });
 * crawl({ start: "https://example.com/", state: new LocalCrawlState({ journal }) });
 * ```
 */
export class LocalCrawlState implements CrawlState {
  readonly #memoryLimit: number;
  readonly #journal: CrawlJournal | undefined;
  #frontier: Frontier | undefined;
  #seen = new SeenSet();
  #maxPages = Infinity;
  /** Starts counted before this run: the rows an earlier run wrote, each a request it started. */
  #startedBefore = 0;
  readonly #counts: CrawlCounts = { admitted: 0, done: 0, errors: 0, queued: 0, leased: 0, started: 0 };
  #tokens = 0;
  /** Each host's render decision, handed out with its leases. */
  readonly #renders = new Map<string, boolean>();

  constructor(options: LocalCrawlStateOptions = {}) {
    this.#memoryLimit = positiveInteger("frontierMemory", options.frontierMemory ?? DEFAULTS.frontierMemory);
    this.#journal = options.journal;
  }

  open(plan: CrawlPlan): Promise<OpenedCrawl> {
    const { perHost, intervalMs } = plan.politeness;
    this.#frontier = new Frontier({ perHost, intervalMs, memoryLimit: this.#memoryLimit });
    this.#maxPages = plan.maxPages;
    const journal = this.#journal;
    const counts = this.#counts;
    let continued = false;
    if (journal?.resumed === true) {
      const { state } = journal;
      if (state.definition !== undefined) checkSameCrawl(state.definition, plan.definition, `the crawl of ${journal.path}`);
      this.#seen = state.seen;
      counts.admitted = state.admitted;
      counts.done = state.rows;
      // What the earlier runs wrote is what they started, as far as a resume can tell: the requests they started and
      // did not finish are fetched again, and count again.
      this.#startedBefore = state.rows;
      for (const request of state.pending) this.#frontier.push(request);
      continued = true;
    } else {
      journal?.define(plan.definition);
      for (const request of plan.start) this.#admit(request);
    }
    journal?.flush();
    return Promise.resolve({ continued, counts: this.#snapshot() });
  }

  lease(max: number): Promise<LeaseBatch> {
    const frontier = this.#frontier!;
    const now = performance.now();
    const leases = this.#take(max, now);
    // Once maxPages requests started, what never started waits for a run with a larger maxPages: the crawl is over when
    // the fetches under way are.
    const over = this.#counts.leased === 0 && (frontier.size === 0 || (this.#startsLeft() <= 0 && frontier.underway === 0));
    if (over && frontier.size === 0) this.#journal?.markComplete();
    const readyIn = leases.length < max ? frontier.readyIn(now, this.#startsLeft()) : 0;
    return Promise.resolve({ leases, over, readyIn, counts: this.#snapshot() });
  }

  claim(url: string): Promise<boolean> {
    if (!this.#seen.add(url)) return FALSE;
    this.#journal?.redirected(url);
    return TRUE;
  }

  commit(lease: Lease, outcome: Outcome, next: number): Promise<CommitResult> {
    const frontier = this.#frontier!;
    const counts = this.#counts;
    counts.leased--;
    // Paced before the lease is done: a host with nothing else waiting or taken would otherwise lose the record of its
    // last start, and the pace would count from none.
    if (outcome.pace !== undefined) frontier.pace(outcome.pace.host, outcome.pace.intervalMs);
    frontier.done(lease);
    let found: readonly CrawlRequest[] | undefined;
    if ("record" in outcome) {
      if (outcome.render !== undefined) this.#renders.set(outcome.render.host, outcome.render.render);
      counts.done++;
      if (outcome.record.error !== "") counts.errors++;
      found = outcome.found;
    } else {
      frontier.later(outcome.again, outcome.delayMs);
      found = outcome.found;
    }
    let admitted = 0;
    if (found !== undefined) for (const request of found) if (this.#admit(request)) admitted++;
    // The links are journaled before their page's record goes out to be written: whenever the process dies, a row in
    // the output has its links in the journal.
    this.#journal?.flush();
    return Promise.resolve({ accepted: true, admitted, leases: this.#take(next, performance.now()), counts: this.#snapshot() });
  }

  /**
   * Leases given back wait at the front of their hosts, started already; each stays in the journal without a row, so
   * a resumed crawl fetches it.
   */
  release(leases: readonly Lease[]): Promise<void> {
    const frontier = this.#frontier!;
    for (const { token: _token, ...request } of leases) {
      this.#counts.leased--;
      frontier.done(request);
      frontier.putBack(request);
    }
    return Promise.resolve();
  }

  /** A lease's request (it has a token), or one that `reserve` took the start of (it has none). */
  sent(request: CrawlRequest): void {
    this.#frontier?.sent(request, undefined, !("token" in request));
  }

  /** Waits until no start of the host is open (given, its request not left yet), then takes the next. */
  async reserve(host: string): Promise<number> {
    const frontier = this.#frontier;
    if (frontier === undefined) return 0;
    for (;;) {
      await frontier.whenLeft(host);
      // Another reservation may have taken the start as this one waited.
      if (!frontier.isOpen(host)) return frontier.reserve(host);
    }
  }

  /** One process fetches each robots.txt once already. */
  shareRobots(fetch: RobotsFetch): RobotsFetch {
    return fetch;
  }

  /** One process keeps the crawl's cookies in its fetcher's jar already. */
  cookieStore(): undefined {
    return undefined;
  }

  close(): Promise<void> {
    this.#frontier?.close();
    return Promise.resolve();
  }

  #take(max: number, now: number): Lease[] {
    if (max <= 0) return [];
    const requests = this.#frontier!.take(max, now, this.#startsLeft());
    const leases: Lease[] = [];
    const renders = this.#renders;
    for (const request of requests) {
      const lease: Lease = withKeys(request, { token: String(++this.#tokens) });
      // A crawl that decides nothing pays nothing here, not even the host's name.
      const render = renders.size === 0 ? undefined : renders.get(hostOf(nextUrl(request)));
      // A request that comes back (a retry, a redirect's next hop, a release) may carry its last lease's decision.
      if (render !== undefined) lease.render = render;
      else if ("render" in lease) delete lease.render;
      leases.push(lease);
    }
    this.#counts.leased += leases.length;
    return leases;
  }

  /** Requests that may still start under maxPages. */
  #startsLeft(): number {
    return this.#maxPages - this.#startedBefore - this.#frontier!.started;
  }

  #admit(request: CrawlRequest): boolean {
    if (!this.#seen.add(request.url)) return false;
    this.#counts.admitted++;
    this.#journal?.admitted(request);
    this.#frontier!.push(request);
    return true;
  }

  #snapshot(): CrawlCounts {
    return { ...this.#counts, queued: this.#frontier?.size ?? 0, started: this.#startedBefore + (this.#frontier?.started ?? 0) };
  }
}

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);
