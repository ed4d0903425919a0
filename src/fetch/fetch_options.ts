import { DEFAULTS } from "../defaults.ts";
import { UsageError } from "../errors.ts";
import { nonNegativeInteger, positiveInteger, positiveNumber } from "../validate.ts";
import type { BlockRules } from "./blocks.ts";
import { parseCookie, readCookiesFile, type StartCookie } from "./cookie_jar.ts";
import { type ProxyEnv, type ProxyRotate, type ProxySettings, proxySettings } from "./proxy_settings.ts";

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
  /**
   * Keep cookies as a browser does: one RFC 6265 jar for the whole crawl (domain, path, expiry and `Secure` honoured),
   * so that a session or consent cookie a site sets is sent back. @default true
   */
  cookies?: boolean;
  /**
   * Cookies to start with (a login), each as a `Set-Cookie` value that names its domain:
   * `"sid=abc; Domain=example.com; Path=/; Secure"`. @default none
   */
  startCookies?: readonly string[];
  /** A Netscape `cookies.txt` file (as curl and browser extensions write it) whose cookies to start with. @default none */
  cookiesFile?: string;
  /**
   * Proxies to send every request through: `http://`, `https://`, `socks5://` or `socks5h://` URLs, with
   * `user:password@` when needed, several for a pool; or `{ env: process.env }` for `HTTP_PROXY`, `HTTPS_PROXY` and
   * `NO_PROXY`. A proxy that fails (refused, reset, refusing the credentials) is benched for a while and the request
   * goes through another. Credentials are never printed. @default none: requests go direct
   */
  proxy?: readonly string[] | { env: ProxyEnv };
  /**
   * How requests are shared out over several proxies: `"host"` keeps each host on one proxy (one address per site, as
   * one browser would have, which its cookies go with), `"request"` takes the next proxy for each request.
   * @default "host"
   */
  proxyRotate?: ProxyRotate;
  /**
   * Statuses that mean the site is turning the crawler away. Such a response is retried with backoff through another
   * proxy and with a fresh cookie session, the host slows down, and a URL still blocked after the retries is an
   * `EBLOCKED` record. @default [429]
   */
  blockStatus?: readonly number[];
  /**
   * Text marking a challenge or block page, sought in the first 16 KiB of a body whatever its status, letter case
   * ignored; a match is a block as a status of `blockStatus` is.
   * @default Cloudflare's "Just a moment..." and "Attention Required!" titles, DataDome's and PerimeterX's captchas
   */
  blockMarkers?: readonly string[];
}

/** {@linkcode FetchOptions} checked, with every default filled in, cookies read and proxies resolved. */
export type FetchConfig = Readonly<
  Required<Omit<FetchOptions, "startCookies" | "cookiesFile" | "proxy" | "proxyRotate" | "blockStatus" | "blockMarkers">> & {
    /** The cookies to start with, from `startCookies` and `cookiesFile`. */
    initialCookies: readonly StartCookie[];
    proxies: ProxySettings;
    blocks: BlockRules;
  }
>;

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
export function fetchConfig(given: FetchOptions | FetchConfig = {}): FetchConfig {
  if (CHECKED.has(given)) return given as FetchConfig;
  const options = given as FetchOptions;
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
    cookies: options.cookies ?? DEFAULTS.cookies,
    initialCookies: [
      ...(options.startCookies ?? []).map(parseCookie),
      ...(options.cookiesFile === undefined ? [] : readCookiesFile(options.cookiesFile)),
    ],
    proxies: proxySettings(options.proxy ?? [], options.proxyRotate ?? DEFAULTS.proxyRotate),
    blocks: {
      statuses: (options.blockStatus ?? DEFAULTS.blockStatus).map((status) => {
        if (Number.isInteger(status) && status >= 100 && status <= 599) return status;
        throw new UsageError(`Expected blockStatus to be HTTP statuses (100 to 599), got ${JSON.stringify(status)}`);
      }),
      markers: (options.blockMarkers ?? DEFAULTS.blockMarkers).map((marker) => {
        if (typeof marker === "string" && marker.trim() !== "") return marker;
        throw new UsageError(`Expected blockMarkers to be non-empty strings, got ${JSON.stringify(marker)}`);
      }),
    },
  });
  CHECKED.add(config);
  return config;
}
