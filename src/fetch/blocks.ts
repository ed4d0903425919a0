import http from "node:http";

/** What marks a response as a block: see {@linkcode BlockDetector}. */
export interface BlockRules {
  /** Statuses that mean the site turns the crawler away. */
  statuses: readonly number[];
  /** Text that marks a challenge or block page, found in a body whatever its status (letter case ignored). */
  markers: readonly string[];
}

/**
 * How much of a body is searched for markers: a challenge page is small and says what it is near its top, and every
 * page of a crawl is searched, on the thread that fetches.
 */
const MARKER_WINDOW = 16 * 1024;

/**
 * Tells a block (the site turning the crawler away: rate limiting, a bot check) from an ordinary answer, by its status
 * or by a marker in its body. A block calls for another try later, from another proxy and with a fresh cookie session;
 * an ordinary 403 or 503 does not.
 *
 * @example
 * ```ts
 * import { BlockDetector } from "./blocks.ts";
 * const blocks = new BlockDetector({ statuses: [429], markers: ["<title>Just a moment...</title>"] });
 * blocks.reason(429, new Uint8Array()); // "HTTP 429 Too Many Requests"
 * blocks.reason(200, new TextEncoder().encode("<title>Books</title>")); // undefined
 * ```
 */
export class BlockDetector {
  readonly #statuses: ReadonlySet<number>;
  /** Each marker, and its UTF-8 bytes read as Latin-1 and lower-cased, as the body is: native string search, any bytes. */
  readonly #markers: { text: string; folded: string }[];
  /** Any marker, ignoring case: most pages have none, and finding that needs no lower-cased copy of the body. */
  readonly #anyMarker: RegExp | undefined;

  constructor(rules: BlockRules) {
    this.#statuses = new Set(rules.statuses);
    this.#markers = rules.markers.map((text) => ({ text, folded: Buffer.from(text, "utf8").toString("latin1").toLowerCase() }));
    this.#anyMarker =
      this.#markers.length === 0 ? undefined : new RegExp(this.#markers.map(({ folded }) => folded.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "i");
  }

  /** Why the response looks like a block, in words for its error; `undefined` when it does not. */
  reason(status: number, body: Uint8Array): string | undefined {
    if (this.#statuses.has(status)) return named(status);
    if (this.#anyMarker === undefined || body.byteLength === 0) return undefined;
    const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, MARKER_WINDOW)).toString("latin1");
    if (!this.#anyMarker.test(head)) return undefined;
    // The first marker of the list that the body holds names the block, as the rules list them.
    const folded = head.toLowerCase();
    const marker = this.#markers.find((each) => folded.includes(each.folded));
    return marker === undefined ? undefined : `${named(status)} with ${JSON.stringify(marker.text)} in its body`;
  }
}

function named(status: number): string {
  return `HTTP ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd();
}

/** A response that looked like a block, and the interval its host now keeps: for a crawl's statistics. */
export interface BlockEvent {
  type: "block";
  host: string;
  /** Milliseconds between two starts to `host` at least, from now on. */
  intervalMs: number;
}

/** Options of {@linkcode HostSlowdown}. */
export interface HostSlowdownOptions {
  /** The interval after a first block when the host had none longer. */
  startMs: number;
  /** The longest interval blocks may bring: the floor of a host's rate is one request per `maxMs`. */
  maxMs: number;
  /** The interval the crawl's own rate keeps (`1000 / rate`). @default 0 */
  baseMs?: number;
}

/** Each page a slowed host serves without a block takes this share off its interval. */
const RECOVERY = 0.9;

/**
 * Slows down a host that blocks, instead of hammering it: each block doubles the host's least interval between
 * request starts (halving its rate: from `startMs` at least, or twice the crawl's own interval), up to `maxMs`; each
 * page it then serves without a block takes 10 % off, until it is back to the crawl's own pace. Only slowed hosts are
 * remembered. It only keeps the count: the intervals it returns are applied where requests wait for their host's
 * turn (the fetcher hands them to the frontier as its steps' pace).
 *
 * @example
 * ```ts
 * import { HostSlowdown } from "./blocks.ts";
 * const slowdown = new HostSlowdown({ startMs: 1000, maxMs: 60_000 });
 * slowdown.blocked("example.com"); // 1000
 * slowdown.blocked("example.com"); // 2000
 * slowdown.passed("example.com"); // 1800
 * ```
 */
export class HostSlowdown {
  readonly #startMs: number;
  readonly #maxMs: number;
  readonly #baseMs: number;
  readonly #intervals = new Map<string, number>();

  constructor(options: HostSlowdownOptions) {
    this.#startMs = options.startMs;
    this.#maxMs = options.maxMs;
    this.#baseMs = options.baseMs ?? 0;
  }

  /** The host's least interval between starts now, in milliseconds (the crawl's own when it is not slowed). */
  intervalMs(host: string): number {
    return this.#intervals.get(host) ?? this.#baseMs;
  }

  /** Notes a block from `host`: its interval doubles. Returns the new interval, in milliseconds. */
  blocked(host: string): number {
    const doubled = Math.max(this.#startMs, 2 * this.intervalMs(host));
    const intervalMs = Math.max(this.#baseMs, Math.min(this.#maxMs, doubled));
    this.#intervals.set(host, intervalMs);
    return intervalMs;
  }

  /** Notes a response `host` sent without a block: the new interval when the host was slowed, else `undefined`. */
  passed(host: string): number | undefined {
    const current = this.#intervals.get(host);
    if (current === undefined) return undefined;
    const eased = Math.round(current * RECOVERY);
    if (eased > Math.max(this.#startMs, this.#baseMs)) {
      this.#intervals.set(host, eased);
      return eased;
    }
    this.#intervals.delete(host);
    return this.#baseMs;
  }
}
