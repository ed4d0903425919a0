import { hash64Parts } from "../seen_set.ts";

/** The slots of a Redis Cluster: a key's slot is the CRC16 of its hash tag, modulo this. */
export const CLUSTER_SLOTS = 16384;

/**
 * The hash tag of each shard of crawl `id`, so that shard `i`'s slot falls in the `i`-th of `count` equal ranges of
 * the cluster's slots: a cluster that splits its slots evenly among its masters (as `redis-cli --cluster create`
 * does) then holds about as many shards on each. A shard's tag is `id/i.k`, `k` the first number that lands its slot
 * in its range; every process computes the same tags from the id and the count. One shard is the crawl's own tag, so
 * that a crawl on one shard keeps everything in one slot.
 *
 * @example
 * ```ts
 * import { shardTags } from "./shards.ts";
 * shardTags("books", 1); // ["books"]
 * shardTags("books", 4).length; // 4
 * ```
 */
export function shardTags(id: string, count: number): string[] {
  if (count === 1) return [id];
  const width = CLUSTER_SLOTS / count;
  return Array.from({ length: count }, (_, i) => {
    for (let k = 0; ; k++) {
      const tag = `${id}/${i}.${k}`;
      if (Math.floor(keySlot(tag) / width) === i) return tag;
    }
  });
}

/**
 * The shard of a host: every request waits, is paced and is seen in the shard of its next URL's host.
 *
 * @example
 * ```ts
 * import { shardOf } from "./shards.ts";
 * shardOf("example.com", 16); // a number from 0 to 15, the same in every process
 * ```
 */
export function shardOf(host: string, count: number): number {
  return count === 1 ? 0 : hash64Parts(host)[0] % count;
}

/**
 * The Redis Cluster slot of a hash tag (or of a key without one): CRC16-XMODEM modulo 16384, as Redis computes it.
 *
 * @example
 * ```ts
 * import { keySlot } from "./shards.ts";
 * keySlot("books"); // the slot of every key tagged {books}
 * ```
 */
export function keySlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % CLUSTER_SLOTS;
}
