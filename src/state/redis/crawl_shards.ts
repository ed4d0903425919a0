import type { CrawlCounts } from "../crawl_state.ts";
import type { RedisConnection } from "./connection.ts";
import { shardPrefix } from "./keys.ts";
import { runScript } from "./scripts/run_script.ts";
import type { Script } from "./scripts/script.ts";
import { shardOf, shardTags } from "./shards.ts";

/** How a shard admits under maxPages (see admission_lua.ts). */
export type BudgetMode = "none" | "local" | "granted";

/** What every process of a crawl holds its shards to. */
export interface ShardLimits {
  perHost: number;
  intervalMs: number;
  budget: BudgetMode;
  /** The most members of a seen-set bucket: the server's `set-max-intset-entries`. */
  splitAt: number;
}

/** A shard as its last answer described it (see `summary` in shard_lua.ts). */
export interface ShardSummary {
  counts: CrawlCounts;
  /** Bumped by every change to the shard's counts, queues or outbox. */
  version: number;
  /** Hosts that may start now. */
  readyHosts: number;
  /** When a request waiting here may start (`performance.now()` time); `Infinity` when none waits. */
  readyAt: number;
  /** Entries for other shards, and the age of the oldest in ms (-1: none). */
  outbox: number;
  oldestOutboxMs: number;
  /** Requests held back beyond maxPages, and pages granted and not used. */
  heldBack: number;
  budget: number;
  /** When this answer came (`performance.now()`); 0 before any. */
  heardAt: number;
}

/**
 * The shards of one crawl, as one process sees them: each shard's tag and the last summary it sent, and how to run a
 * shard script on one. Every shard script answers with its shard's summary, so a process learns where work waits
 * from the calls it makes anyway.
 *
 * @example
 * ```ts
 * import { CrawlShards } from "./crawl_shards.ts";
 * const shards = new CrawlShards(connection, "books", 16, "w1", limits);
 * const [out] = await shards.step(shards.of("example.com"), LEASE, [4, 30_000]);
 * ```
 */
export class CrawlShards {
  readonly count: number;
  readonly prefixes: readonly string[];
  readonly summaries: ShardSummary[];
  limits: ShardLimits;
  readonly #connection: RedisConnection;
  readonly #worker: string;

  constructor(connection: RedisConnection, crawlId: string, count: number, worker: string, limits: ShardLimits) {
    this.#connection = connection;
    this.#worker = worker;
    this.count = count;
    this.limits = limits;
    this.prefixes = shardTags(crawlId, count).map(shardPrefix);
    this.summaries = this.prefixes.map(() => emptySummary());
  }

  /** The shard of a host. */
  of(host: string): number {
    return shardOf(host, this.count);
  }

  /** Runs a shard script on shard `shard` with its own `args`, and returns its answer. */
  run(shard: number, script: Script, args: readonly (string | number)[]): Promise<unknown> {
    const prefix = this.prefixes[shard]!;
    const { perHost, intervalMs, budget, splitAt } = this.limits;
    const head = [prefix, limit(perHost), intervalMs, budget, this.#worker, shard, splitAt];
    return runScript(this.#connection, script, [`${prefix}counts`], [...head, ...args]);
  }

  /** Runs a shard script that answers with its summary last: notes the summary, and returns the rest. */
  async step(shard: number, script: Script, args: readonly (string | number)[]): Promise<unknown[]> {
    const reply = (await this.run(shard, script, args)) as unknown[];
    this.note(shard, reply.at(-1) as number[]);
    return reply.slice(0, -1);
  }

  /** Notes a summary of shard `shard`. */
  note(shard: number, raw: readonly number[]): void {
    const [admitted, done, errors, queued, leased, version, readyHosts, readyIn, outbox, oldestOutboxMs, heldBack, budget] = raw.map(Number) as [
      number, number, number, number, number, number, number, number, number, number, number, number,
    ];
    const heardAt = performance.now();
    this.summaries[shard] = {
      counts: { admitted, done, errors, queued, leased },
      version,
      readyHosts,
      readyAt: readyIn < 0 ? Infinity : heardAt + readyIn,
      outbox,
      oldestOutboxMs,
      heldBack,
      budget,
      heardAt,
    };
  }

  /** The crawl's counts, summed over the shards' last summaries. */
  counts(): CrawlCounts {
    const sum: CrawlCounts = { admitted: 0, done: 0, errors: 0, queued: 0, leased: 0 };
    for (const { counts } of this.summaries) {
      for (const name of Object.keys(sum) as (keyof CrawlCounts)[]) sum[name] += counts[name];
    }
    return sum;
  }
}

function emptySummary(): ShardSummary {
  return {
    counts: { admitted: 0, done: 0, errors: 0, queued: 0, leased: 0 },
    version: -1,
    readyHosts: 0,
    readyAt: 0,
    outbox: 0,
    oldestOutboxMs: -1,
    heldBack: 0,
    budget: 0,
    heardAt: 0,
  };
}

/** A limit as the scripts take it: "inf" or a number. */
export function limit(value: number): string {
  return value === Infinity ? "inf" : String(value);
}
