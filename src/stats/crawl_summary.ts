// The shape of a finished crawl's statistics: what a pipeline prints at its end, what `--stats file.json` writes and
// what `--report file.html` draws. Only types (and the words for why a crawl ended) live here, so that the report can
// be made from a stats file alone.

/** Why a crawl ended; {@linkcode FINISH_REASONS} says each in words. */
export type FinishReason =
  /** Nothing was left to fetch. */
  | "done"
  /** `maxPages` requests were started and all of them finished, while URLs found were left waiting. */
  | "max-pages"
  /** A signal (Ctrl-C, SIGTERM) or an aborted `signal` option stopped it; what was in flight finished first. */
  | "stopped"
  /** A configuration error, an unwritable output or a lost crawl state ended it early. */
  | "failed";

/** What each {@linkcode FinishReason} means, in the words of a summary. */
export const FINISH_REASONS: Readonly<Record<FinishReason, string>> = {
  done: "nothing left to fetch",
  "max-pages": "maxPages requests started",
  stopped: "stopped by a signal",
  failed: "ended early by an error",
};

/**
 * A distribution on fixed, logarithmic buckets: `counts[i]` values fell in `[bounds[i - 1], bounds[i])` (from 0 for
 * the first); `counts` has one more entry than `bounds`, for values of `bounds.at(-1)` and above. The quantiles are
 * read off the buckets, so they are exact to the width of one bucket.
 */
export interface Histogram {
  /** Upper bounds of the buckets, ascending. */
  bounds: number[];
  /** How many values fell in each bucket; `bounds.length + 1` entries. */
  counts: number[];
  /** How many values were recorded. */
  count: number;
  /** Their sum, for the mean. */
  sum: number;
  /** The largest value recorded, 0 when none. */
  max: number;
  /** Median, 90th and 99th percentiles; 0 when nothing was recorded. */
  p50: number;
  p90: number;
  p99: number;
}

/**
 * The statistics of one crawl (of one process, when several share a crawl). Keys are stable: a new version may add
 * keys, never rename or drop one without raising `format`.
 */
export interface CrawlSummary {
  /** The version of this shape. */
  format: 1;
  /** When the crawl started and ended, ISO 8601 UTC. */
  startedAt: string;
  finishedAt: string;
  /** Wall time from start to end, in seconds. */
  elapsedSeconds: number;
  /** Why the crawl ended. */
  finish: FinishReason;
  /**
   * URLs found (admitted) and not fetched when the crawl ended, over the whole crawl: those `maxPages` left waiting, or
   * a stop. A journal (`--out`) or a shared state keeps them for a run with a larger `maxPages`. Absent from statistics
   * written before it was counted: read it as `left ?? 0`.
   */
  left?: number;
  /** Records emitted: one per URL attempted. */
  pages: number;
  /** Records without an error, and with one. */
  ok: number;
  /**
   * Of the records without an error, those of files: the answer was of another type than HTML or XML (an image, a
   * PDF, an archive, `text/plain`), its status and type recorded, its body not downloaded. `ok - files` are pages.
   * Absent from statistics written before it was counted: read it as `files ?? 0`.
   */
  files?: number;
  errors: number;
  /** `pages / elapsedSeconds`. */
  pagesPerSecond: number;
  /** Records by the class of their last HTTP status: `"2xx"` … `"5xx"`, and `"none"` when no response came. */
  statusClasses: Record<string, number>;
  /** Records by their last HTTP status, `"0"` when no response came. */
  statuses: Record<string, number>;
  /** Records with an error, by its code (`EHTTP`, `ETIMEOUT`, `EROBOTS`, …; see `CrawlError`). */
  errorCodes: Record<string, number>;
  /** Records by depth: `"0"` for start URLs. */
  depths: Record<string, number>;
  /** HTTP requests made for pages, retries and redirects included (robots.txt and sitemaps not counted). */
  requests: number;
  /** Requests that were retries of a failed one. */
  retries: number;
  /** Redirects followed. */
  redirects: number;
  /** URLs refused by robots.txt, without a request. */
  robotsRefusals: number;
  /** Body bytes received: as they came over the wire (compressed), and decoded. */
  bytes: { wire: number; decoded: number };
  /** The process's peak resident memory, in bytes. */
  peakRssBytes: number;
  /**
   * Records and errors over time: entry `i` counts those that finished in `[i, i + 1) × bucketSeconds` seconds after
   * the start. Buckets widen (1 s, 2 s, 4 s, …) so that a night-long crawl keeps at most a few hundred.
   */
  timeline: { bucketSeconds: number; pages: number[]; errors: number[] };
  /** Time from the request to the last byte of the body, in milliseconds, over the records that got a response. */
  responseMs: Histogram;
  /** Decoded body sizes in bytes, over the records that got a body. */
  bodyBytes: Histogram;
  /** The slowest responses, slowest first (at most 10). */
  slowest: { url: string; ms: number; status: number }[];
  /** Records with an error, in the order they finished (at most 100; `errors` has the total). */
  failing: { url: string; status: number; code: string; error: string }[];
  /** Hosts by records, most first (at most 20). */
  hosts: { host: string; pages: number; errors: number }[];
  /**
   * Each proxy the crawl went through (its URL with credentials masked), in the order first used: the requests it
   * carried (retries and robots.txt included) and how many times it was benched for failing. Empty when requests went direct; absent
   * from the stats of a version that had no proxies.
   */
  proxies?: { proxy: string; requests: number; benched: number }[];
  /**
   * Responses that looked like blocks (a status such as 429, a challenge page), retries included, and the hosts that
   * sent them, most first (at most 20), each with the longest interval between requests it was slowed to. Absent from
   * the stats of a version that had no block detection.
   */
  blocks?: { responses: number; hosts: { host: string; responses: number; slowestMs: number }[] };
  /** How pages were rendered in a browser; absent when the crawl rendered none (`render: "never"`). */
  render?: RenderSummary;
}

/** What a crawl that renders (`render: "auto"` or `"always"`) did in its browser. */
export interface RenderSummary {
  mode: "auto" | "always";
  /** Pages rendered in the browser, failed ones included. */
  pages: number;
  /** Of those, pages read both ways to decide how to read their host (`auto`). */
  compared: number;
  /** Of those, renders that failed (`ERENDER`, `ERENDERTIMEOUT`); a failed comparison's record is the page's HTML's. */
  failed: number;
  /** Records read from the rendered DOM (`rendered` true). */
  rows: number;
  /** Hosts by pages rendered, most first (at most 20). */
  hosts: { host: string; pages: number; compared: number }[];
  /**
   * The browser: how often it started (the first time, after a crash, or restarted for its memory), the tabs and
   * browsers that crashed under a page, the restarts for memory, and the most memory it was seen to take (over all its
   * processes, shared pages counted once; read every 5 s).
   */
  browser: { launches: number; crashes: number; memoryRestarts: number; peakBytes: number };
}
