import { DEFAULTS } from "../defaults.ts";
import type { CrawlRequest, PageRecord } from "../records.ts";
import { positiveInteger } from "../validate.ts";
import { checkSameCrawl } from "./crawl_definition.ts";
import type { CommitResult, CrawlPlan, CrawlState, Lease, LeaseBatch, OpenedCrawl } from "./crawl_state.ts";
import { Frontier } from "./frontier.ts";
import type { CrawlJournal } from "./journal.ts";
import { SeenSet } from "./seen_set.ts";

/** Options of {@linkcode LocalCrawlState}. */
export interface LocalCrawlStateOptions {
  /**
   * Requests waiting to be fetched that are kept in memory; beyond that they wait in a temporary file, so memory stays
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
 * The crawl state of one process, the default of `crawl()`: a frontier in memory that spills to a temporary file, a
 * seen set of 64-bit hashes, and optionally a journal that makes the crawl resumable. Everything it does completes at
 * once; its promises only fit the shape that a shared state needs.
 *
 * @example
 * ```ts
 * import { crawl, CrawlJournal, LocalCrawlState } from "rxcrawl";
 * const journal = await CrawlJournal.open("data/out/site.csv", { resume: true });
 * crawl({ start: "https://example.com/", state: new LocalCrawlState({ journal }) });
 * ```
 */
export class LocalCrawlState implements CrawlState {
  readonly #frontier: Frontier;
  readonly #journal: CrawlJournal | undefined;
  #seen = new SeenSet();
  #admitted = 0;
  #maxPages = Infinity;
  /** Requests handed out and not committed or released. */
  #leased = 0;
  #tokens = 0;

  constructor(options: LocalCrawlStateOptions = {}) {
    const memoryLimit = positiveInteger("frontierMemory", options.frontierMemory ?? DEFAULTS.frontierMemory);
    this.#frontier = new Frontier({ memoryLimit });
    this.#journal = options.journal;
  }

  open(plan: CrawlPlan): Promise<OpenedCrawl> {
    this.#maxPages = plan.maxPages;
    const journal = this.#journal;
    let continued = false;
    if (journal?.resumed === true) {
      const { state } = journal;
      if (state.definition !== undefined) checkSameCrawl(state.definition, plan.definition, `the crawl of ${journal.path}`);
      this.#seen = state.seen;
      this.#admitted = state.admitted;
      for (const request of state.pending) this.#frontier.push(request);
      continued = true;
    } else {
      journal?.define(plan.definition);
      for (const request of plan.start) this.#admit(request);
    }
    journal?.flush();
    const queued = this.#frontier.size;
    const done = continued ? journal!.state.rows : 0;
    return Promise.resolve({ continued, counts: { admitted: this.#admitted, done, errors: 0, queued, leased: 0 } });
  }

  lease(max: number): Promise<LeaseBatch> {
    const leases = this.#take(max);
    return Promise.resolve({ leases, over: this.#frontier.size === 0 && this.#leased === 0 });
  }

  claim(url: string): Promise<boolean> {
    if (!this.#seen.add(url)) return FALSE;
    this.#journal?.redirected(url);
    return TRUE;
  }

  commit(_lease: Lease, _record: PageRecord, found: readonly CrawlRequest[], next: number): Promise<CommitResult> {
    this.#leased--;
    let admitted = 0;
    for (const request of found) if (this.#admit(request)) admitted++;
    // The links are journaled before their page's record goes out to be written: whenever the process dies, a row in
    // the output has its links in the journal.
    this.#journal?.flush();
    return Promise.resolve({ accepted: true, admitted, leases: this.#take(next) });
  }

  /** A request given back stays in the journal without a row: a resumed crawl fetches it again. */
  release(leases: readonly Lease[]): Promise<void> {
    this.#leased -= leases.length;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#frontier.close();
    return Promise.resolve();
  }

  #take(max: number): Lease[] {
    const leases: Lease[] = [];
    while (leases.length < max && this.#frontier.size > 0) {
      leases.push({ ...this.#frontier.shift()!, token: String(++this.#tokens) });
    }
    this.#leased += leases.length;
    return leases;
  }

  #admit(request: CrawlRequest): boolean {
    if (this.#admitted >= this.#maxPages || !this.#seen.add(request.url)) return false;
    this.#admitted++;
    this.#journal?.admitted(request);
    this.#frontier.push(request);
    return true;
  }
}

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);
