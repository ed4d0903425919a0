import { hash64Parts } from "../seen_set.ts";

/**
 * Bits of a URL's 64-bit hash that pick its seen-set bucket. The rest, 48 bits, is the member stored in that bucket:
 * an integer, so Redis keeps each bucket as an intset (8 bytes a member) while it holds at most 512 members
 * (`set-max-intset-entries`). 2^16 buckets keep about 33 million URLs that way; past that, full buckets turn into
 * hash tables and cost more, but stay exact.
 */
export const SEEN_BUCKET_BITS = 16;

/** The Redis keys of one crawl. They share the hash tag `{id}`, so that a Redis Cluster keeps them in one slot. */
export interface CrawlKeys {
  /** Every key of the crawl starts with this. */
  prefix: string;
  /** HASH: the definition, maxPages, the seen set's bucket bits. */
  meta: string;
  /** LIST: requests waiting, one line each (`encodeRequest`). */
  queue: string;
  /** ZSET: lease token → deadline (ms, Redis clock). */
  leases: string;
  /** HASH: lease token → the request's line. */
  leased: string;
  /** STRING: the last lease token handed out. */
  token: string;
  /** HASH: admitted, done, errors. */
  counts: string;
  /** STRING: the last worker number handed out. */
  workerCount: string;
  /** HASH: worker → what it told about itself (host, pid, output). */
  workers: string;
  /** HASH: worker → running | done | taken. */
  status: string;
  /** ZSET: worker → last heartbeat (ms, Redis clock). */
  alive: string;
  /** HASH: worker → records it acknowledged as written (and dropped from its log). */
  acked: string;
  /** HASH: origin → its robots.txt response, as JSON. */
  robots: string;
  /** The seen-set bucket of a URL, and the member that stands for the URL in it. */
  seen(url: string): { key: string; member: string };
  /** LIST: the records a worker committed and has not acknowledged yet. */
  log(worker: string): string;
  /** SET: the lease tokens a worker holds. */
  held(worker: string): string;
  /** STRING: held by the process fetching an origin's robots.txt for the crawl. */
  robotsLock(origin: string): string;
  /** STRING: when the next request to a host may start; ZSET: the requests to it in flight. */
  host(host: string): { next: string; busy: string };
}

/**
 * The keys of crawl `id`.
 *
 * @example
 * ```ts
 * import { crawlKeys } from "./keys.ts";
 * crawlKeys("books").queue; // "rxcrawl:{books}:queue"
 * ```
 */
export function crawlKeys(id: string): CrawlKeys {
  const prefix = `rxcrawl:{${id}}:`;
  const memberBits = 32 - SEEN_BUCKET_BITS;
  return {
    prefix,
    meta: `${prefix}meta`,
    queue: `${prefix}queue`,
    leases: `${prefix}leases`,
    leased: `${prefix}leased`,
    token: `${prefix}token`,
    counts: `${prefix}counts`,
    workerCount: `${prefix}worker-count`,
    workers: `${prefix}workers`,
    status: `${prefix}status`,
    alive: `${prefix}alive`,
    acked: `${prefix}acked`,
    robots: `${prefix}robots`,
    seen(url) {
      const [hi, lo] = hash64Parts(url);
      // 48 bits fit a double exactly, so the member is the same integer in JavaScript, Lua and Redis.
      const member = (hi & ((1 << memberBits) - 1)) * 2 ** 32 + lo;
      return { key: `${prefix}seen:${hi >>> memberBits}`, member: String(member) };
    },
    log: (worker) => `${prefix}log:${worker}`,
    held: (worker) => `${prefix}held:${worker}`,
    robotsLock: (origin) => `${prefix}robots-lock:${origin}`,
    host: (host) => ({ next: `${prefix}host:${host}:next`, busy: `${prefix}host:${host}:busy` }),
  };
}
