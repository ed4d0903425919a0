import { hash64Parts } from "../seen_set.ts";

/**
 * The version of the layout below. A crawl made with another one is refused rather than misread.
 *
 * 1: one queue LIST and a seen set of 2^16 buckets. 2: per-host queues, shards, a seen set that splits its buckets.
 * 3: maxPages counts starts (every link admitted, no held-back list), granted to processes; shards by site, which hold
 * their sites' cookies.
 */
export const LAYOUT = 3;

/**
 * The crawl-wide keys of crawl `id`, tagged `{id}`: what defines the crawl and who works on it.
 *
 * - `meta` HASH: definition, layout, shards, maxPages, perHost, intervalMs, state (opening | open), granted (the
 *   starts granted to processes so far, net of those given back, when several shards share a finite maxPages), v
 *   (bumped by every change).
 * - `worker-count` STRING, `workers` HASH (worker → what it told about itself, JSON), `status` HASH (worker →
 *   running | done | taking <worker>).
 *
 * Each shard has its own keys under {@linkcode shardPrefix}, all built by the Lua scripts from that prefix (the keys
 * a step touches depend on the hosts it chooses, inside the script; they share the shard's tag, so one slot):
 *
 * - `counts` HASH: admitted, done, errors, queued, leased, started (requests leased for the first time), underway
 *   (fetches under way waiting, delayed ones included), cookies (bumped by every change to the shard's cookies), v
 *   (bumped by every change).
 * - `ready` ZSET host → its next start (ms, the shard's clock): the hosts with requests waiting and room under
 *   perHost; `again` ZSET the same, for the hosts with fetches under way waiting. `h:<host>` HASH: n (waiting), a (of
 *   them, fetches under way), l (leased), next, last (start), pace (its own interval), open (the lease token or
 *   reservation id of its start whose request has not left yet) and until (when that reservation lapses);
 *   `h:<host>:d` ZSET of the depths waiting, `h:<host>:q:<depth>` LIST of request lines (depth -1: fetches under way).
 * - `delayed` ZSET "host line" → not before: fetches that go on after a delay.
 * - `leases` ZSET token → deadline, `leased` HASH token → "worker host line", `held:<worker>` SET of its tokens,
 *   `token` STRING.
 * - `s:<level>:<prefix>` SET of integers, `splits` bitmap, `seen` HASH: the seen set (see `seen_lua.ts`).
 * - `outbox` HASH id → payload, `outbox-at` ZSET id → when, `out-seq` HASH target → last number: what this shard's
 *   commits found for other shards, until it is applied there; `inbox` HASH source → the last number applied in
 *   order, `inbox:<source>` SET of numbers applied out of order.
 * - `log:<worker>` HASH url → record, `acked` HASH worker → records acknowledged: the records committed here.
 * - `robots` HASH origin → its robots.txt response, `robots-lock:<origin>` STRING.
 * - `render` HASH host → its render decision, the last committed: 1 (its pages are read in a browser) or 0; handed
 *   out with the host's leases.
 * - `cookies:<site>` HASH `[domain, path, name]` as JSON → the cookie as JSON, in clear text as a browser's cookie
 *   file, and `g[domain, path, name]` → the cookie as the crawl was given it at its start; it expires with its
 *   longest-lived cookie (see cookie_scripts.ts). `cookie-sites` SET of the sites with cookies.
 */
export interface CrawlKeys {
  /** Every crawl-wide key starts with this. */
  prefix: string;
  meta: string;
  workerCount: string;
  workers: string;
  status: string;
}

/**
 * The crawl-wide keys of crawl `id`.
 *
 * @example
 * ```ts
 * import { crawlKeys } from "./keys.ts";
 * crawlKeys("books").meta; // "rxcrawl:{books}:meta"
 * ```
 */
export function crawlKeys(id: string): CrawlKeys {
  const prefix = shardPrefix(id);
  return {
    prefix,
    meta: `${prefix}meta`,
    workerCount: `${prefix}worker-count`,
    workers: `${prefix}workers`,
    status: `${prefix}status`,
  };
}

/**
 * The prefix of every key of the shard tagged `tag` (see `shardTags`).
 *
 * @example
 * ```ts
 * import { shardPrefix } from "./keys.ts";
 * shardPrefix("books/3.1"); // "rxcrawl:{books/3.1}:"
 * ```
 */
export function shardPrefix(tag: string): string {
  return `rxcrawl:{${tag}}:`;
}

/**
 * The glob that matches every key of crawl `id`, crawl-wide and of every shard, and of no other crawl (a crawl id
 * holds no `/` or `}`).
 *
 * @example
 * ```ts
 * import { crawlPattern } from "./keys.ts";
 * crawlPattern("books"); // "rxcrawl:{books[}/]*"
 * ```
 */
export function crawlPattern(id: string): string {
  return `rxcrawl:{${id.replace(/[*?[\]\\]/g, "\\$&")}[}/]*`;
}

/**
 * How a URL stands in the seen set: the top 12 bits of its 64-bit hash pick its bucket among the first 4,096, and the
 * other 52 are the integer stored (exact in a Lua number, and in a Redis intset as 8 bytes); deeper buckets take
 * more of those bits. The two together are the whole hash, so the set is exact to 64 bits.
 *
 * @example
 * ```ts
 * import { seenEntry } from "./keys.ts";
 * seenEntry("https://example.com/"); // { top: 0..4095, low: "<a 52-bit integer>" }
 * ```
 */
export function seenEntry(url: string): { top: number; low: string } {
  const [hi, lo] = hash64Parts(url);
  return { top: hi >>> 20, low: String((hi & 0xfffff) * 2 ** 32 + lo) };
}
