import type { Budget } from "./budget.ts";
import type { RedisConnection } from "./connection.ts";
import type { CrawlShards, ShardSummary } from "./crawl_shards.ts";
import type { CrawlKeys } from "./keys.ts";
import { type Outbox, STALE_MS } from "./outbox.ts";
import { CRAWL_STATUS } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";
import { STATUS } from "./scripts/shard_scripts.ts";

/** The crawl-wide part of a collect: its version, whether it is open, and what is left of maxPages. */
interface CrawlStatus {
  version: number;
  open: boolean;
  maxPages: string;
  granted: number;
}

/**
 * Whether a shard holds nothing that may still be fetched: nothing leased, no outbox entry, and nothing waiting, or,
 * when no start is left to this process, no fetch under way waiting (what never started waits for a larger maxPages).
 */
function idle(summary: ShardSummary, mayStart: boolean): boolean {
  const { counts, underway, outbox } = summary;
  return counts.leased === 0 && outbox === 0 && (counts.queued === 0 || (!mayStart && underway === 0));
}

/**
 * Whether the crawl is over, once a lease found nothing. With one shard, its last answer says (one script read it
 * whole). With several: not while a shard is known to hold requests that may be fetched; the shards last seen with
 * leases or outbox entries are heard from again (their holders may have finished); when all look idle, every shard is
 * read (see {@linkcode everyShardIdle}).
 *
 * @example
 * ```ts
 * import { crawlIsOver } from "./crawl_end.ts";
 * const over = await crawlIsOver(connection, keys, shards, outbox, budget);
 * ```
 */
export async function crawlIsOver(connection: RedisConnection, keys: CrawlKeys, shards: CrawlShards, outbox: Outbox, budget: Budget): Promise<boolean> {
  const mayStart = budget.mayStart();
  if (shards.count === 1) return idle(shards.summaries[0]!, mayStart);
  const all = Array.from({ length: shards.count }, (_, shard) => shard);
  for (const shard of all) {
    if (shards.summaries[shard]!.oldestOutboxMs > STALE_MS) await outbox.redeliver(shard);
  }
  if (shards.summaries.some(({ counts, underway }) => underway > 0 || (mayStart && counts.queued > 0))) return false;
  // This process's own delivered entries are forgotten before the shards are read: they would keep them from looking
  // idle. Not sooner: a crawl waiting for its hosts' pace asks often, and would forget a call at a time.
  await outbox.flush();
  await Promise.all(all.filter((shard) => !idle(shards.summaries[shard]!, mayStart)).map((shard) => shards.step(shard, STATUS, [])));
  if (!all.every((shard) => idle(shards.summaries[shard]!, mayStart))) return false;
  return everyShardIdle(connection, keys, shards, outbox, budget);
}

/**
 * Whether a crawl of several shards is over: nothing is leased in any shard, nothing waits that may be fetched
 * (nothing at all, or, with no start left, no fetch under way), no outbox entry is left to deliver, and the crawl is
 * open (its start requests placed). No script reads every shard, so the shards are read one by one, twice: if both
 * reads find every shard idle, and each shard's version (bumped by every change) and the crawl's (bumped by every grant
 * and give-back) are the same in both, then at the moment between the two reads every shard was idle at once, and an
 * idle crawl stays idle (only a lease brings work). An old outbox entry found on the way, left by a process that died,
 * is delivered, and the crawl is not over.
 *
 * One thing can still start after that: a request of another process that holds starts granted and not made yet (see
 * `Budget`). That process then fetches it and ends after it; this one has nothing it may start.
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
  const mayStart = budget.mayStartGiven(crawl.maxPages, crawl.granted);
  let isIdle = crawl.open;
  for (const shard of all) {
    const summary = shards.summaries[shard]!;
    if (!idle(summary, mayStart)) isIdle = false;
    if (summary.oldestOutboxMs > STALE_MS) await outbox.redeliver(shard);
  }
  return isIdle ? [crawl.version, ...all.map((shard) => shards.summaries[shard]!.version)] : undefined;
}

async function crawlStatus(connection: RedisConnection, keys: CrawlKeys): Promise<CrawlStatus> {
  const [version, state, maxPages, granted] = (await runScript(connection, CRAWL_STATUS, [keys.meta], [])) as [number, string, string, number];
  return { version: Number(version), open: state === "open", maxPages: String(maxPages), granted: Number(granted) };
}
