import type { Budget } from "./budget.ts";
import type { RedisConnection } from "./connection.ts";
import type { CrawlShards } from "./crawl_shards.ts";
import type { CrawlKeys } from "./keys.ts";
import { type Outbox, STALE_MS } from "./outbox.ts";
import { CRAWL_STATUS } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";
import { STATUS } from "./scripts/shard_scripts.ts";

/** The crawl-wide part of a collect: its version, and whether it holds work of its own (an opening, a grant). */
interface CrawlStatus {
  version: number;
  idle: boolean;
  staleGrants: boolean;
}

/**
 * Whether the crawl is over, once a lease found nothing. With one shard, its last answer says (one script read it
 * whole). With several: not while a shard is known to hold requests; the shards last seen with leases or outbox
 * entries are heard from again (their holders may have finished); when all look idle, every shard is read (see
 * {@linkcode everyShardIdle}).
 *
 * @example
 * ```ts
 * import { crawlIsOver } from "./crawl_end.ts";
 * const over = await crawlIsOver(connection, keys, shards, outbox, budget);
 * ```
 */
export async function crawlIsOver(connection: RedisConnection, keys: CrawlKeys, shards: CrawlShards, outbox: Outbox, budget: Budget): Promise<boolean> {
  const idle = (shard: number) => {
    const { counts, outbox } = shards.summaries[shard]!;
    return counts.queued === 0 && counts.leased === 0 && outbox === 0;
  };
  if (shards.count === 1) return idle(0);
  const all = Array.from({ length: shards.count }, (_, shard) => shard);
  for (const shard of all) {
    if (shards.summaries[shard]!.oldestOutboxMs > STALE_MS) await outbox.redeliver(shard);
  }
  if (shards.summaries.some(({ counts }) => counts.queued > 0)) return false;
  await Promise.all(all.filter((shard) => !idle(shard)).map((shard) => shards.step(shard, STATUS, [])));
  if (!all.every(idle)) return false;
  return everyShardIdle(connection, keys, shards, outbox, budget);
}

/**
 * Whether a crawl of several shards is over: nothing waits and nothing is leased in any shard, no outbox entry is
 * left to deliver, no grant to settle, and the crawl is open (its start requests placed). No script reads every
 * shard, so the shards are read one by one, twice: if both reads find every shard idle, and each shard's version (bumped
 * by every change) is the same in both, then at the moment between the two reads every shard was idle at once, and
 * an idle crawl stays idle (only a lease brings work). Work found on the way that was left by a process that died
 * (an old outbox entry, an unsettled grant, requests held back while pages are left) is taken up, and the crawl is
 * not over.
 */
async function everyShardIdle(connection: RedisConnection, keys: CrawlKeys, shards: CrawlShards, outbox: Outbox, budget: Budget): Promise<boolean> {
  await outbox.flush();
  const first = await collect(connection, keys, shards, outbox, budget);
  if (first === undefined) return false;
  const second = await collect(connection, keys, shards, outbox, budget);
  return second !== undefined && second.every((version, i) => version === first[i]);
}

/** Every shard's version and the crawl's, when all are idle; `undefined` when one is not. */
async function collect(
  connection: RedisConnection,
  keys: CrawlKeys,
  shards: CrawlShards,
  outbox: Outbox,
  budget: Budget,
): Promise<number[] | undefined> {
  const all = Array.from({ length: shards.count }, (_, shard) => shard);
  const [crawl] = await Promise.all([crawlStatus(connection, keys), ...all.map((shard) => shards.step(shard, STATUS, []))]);
  let idle = crawl.idle;
  for (const shard of all) {
    const summary = shards.summaries[shard]!;
    if (summary.counts.queued > 0 || summary.counts.leased > 0 || summary.outbox > 0) idle = false;
    if (summary.oldestOutboxMs > STALE_MS) await outbox.redeliver(shard);
    if (budget.wants(shard) && (await budget.fund(shard)) > 0) idle = false;
  }
  if (crawl.staleGrants) await budget.settleStale();
  return idle ? [crawl.version, ...all.map((shard) => shards.summaries[shard]!.version)] : undefined;
}

async function crawlStatus(connection: RedisConnection, keys: CrawlKeys): Promise<CrawlStatus> {
  const [version, state, grants, oldest] = (await runScript(connection, CRAWL_STATUS, [keys.meta, keys.grantsAt], [])) as [number, string, number, number];
  return { version: Number(version), idle: state === "open" && Number(grants) === 0, staleGrants: Number(oldest) > STALE_MS };
}
