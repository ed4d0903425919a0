import type { ShardSummary } from "./crawl_shards.ts";

/**
 * How long a shard's answer is trusted when it said nothing may start there: another process's links may have come
 * since, so after this it is asked again.
 */
export const RECHECK_MS = 100;

/**
 * What a shard offers a process, as its last answer said: its hosts ready now and when the next may start; of the
 * fetches under way alone when the process may start no request (see `Budget.mayStart`).
 */
export function offer(summary: ShardSummary, mayStart: boolean): { hosts: number; at: number } {
  return mayStart ? { hosts: summary.readyHosts, at: summary.readyAt } : { hosts: summary.underwayReadyHosts, at: summary.underwayReadyAt };
}

/**
 * How many leases to ask each shard for, out of `max`, from what each last said it offers: the shards with hosts
 * ready now, one lease per ready host, in turn from shard `first` on, so that ready hosts take turns across shards as
 * they do within one. What the ready hosts cannot take goes to the same shards in turn, for second leases.
 *
 * @example
 * ```ts
 * import { leaseQuotas } from "./lease_plan.ts";
 * leaseQuotas(shards.summaries, 8, performance.now(), 0, true); // [3, 0, 5, ...]
 * ```
 */
export function leaseQuotas(summaries: readonly ShardSummary[], max: number, now: number, first: number, mayStart: boolean): number[] {
  const quotas = summaries.map(() => 0);
  const asked: { shard: number; room: number }[] = [];
  for (let i = 0; i < summaries.length; i++) {
    const shard = (first + i) % summaries.length;
    const summary = summaries[shard]!;
    const fresh = now - summary.heardAt < RECHECK_MS;
    const { hosts, at } = offer(summary, mayStart);
    if (at <= now) asked.push({ shard, room: fresh && hosts > 0 ? hosts : 1 });
  }
  let left = max;
  for (let given = 1; left > 0 && given > 0; ) {
    given = 0;
    for (const { shard, room } of asked) {
      if (left > 0 && quotas[shard]! < room) {
        quotas[shard]!++;
        left--;
        given++;
      }
    }
  }
  // The rest in turn, for second leases.
  while (left > 0 && asked.length > 0) {
    for (const { shard } of asked) {
      if (left > 0) {
        quotas[shard]!++;
        left--;
      }
    }
  }
  return quotas;
}

/**
 * The shards to hear from again: they said nothing they offer waits there, long enough ago that another process may
 * have brought work.
 *
 * @example
 * ```ts
 * import { staleShards } from "./lease_plan.ts";
 * staleShards(shards.summaries, performance.now(), true); // [2, 7]
 * ```
 */
export function staleShards(summaries: readonly ShardSummary[], now: number, mayStart: boolean): number[] {
  return summaries.flatMap((summary, shard) => (offer(summary, mayStart).at === Infinity && now - summary.heardAt >= RECHECK_MS ? [shard] : []));
}

/**
 * When a request waiting in any shard may start, in ms from now, as the shards' last answers say; `Infinity` when
 * none waits. A process that may start no request waits for the fetches under way alone.
 *
 * @example
 * ```ts
 * import { readyIn } from "./lease_plan.ts";
 * readyIn(shards.summaries, true); // 120
 * ```
 */
export function readyIn(summaries: readonly ShardSummary[], mayStart: boolean): number {
  const soonest = Math.min(...summaries.map((summary) => offer(summary, mayStart).at));
  return soonest === Infinity ? Infinity : Math.max(0, Math.ceil(soonest - performance.now()));
}
