import { UsageError } from "../../errors.ts";
import type { CrawlRequest } from "../../records.ts";
import { hostOf } from "../../url.ts";
import { checkSameCrawl, type CrawlDefinition } from "../crawl_definition.ts";
import type { CrawlPlan } from "../crawl_state.ts";
import { encodeRequest } from "../request_line.ts";
import { Budget } from "./budget.ts";
import type { RedisConnection } from "./connection.ts";
import { CrawlShards, limit, type ShardLimits } from "./crawl_shards.ts";
import { crawlKeys, LAYOUT, seenEntry } from "./keys.ts";
import { Outbox } from "./outbox.ts";
import { MARK_OPEN } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";
import { ADMIT, OPEN, STATUS } from "./scripts/shard_scripts.ts";

/** A crawl opened by one process: its shards, and the machinery between them. */
export interface OpenedShards {
  shards: CrawlShards;
  budget: Budget;
  outbox: Outbox;
  /** Whether the crawl existed before. */
  continued: boolean;
}

/**
 * Creates crawl `crawlId`, or finds it and checks that `plan` defines the same crawl; see OPEN. A new crawl gets
 * `wanted` shards (16 on a Redis Cluster, 1 on one server, by default): on one server, one shard is the cheapest (one
 * script a page, no outbox, maxPages counted in the same script: see `make bench SCENARIOS=shards`); on a cluster,
 * the shards spread the crawl over its masters. A crawl of one shard is created with its start requests in one step; a
 * crawl of several is created "opening", its start requests are placed in their shards (again by any process that
 * joins while it is, from the crawl's definition), then it is open.
 *
 * @example
 * ```ts
 * import { openCrawl } from "./open_crawl.ts";
 * const { shards, continued } = await openCrawl(connection, "books", "w1", plan, undefined);
 * ```
 */
export async function openCrawl(
  connection: RedisConnection,
  crawlId: string,
  worker: string,
  plan: CrawlPlan,
  wanted: number | undefined,
): Promise<OpenedShards> {
  const where = `crawl "${crawlId}" in ${connection.where}`;
  const count = wanted ?? (connection.cluster ? 16 : 1);
  const { perHost, intervalMs } = plan.politeness;
  const splitAt = await intsetSize(connection, crawlKeys(crawlId).meta);
  // The crawl's own tag is shard 0's of a crawl of one shard: there its start requests go in the step that creates it.
  const crawlTag = new CrawlShards(connection, crawlId, 1, worker, { perHost, intervalMs, budget: "local", splitAt });
  const starts = count === 1 ? plan.start.flatMap((request) => admission(request)) : [];
  const args = [JSON.stringify(plan.definition), LAYOUT, count, limit(plan.maxPages), limit(perHost), Math.ceil(intervalMs), splitAt];
  const reply = (await crawlTag.run(0, OPEN, [...args, plan.start.length, ...starts])) as [number, ...string[]];
  const [created, definition, layout, shards, maxPages, storedPerHost, storedInterval, storedSplitAt, state] = reply;
  if (created === -1) throw new UsageError(`No ${where}: the first process of a crawl must give its start URLs`);
  if (Number(layout) !== LAYOUT) {
    throw new UsageError(`Cannot continue the ${where}: it was made by another version of rxcrawl (layout ${layout ?? 1}); remove it with --reset`);
  }
  const stored = Number(shards);
  if (created === 0) {
    checkSameCrawl(JSON.parse(definition!) as CrawlDefinition, plan.definition, where);
    if (wanted !== undefined && wanted !== stored) throw new UsageError(`Cannot join the ${where} with ${wanted} shards: it has ${stored}`);
    if (stored > 1 && maxPages === "inf" && plan.maxPages !== Infinity) {
      throw new UsageError(`Cannot set maxPages on the ${where}: it is spread over ${stored} shards without one, which admit on their own`);
    }
  }
  const limits: ShardLimits = {
    perHost: storedPerHost === "inf" ? Infinity : Number(storedPerHost),
    intervalMs: Number(storedInterval),
    budget: stored === 1 ? "local" : maxPages === "inf" ? "none" : "granted",
    splitAt: Number(storedSplitAt),
  };
  const opened = new CrawlShards(connection, crawlId, stored, worker, limits);
  const budget = new Budget(connection, crawlKeys(crawlId), opened);
  if (stored === 1) opened.note(0, reply.at(-1) as unknown as number[]);
  else {
    // A process that joins a crawl still opening (its first process may have died placing them) places the start
    // URLs the crawl was defined with: placing them twice is harmless.
    const start = plan.start.length > 0 ? plan.start : (JSON.parse(definition!) as CrawlDefinition).start.map((url) => ({ url, depth: 0 }));
    await openShards(connection, crawlId, opened, start, created === 1 || state === "opening");
  }
  return { shards: opened, budget, outbox: new Outbox(opened), continued: created === 0 };
}

/** Places the start requests of a crawl of several shards, if it is opening, and hears from every shard. */
async function openShards(connection: RedisConnection, crawlId: string, shards: CrawlShards, start: readonly CrawlRequest[], opening: boolean): Promise<void> {
  if (opening && start.length > 0) {
    const byShard = new Map<number, string[]>();
    for (const request of start) {
      const shard = shards.of(hostOf(request.url));
      byShard.set(shard, [...(byShard.get(shard) ?? []), ...admission(request)]);
    }
    await Promise.all([...byShard].map(([shard, args]) => shards.step(shard, ADMIT, args)));
    await runScript(connection, MARK_OPEN, [crawlKeys(crawlId).meta], []);
  }
  await Promise.all(Array.from({ length: shards.count }, (_, shard) => shards.step(shard, STATUS, [])));
}

/** A request as the scripts admit it: top, low, host, depth, line. */
function admission(request: CrawlRequest): string[] {
  const { top, low } = seenEntry(request.url);
  return [String(top), low, hostOf(request.url), String(request.depth), encodeRequest(request)];
}

/** The server's `set-max-intset-entries`, which the seen set's buckets stay within; 512 where it cannot be read. */
async function intsetSize(connection: RedisConnection, key: string): Promise<number> {
  try {
    const [, value] = (await connection.send(key, ["CONFIG", "GET", "set-max-intset-entries"])) as [string, string];
    const size = Number(value);
    return Number.isInteger(size) && size >= 16 ? size : 512;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("Lost")) throw error;
    return 512; // CONFIG refused (a managed server)
  }
}
