import { getPublicSuffix } from "tough-cookie";
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
 * The shard of a host: every request waits, is paced and is seen in the shard of its next URL's host, and that is the
 * shard of the host's site (see {@linkcode siteOf}), so that the hosts of a site share a shard with the site's cookies
 * and a lease can answer with their version.
 *
 * @example
 * ```ts
 * import { shardOf } from "./shards.ts";
 * shardOf("www.example.com", 16); // a number from 0 to 15, the same in every process, and the same as example.com's
 * ```
 */
export function shardOf(host: string, count: number): number {
  return count === 1 ? 0 : hash64Parts(siteOf(host))[0] % count;
}

const SUFFIX_OPTIONS = { allowSpecialUseDomain: true, ignoreError: true };

/**
 * The site of a host (or of a cookie's domain): what its cookies may be shared over, by RFC 6265. That is its
 * registrable domain, the public suffix and one label more (`www.example.com` → `example.com`, `a.b.co.uk` →
 * `b.co.uk`, by the Public Suffix List that tough-cookie uses); for an IP address, or a name without one
 * (`localhost`), the name itself. The port is not part of it: cookies ignore ports.
 *
 * @example
 * ```ts
 * import { siteOf } from "./shards.ts";
 * siteOf("www.example.com:8080"); // "example.com"
 * siteOf("127.0.0.2:8080"); // "127.0.0.2"
 * ```
 */
export function siteOf(host: string): string {
  // `[::1]:8080` and `::1` (a cookie's domain) are one host; so are `example.com:8080` and `example.com`.
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(host);
  const name = (bracketed !== null ? bracketed[1]! : host.replace(/^([^:]*):\d+$/, "$1")).toLowerCase();
  return getPublicSuffix(name, SUFFIX_OPTIONS) ?? name;
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
