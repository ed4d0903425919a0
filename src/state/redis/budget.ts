import type { RedisConnection } from "./connection.ts";
import type { BudgetMode, CrawlShards } from "./crawl_shards.ts";
import type { CrawlKeys } from "./keys.ts";
import { GIVE_BACK, GRANT } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";

/**
 * The most starts a process holds at once, granted and not made yet: what a process that dies can cost the crawl. A
 * step takes one start per request it leases for the first time, so a grant lasts a busy process this many pages,
 * and costs it one call to Redis per that many.
 */
export const GRANT_SIZE = 16;

/** How long a process that found no start left to grant believes it, before it asks again (a larger maxPages). */
const EXHAUSTED_MS = 1000;

/**
 * The starts one process may make: the requests it leases for the first time, which `maxPages` counts.
 *
 * On a crawl of one shard the lease scripts count them against maxPages themselves (the crawl's meta is in the shard's
 * slot), and without maxPages nothing needs counting; this then only says whether a start may be made. On a crawl of
 * several shards under a finite maxPages, no script touches two shards, so none can count the whole crawl's starts as
 * it leases: the crawl's meta counts the starts *granted* to processes instead. A process takes a grant (GRANT: up to
 * {@linkcode GRANT_SIZE}, never more than maxPages minus those granted), hands each lease or commit step the number it
 * may make, takes back what the step did not make, and gives back what it still holds when it leaves (GIVE_BACK).
 *
 * So the crawl never starts more than maxPages requests: each start was granted first. A process that dies loses the
 * starts it held and had not made, at most {@linkcode GRANT_SIZE}: the crawl then ends that many short of maxPages (at
 * most 16 for each process that died holding a grant), with that many requests left waiting for a larger maxPages.
 *
 * @example
 * ```ts
 * import { Budget } from "./budget.ts";
 * const budget = new Budget(connection, crawlKeys("books"), shards);
 * const starts = await budget.take(4);
 * const [out, time, made] = await shards.step(shard, LEASE, [4, 30_000], starts);
 * budget.made(starts, Number(made));
 * ```
 */
export class Budget {
  readonly #connection: RedisConnection;
  readonly #keys: CrawlKeys;
  readonly #shards: CrawlShards;
  /** Granted and not handed to a step; handed to steps not answered yet. */
  #held = 0;
  #out = 0;
  #exhaustedUntil = 0;
  #granting: Promise<void> | undefined;

  constructor(connection: RedisConnection, keys: CrawlKeys, shards: CrawlShards) {
    this.#connection = connection;
    this.#keys = keys;
    this.#shards = shards;
  }

  get #mode(): BudgetMode {
    return this.#shards.limits.budget;
  }

  /**
   * The starts a step that leases up to `want` requests may make (0 where the scripts count alone). Tops the grant up
   * first when it is short and the crawl may have some left. Tell {@linkcode made} what the step's answer says.
   */
  async take(want: number): Promise<number> {
    if (this.#mode !== "granted" || want <= 0) return 0;
    if (this.#held < want && this.#held + this.#out < GRANT_SIZE && performance.now() >= this.#exhaustedUntil) {
      // Steps asking at once share one grant.
      await (this.#granting ??= this.#grant().finally(() => (this.#granting = undefined)));
    }
    const starts = Math.min(want, this.#held);
    this.#held -= starts;
    this.#out += starts;
    return starts;
  }

  /** Notes a step's answer: of the `starts` it was given, it made `made`; the rest are held again. */
  made(starts: number, made: number): void {
    if (this.#mode !== "granted") return;
    this.#out -= starts;
    this.#held += starts - made;
  }

  /** Whether this process may still start a request, as far as it knows: a step may then be given starts. */
  mayStart(): boolean {
    switch (this.#mode) {
      case "none":
        return true;
      case "local":
        return this.#shards.summaries[0]!.startsLeft > 0;
      case "granted":
        return this.#held + this.#out > 0 || performance.now() >= this.#exhaustedUntil;
    }
  }

  /**
   * Whether this process may still start a request, given the crawl's maxPages and the starts granted as just read:
   * it holds some, or some are left to grant.
   */
  mayStartGiven(maxPages: string, granted: number): boolean {
    if (this.#mode !== "granted") return this.mayStart();
    return this.#held + this.#out > 0 || maxPages === "inf" || Number(maxPages) - granted > 0;
  }

  /** Gives back the starts held and not handed to a step, for the other processes: this one makes no more. */
  async giveBack(): Promise<void> {
    const held = this.#held;
    if (held === 0) return;
    this.#held = 0;
    this.#exhaustedUntil = Infinity;
    await runScript(this.#connection, GIVE_BACK, [this.#keys.meta], [held]);
  }

  async #grant(): Promise<void> {
    const want = GRANT_SIZE - this.#held - this.#out;
    const granted = Number(await runScript(this.#connection, GRANT, [this.#keys.meta], [want]));
    if (granted === 0) this.#exhaustedUntil = performance.now() + EXHAUSTED_MS;
    this.#held += granted;
  }
}
