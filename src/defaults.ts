/**
 * Every default of the library, in one place: the options' doc comments, the pipelines' `--help` and the README quote
 * these values, and no other module writes them down.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from "./defaults.ts";
 * DEFAULTS.maxBytes; // 10485760
 * ```
 */
export const DEFAULTS = {
  /** Requests in flight at once, over all hosts (`crawl`, `fetchPages`). */
  concurrency: 8,
  /** Parser threads; 0 parses on the fetching thread (`crawl`, `parseHtml`). */
  workers: 0,
  /** The most URLs a crawl admits. */
  maxPages: Infinity,
  /** The most links followed from a start URL. */
  maxDepth: Infinity,
  /** Milliseconds the requests in flight get to finish after a graceful stop. */
  stopGrace: 10_000,
  /** Requests of a crawl's frontier kept in memory; the rest wait in a temporary file. */
  frontierMemory: 100_000,
  /** Milliseconds one request may take, body included. */
  timeout: 30_000,
  /** Retries of a request that failed in a retryable way. */
  retries: 2,
  /** Milliseconds before the first retry; doubled for each next one. */
  retryDelay: 1000,
  /** The longest wait a `Retry-After` header may impose, in milliseconds. */
  maxRetryAfter: 60_000,
  /** The largest body accepted, in bytes after decompression. */
  maxBytes: 10 * 1024 * 1024,
  /** Redirects followed before a request fails. */
  maxRedirects: 10,
  /** Requests in flight to one host at once. */
  perHost: Infinity,
  /** Requests started per second per host. */
  rate: Infinity,
  /** Whether robots.txt is fetched and obeyed. */
  robots: true,
  /** The User-Agent sent unless another is set: honest about what is asking. */
  userAgent: "rxcrawl/0.1 (+https://www.npmjs.com/package/rxcrawl)",
  /** The links a crawl follows. */
  follow: "a[href]",
  /** Pages a browser renders at once, each in a browser context of its own. */
  renderPages: 4,
  /** Pages a browser context renders before a fresh one takes its place. */
  renderRecycleAfter: 50,
  /** The browser's memory, in MB over all its processes (shared pages once), past which it is restarted between pages. */
  renderMaxBrowserMb: 1536,
  /** Resource types a rendered page may not load. */
  renderBlock: ["image", "media", "font"],
  /** Milliseconds with no request in flight after which a rendered page counts as settled. */
  renderIdleMs: 500,
  /** Pages of a host read both ways (static and rendered) before `auto` decides how to read it. */
  renderFirstPages: 3,
  /** One page in this many of a decided host is read both ways again, so that the decision can change. */
  renderSampleEvery: 50,
} as const;
