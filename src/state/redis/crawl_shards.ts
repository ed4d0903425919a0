import type { CrawlCounts } from "../crawl_state.ts";
import type { RedisConnection } from "./connection.ts";
import { shardPrefix } from "./keys.ts";
import { runScript } from "./scripts/run_script.ts";
import type { Script } from "./scripts/script.ts";
import { shardOf, shardTags } from "./shards.ts";

/** How a shard's steps count their starts against maxPages (see SHARD_ARGS in shard_lua.ts, and budget.ts). */
export type BudgetMode = "none" | "local" | "granted";

/** What every process of a crawl holds its shards to. */
export interface ShardLimits {
  perHost: number;
  intervalMs: number;
  budget: BudgetMode;
  /** The most members of a seen-set bucket: the server's `set-max-intset-entries`. */
  splitAt: number;
}

/** Hosts whose shard a process keeps at hand. */
const HOSTS_KEPT = 100_000;

/** A shard as its last answer described it (see `summary` in shard_lua.ts). */
export interface ShardSummary {
  counts: CrawlCounts;
  /** Of the requests waiting, the fetches under way: what may still be leased once no start is left. */
  underway: number;
  /** Bumped by every change to the shard's counts, queues or outbox. */
  version: number;
  /** Hosts that may start now, and when a request waiting here may start (`performance.now()` time; `Infinity`: none). */
  readyHosts: number;
  readyAt: number;
  /** The same, for the fetches under way alone. */
  underwayReadyHosts: number;
  underwayReadyAt: number;
  /** Entries for other shards, and the age of the oldest in ms (-1: none). */
  outbox: number;
  oldestOutboxMs: number;
  /** The starts left under maxPages, on a crawl of one shard; `Infinity` where the shard does not count them. */
  startsLeft: number;
  /**
   * The version of the cookies kept in the shard (those of its sites): bumped by every change to any of them, 0 while
   * it has none. A process that read a site's cookies at this version need not read them again.
   */
  cookies: number;
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
  readonly #hosts = new Map<string, number>();

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
    if (this.count === 1) return 0;
    // A host's site takes a lookup in the Public Suffix List (about 2 µs), and every link a page found is routed.
    let shard = this.#hosts.get(host);
    if (shard === undefined) {
      if (this.#hosts.size >= HOSTS_KEPT) this.#hosts.clear();
      shard = shardOf(host, this.count);
      this.#hosts.set(host, shard);
    }
    return shard;
  }

  /**
   * Runs a shard script on shard `shard` with its own `args`, and returns its answer. A step that leases is given the
   * `starts` it may make when several shards share maxPages (see budget.ts).
   */
  run(shard: number, script: Script, args: readonly (string | number)[], starts = 0): Promise<unknown> {
    const prefix = this.prefixes[shard]!;
    const { perHost, intervalMs, budget, splitAt } = this.limits;
    const head = [prefix, limit(perHost), intervalMs, budget === "granted" ? starts : budget, this.#worker, shard, splitAt];
    return runScript(this.#connection, script, [`${prefix}counts`], [...head, ...args]);
  }

  /** Runs a shard script that answers with its summary last: notes the summary, and returns the rest. */
  async step(shard: number, script: Script, args: readonly (string | number)[], starts = 0): Promise<unknown[]> {
    const reply = (await this.run(shard, script, args, starts)) as unknown[];
    this.note(shard, reply.at(-1) as number[]);
    return reply.slice(0, -1);
  }

  /** Notes a summary of shard `shard`. */
  note(shard: number, raw: readonly number[]): void {
    const [admitted, done, errors, queued, leased, started, underway, version, readyHosts, readyIn, againHosts, againIn, outbox, oldestOutboxMs, left, cookies] =
      raw.map(Number) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
    const heardAt = performance.now();
    this.summaries[shard] = {
      counts: { admitted, done, errors, queued, leased, started },
      underway,
      version,
      readyHosts,
      readyAt: readyIn < 0 ? Infinity : heardAt + readyIn,
      underwayReadyHosts: againHosts,
      underwayReadyAt: againIn < 0 ? Infinity : heardAt + againIn,
      outbox,
      oldestOutboxMs,
      startsLeft: left < 0 ? Infinity : left,
      // Answers to calls sent at once may come in any order: a version once seen stays.
      cookies: Math.max(cookies, this.summaries[shard]?.cookies ?? 0),
      heardAt,
    };
  }

  /** The crawl's counts, summed over the shards' last summaries. */
  counts(): CrawlCounts {
    const sum: CrawlCounts = { admitted: 0, done: 0, errors: 0, queued: 0, leased: 0, started: 0 };
    for (const { counts } of this.summaries) {
      for (const name of Object.keys(sum) as (keyof CrawlCounts)[]) sum[name] += counts[name];
    }
    return sum;
  }
}

function emptySummary(): ShardSummary {
  return {
    counts: { admitted: 0, done: 0, errors: 0, queued: 0, leased: 0, started: 0 },
    underway: 0,
    version: -1,
    readyHosts: 0,
    readyAt: 0,
    underwayReadyHosts: 0,
    underwayReadyAt: 0,
    outbox: 0,
    oldestOutboxMs: -1,
    startsLeft: Infinity,
    cookies: 0,
    heardAt: 0,
  };
}

/** A limit as the scripts take it: "inf" or a number. */
export function limit(value: number): string {
  return value === Infinity ? "inf" : String(value);
}
