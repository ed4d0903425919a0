import { DEFAULTS } from "../defaults.ts";
import { nonNegativeInteger, positiveInteger, positiveNumber } from "../validate.ts";

/** How pages are fetched: the options of `Fetcher`, `fetchPages()` and `crawl()` that concern one request. */
export interface FetchOptions {
  /** Milliseconds one request may take, body included, before it fails with `ETIMEOUT`. @default 30000 */
  timeout?: number;
  /** The `User-Agent` header. @default "rxcrawl/0.1 (+https://www.npmjs.com/package/rxcrawl)" */
  userAgent?: string;
  /** Extra request headers; they override the defaults (`Accept`, `Accept-Language`). @default {} */
  headers?: Record<string, string>;
  /** Retries of a request that failed in a retryable way (network, timeout, 408, 429, 5xx). @default 2 */
  retries?: number;
  /** Milliseconds before the first retry; it doubles with each retry, with ±50 % jitter. @default 1000 */
  retryDelay?: number;
  /** The longest wait a `Retry-After` header may impose, in milliseconds. @default 60000 */
  maxRetryAfter?: number;
  /** The largest body accepted, in bytes after decompression; a larger one fails with `ETOOBIG`. @default 10485760 */
  maxBytes?: number;
  /** Redirects followed before failing with `EREDIRECT`. @default 10 */
  maxRedirects?: number;
  /**
   * Obey each origin's robots.txt (fetched once, as a request of its own under the same politeness and retries; see
   * `RobotsCache`): a URL it disallows becomes an `EROBOTS` record without a request, and its `Crawl-delay` paces the
   * host (never faster than `rate`).
   * @default true
   */
  robots?: boolean;
  /**
   * Requests in flight to one host at once, retries, redirects and robots.txt included. @default Infinity (only the
   * global concurrency applies)
   */
  perHost?: number;
  /**
   * Requests started per second per host: two requests to one host (a page, a retry, a redirect's next hop, its
   * robots.txt) start at least `1 / rate` seconds apart, counted from when each leaves. @default Infinity
   */
  rate?: number;
}

/** {@linkcode FetchOptions} checked, with every default filled in. */
export type FetchConfig = Readonly<Required<FetchOptions>>;

const CHECKED = new WeakSet<object>();

/**
 * Checks fetch options once and fills in the defaults; a wrong value is a `UsageError` naming the option and the value.
 * A config it returned passes through unchanged, so that the parts it is handed to do not check it again.
 *
 * @example
 * ```ts
 * import { fetchConfig } from "./fetch_options.ts";
 * fetchConfig({ timeout: 5000 }).retries; // 2
 * fetchConfig({ timeout: 0 }); // throws "Expected timeout to be a positive integer, got 0"
 * ```
 */
export function fetchConfig(options: FetchOptions = {}): FetchConfig {
  if (CHECKED.has(options)) return options as FetchConfig;
  const config: FetchConfig = Object.freeze({
    timeout: positiveInteger("timeout", options.timeout ?? DEFAULTS.timeout),
    userAgent: options.userAgent ?? DEFAULTS.userAgent,
    headers: { ...(options.headers ?? {}) },
    retries: nonNegativeInteger("retries", options.retries ?? DEFAULTS.retries),
    retryDelay: nonNegativeInteger("retryDelay", options.retryDelay ?? DEFAULTS.retryDelay),
    maxRetryAfter: nonNegativeInteger("maxRetryAfter", options.maxRetryAfter ?? DEFAULTS.maxRetryAfter),
    maxBytes: positiveInteger("maxBytes", options.maxBytes ?? DEFAULTS.maxBytes),
    maxRedirects: nonNegativeInteger("maxRedirects", options.maxRedirects ?? DEFAULTS.maxRedirects),
    robots: options.robots ?? DEFAULTS.robots,
    perHost: positiveInteger("perHost", options.perHost ?? DEFAULTS.perHost, true),
    rate: options.rate === undefined || options.rate === Infinity ? Infinity : positiveNumber("rate", options.rate),
  });
  CHECKED.add(config);
  return config;
}
