import { type CrawlRequest, nextUrl } from "../../records.ts";
import { hostOf } from "../../url.ts";
import { encodeRequest } from "../request_line.ts";
import type { CrawlShards } from "./crawl_shards.ts";
import { seenEntry } from "./keys.ts";
import { APPLY, DELIVERED, UNDELIVERED } from "./scripts/shard_scripts.ts";

/**
 * How old an outbox entry must be before any process delivers it: the process whose commit made it delivers it at
 * once, so an entry this old was left by a process that died between the two steps (or stalls; a second delivery is
 * harmless, see APPLY).
 */
export const STALE_MS = 3000;

/** An outbox entry as a commit stored it: its id ("target:seq") and its payload. */
export type OutboxEntry = readonly [id: string, payload: string];

/**
 * What a commit on shard `shard` brings: the requests it found for this shard, as the commit script takes them (top,
 * low, host, depth, line each), and, for every other shard, one payload of what goes there (see APPLY): the requests
 * found on its hosts, and the fetch that goes on if its next host is there.
 *
 * @example
 * ```ts
 * import { routeFound } from "./outbox.ts";
 * const { local, outgoing } = routeFound(shards, 3, found);
 * ```
 */
export function routeFound(
  shards: CrawlShards,
  shard: number,
  found: readonly CrawlRequest[],
  again?: { request: CrawlRequest; delayMs: number },
): { local: string[]; outgoing: Map<number, string[]> } {
  const local: string[] = [];
  const outgoing = new Map<number, string[]>();
  const out = (target: number, line: string) => {
    const lines = outgoing.get(target);
    if (lines === undefined) outgoing.set(target, [line]);
    else lines.push(line);
  };
  for (const request of found) {
    const host = hostOf(request.url);
    const { top, low } = seenEntry(request.url);
    const target = shards.of(host);
    const line = encodeRequest(request);
    if (target === shard) local.push(String(top), low, host, String(request.depth), line);
    else out(target, `L ${top} ${low} ${host} ${request.depth} ${line}`);
  }
  if (again !== undefined) {
    const host = hostOf(nextUrl(again.request));
    const target = shards.of(host);
    if (target !== shard) out(target, `M ${host} ${Math.max(0, Math.ceil(again.delayMs))} ${encodeRequest(again.request)}`);
  }
  return { local, outgoing };
}

/**
 * How long the ids of delivered entries wait to be forgotten together, in one call per shard. An entry delivered and
 * not forgotten yet costs nothing but its room (a second delivery admits nothing), and a process forgets its own
 * before it asks whether the crawl is over; so the wait is long enough that a busy process forgets a second's
 * deliveries to a shard in one call, where a call per page would make the forgetting as many calls as the commits.
 */
const FORGET_MS = 1000;

/**
 * The delivery of outbox entries: each is applied to its shard (APPLY, once per entry whatever happens), then
 * forgotten in the shard that made it (DELIVERED). A process that dies between the two steps leaves the entry in the
 * outbox, and another delivers it again once it is old ({@linkcode redeliver}); a second delivery is harmless. So the
 * second step need not be at once: the ids wait a few ms and go together, one call per shard.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * const outbox = new Outbox(shards);
 * const admitted = await outbox.deliver(3, entries);
 * ```
 */
export class Outbox {
  readonly #shards: CrawlShards;
  readonly #delivered = new Map<number, string[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(shards: CrawlShards) {
    this.#shards = shards;
  }

  /** Applies outbox entries of shard `source` to their shards. Resolves with the requests admitted. */
  async deliver(source: number, entries: readonly OutboxEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const admitted = await Promise.all(
      entries.map(async ([id, payload]) => {
        const [target, seq] = id.split(":") as [string, string];
        const [, count] = await this.#shards.step(Number(target), APPLY, [source, seq, payload]);
        return Number(count);
      }),
    );
    const ids = this.#delivered.get(source);
    if (ids === undefined) this.#delivered.set(source, entries.map(([id]) => id));
    else ids.push(...entries.map(([id]) => id));
    this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), FORGET_MS);
    return admitted.reduce((sum, count) => sum + count, 0);
  }

  /** Delivers the entries of shard `source`'s outbox older than {@linkcode STALE_MS}. */
  async redeliver(source: number): Promise<void> {
    const [flat] = (await this.#shards.step(source, UNDELIVERED, [STALE_MS])) as [string[]];
    await this.deliver(source, pairs(flat));
  }

  /** Forgets the delivered entries in their shards now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const delivered = [...this.#delivered];
    this.#delivered.clear();
    await Promise.all(delivered.map(([source, ids]) => this.#shards.step(source, DELIVERED, ids)));
  }
}

/** [a, b, c, d] → [[a, b], [c, d]]. */
export function pairs(flat: readonly string[]): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
