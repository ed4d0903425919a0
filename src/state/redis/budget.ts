import type { RedisConnection } from "./connection.ts";
import type { CrawlShards } from "./crawl_shards.ts";
import type { CrawlKeys } from "./keys.ts";
import { STALE_MS } from "./outbox.ts";
import { GRANT, SETTLE, UNSETTLED } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";
import type { Script } from "./scripts/script.ts";
import { FUND } from "./scripts/shard_scripts.ts";

/** How long a process that found no page left to grant believes it, before it asks again (a larger maxPages). */
const EXHAUSTED_MS = 1000;

/**
 * maxPages shared by the shards of a crawl: no script touches two shards, so none can check the whole crawl's count
 * as it admits. The crawl's keys count the pages *allotted*; a shard admits only pages granted to it, holding new
 * requests back until a grant comes. A grant is three steps: GRANT allots pages to the shard (never more than
 * maxPages minus what is allotted), FUND applies them there once (by the grant's number) and admits held-back
 * requests, handing back what it did not need, and SETTLE forgets the grant and takes back what was handed back.
 *
 * So the crawl never admits more than maxPages: what is admitted was allotted first. A process that dies between
 * GRANT and FUND leaves the grant unsettled, and another applies it later (FUND is applied once). One that dies
 * between FUND and SETTLE loses what FUND handed back: pages granted for held-back requests that had become seen
 * meanwhile (a redirect's target), usually none; the crawl may then end that many pages short of maxPages.
 *
 * @example
 * ```ts
 * import { Budget } from "./budget.ts";
 * const budget = new Budget(connection, crawlKeys("books"), shards);
 * const admitted = await budget.fund(3);
 * ```
 */
export class Budget {
  readonly #connection: RedisConnection;
  readonly #keys: CrawlKeys;
  readonly #shards: CrawlShards;
  #exhaustedUntil = 0;

  constructor(connection: RedisConnection, keys: CrawlKeys, shards: CrawlShards) {
    this.#connection = connection;
    this.#keys = keys;
    this.#shards = shards;
  }

  /** Whether shard `shard` holds requests back that a grant could admit. */
  wants(shard: number): boolean {
    const summary = this.#shards.summaries[shard]!;
    return this.#shards.limits.budget === "granted" && summary.heldBack > 0 && performance.now() >= this.#exhaustedUntil;
  }

  /** Grants shard `shard` pages for the requests it holds back, while the crawl has any left. Resolves with those admitted. */
  async fund(shard: number, force = false): Promise<number> {
    if (force) this.#exhaustedUntil = 0;
    const k = this.#keys;
    let admitted = 0;
    while (this.wants(shard)) {
      const want = this.#shards.summaries[shard]!.heldBack;
      const [seq, pages] = (await this.#run(GRANT, [k.meta, k.grants, k.grantsAt, k.grantSeq], [shard, want])) as [number, number];
      if (pages === 0) {
        this.#exhaustedUntil = performance.now() + EXHAUSTED_MS;
        break;
      }
      admitted += await this.#apply(shard, seq, pages);
    }
    return admitted;
  }

  /** Applies and settles the grants older than `STALE_MS`, left by a process that died amid one. */
  async settleStale(): Promise<void> {
    const k = this.#keys;
    const flat = (await this.#run(UNSETTLED, [k.grants, k.grantsAt], [STALE_MS])) as string[];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [shard, seq] = flat[i]!.split(":").map(Number) as [number, number];
      await this.#apply(shard, seq, Number(flat[i + 1]));
    }
  }

  async #apply(shard: number, seq: number, pages: number): Promise<number> {
    const k = this.#keys;
    const [, admitted, unused] = (await this.#shards.step(shard, FUND, [seq, pages])) as [number, number, number];
    await this.#run(SETTLE, [k.meta, k.grants, k.grantsAt], [`${shard}:${seq}`, unused]);
    return Number(admitted);
  }

  #run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.#connection, script, keys, args);
  }
}
