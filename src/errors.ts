/**
 * What went wrong with one URL, named so that a crawl can decide what to do next: retry it, record it, or stop.
 *
 * - `ENETWORK`: the connection failed or was reset. Retryable.
 * - `ETIMEOUT`: no complete answer within the timeout. Retryable.
 * - `EHTTP`: the server answered with an error status (4xx, 5xx); retryable for 408, 429 and 5xx.
 * - `EBLOCKED`: every try was answered with what looks like a block (a status such as 429, or a challenge page; see
 *   `blockStatus` and `blockMarkers`), retries on another proxy and with a fresh cookie session included.
 * - `ETOOBIG`: the body (after decompression) exceeded the size limit.
 * - `EREDIRECT`: too many redirects, a redirect loop, or a redirect without a usable `Location`.
 * - `ESCOPE`: a redirect led out of the crawl's scope; the target was not fetched.
 * - `EDUPLICATE`: a redirect led to a URL the crawl has already seen; it was not fetched twice.
 * - `EROBOTS`: robots.txt disallows the URL; no request was made.
 * - `EPARSE`: the page could not be parsed, or a user's extract function threw.
 * - `ESTOPPED`: the crawl was stopped before this URL finished.
 * - `ERENDER`: the browser failed to render the page: its tab or the browser crashed (twice: a crash is retried once
 *   on a fresh tab), or the browser refused the page. Not retryable.
 * - `ERENDERTIMEOUT`: the rendered page did not settle within the timeout: its network never went quiet, or the
 *   `waitFor` selector never matched. The DOM as it stood is kept. Not retryable: the same page would wait as long
 *   again.
 */
export type CrawlErrorCode =
  | "ENETWORK"
  | "ETIMEOUT"
  | "EHTTP"
  | "EBLOCKED"
  | "ETOOBIG"
  | "EREDIRECT"
  | "ESCOPE"
  | "EDUPLICATE"
  | "EROBOTS"
  | "EPARSE"
  | "ESTOPPED"
  | "ERENDER"
  | "ERENDERTIMEOUT";

/** Options of {@linkcode CrawlError}. */
export interface CrawlErrorOptions {
  /** The URL the error belongs to. */
  url: string;
  /** Whether trying the same request again may succeed. @default false */
  retryable?: boolean;
  /** The HTTP status, when the server answered. @default 0 */
  status?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error class of a failing URL: a stable `code`, the `url` in the message, whether a retry may help, and the
 * original error as `cause`. A crawl turns it into a record with `error` set; it never ends the stream.
 *
 * @example
 * ```ts
 * import { CrawlError } from "./errors.ts";
 * const error = new CrawlError("EHTTP", "HTTP 503", { url: "https://example.com/", status: 503, retryable: true });
 * error.message; // "HTTP 503 (https://example.com/)"
 * ```
 */
export class CrawlError extends Error {
  override name = "CrawlError";
  readonly code: CrawlErrorCode;
  readonly url: string;
  readonly retryable: boolean;
  readonly status: number;

  constructor(code: CrawlErrorCode, message: string, options: CrawlErrorOptions) {
    super(`${message} (${options.url})`, { cause: options.cause });
    this.code = code;
    this.url = options.url;
    this.retryable = options.retryable ?? false;
    this.status = options.status ?? 0;
  }
}

/**
 * A wrong configuration: a bad option, flag or start URL. Thrown before any request is made; a pipeline prints its
 * message on one line and exits with status 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * throw new UsageError("Expected concurrency to be a positive integer, got 0");
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
}
