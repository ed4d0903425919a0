import type { CrawlErrorCode } from "./errors.ts";
import type { Extract } from "./parse/extractor.ts";

/** A URL to fetch, and how far from the start URLs it was found. */
export interface CrawlRequest {
  url: string;
  /** Links followed from a start URL to reach this one; start URLs have depth 0. */
  depth: number;
  /** `"sitemap"` for a sitemap or sitemap index, whose URLs are crawled; absent for a page. */
  kind?: "sitemap";
  /** The `<lastmod>` a sitemap gave for this URL, as written there. */
  lastmod?: string;
  /**
   * A fetch under way: set when the request went back to the frontier between two of its HTTP requests (a retry, a
   * redirect, its origin's robots.txt first), so that every request to a host waits for that host's turn.
   */
  progress?: FetchProgress;
}

/**
 * How far the fetch of one URL has come, carried by its request from one HTTP request to the next: plain data, so that
 * a shared frontier can hold it between two processes.
 */
export interface FetchProgress {
  /** The redirect targets followed so far, in order; the next request goes to the last, or to the URL itself. */
  redirects: string[];
  /** Requests made so far for the URL, retries and redirects included (its robots.txt is not counted). */
  requests: number;
  /** How many of those were retries. */
  retries: number;
  /** Bytes read from the network so far, headers included. */
  wireBytes: number;
  /** Failed tries of the next request's URL so far: its retries' count and backoff start from it. */
  tries: number;
  /**
   * Requests to the next URL that failed at their proxy and went again at once through another: not tries, and at
   * most one fewer than the proxies that could carry it. Absent when none did.
   */
  proxySwitches?: number;
  /**
   * The response that redirected to the next URL: the page's record, should that URL turn out closed by its
   * robots.txt (learned only once its turn comes), is that redirect's, not followed.
   */
  last?: { status: number; contentType: string; ms: number };
}

/**
 * The URL the next HTTP request of `request` goes to: its last redirect target, or its own URL. Its host is the host
 * the request waits for.
 *
 * @example
 * ```ts
 * import { nextUrl } from "./records.ts";
 * nextUrl({ url: "http://a.test/", depth: 0 }); // "http://a.test/"
 * ```
 */
export function nextUrl(request: CrawlRequest): string {
  return request.progress?.redirects.at(-1) ?? request.url;
}

/** The outcome of fetching one URL: plain data, safe to send to a worker thread or write as a row. */
export interface FetchedPage {
  /** The URL requested (normalized). */
  url: string;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
  depth: number;
  /** The HTTP status of the last response, 0 when none arrived. */
  status: number;
  /** The `Content-Type` of the last response, `""` when none. */
  contentType: string;
  /** The raw body bytes, before charset decoding; empty when the body was not read (an error, or not HTML). */
  body: Uint8Array;
  /** What went wrong, `""` on success. */
  error: string;
  /** The stable code of the error (see `CrawlError`), `""` on success. */
  errorCode: CrawlErrorCode | "";
  /** Requests made for this URL, retries and redirects included; 0 when none was made. */
  attempts: number;
  /** How many of those requests were retries. */
  retries: number;
  /** Redirects followed. */
  redirects: number;
  /** Bytes read from the network for this URL over all its requests, headers included, before decompression. */
  wireBytes: number;
  /** Milliseconds from the last request to the end of its response; 0 when none was made. */
  responseMs: number;
  /** `"sitemap"` when the URL was fetched as a sitemap. */
  kind?: "sitemap";
  /** The `<lastmod>` a sitemap gave for this URL. */
  lastmod?: string;
  /** When the fetch finished, ISO 8601. */
  fetchedAt: string;
  /**
   * Whether the body is the DOM a browser rendered from the fetched bytes (true) or those bytes (false). Set only by a
   * crawl that renders (`render: "auto"` or `"always"`).
   */
  rendered?: boolean;
}

/** A value a field extractor may produce; all of them survive CSV and JSON. */
export type FieldValue = string | number | boolean | null;

/**
 * The `fields` of the records that an `extract` option gives (see `PageSpec`): a field selected by CSS is its text or
 * attribute, or `null` when nothing matched; a function's fields are what it returns. Any named field may be missing,
 * from the record of a page that failed or is not HTML. `crawl()` infers it from its options.
 *
 * @example
 * ```ts
 * import type { FieldsOf } from "./records.ts";
 * type Book = FieldsOf<{ title: string; cover: string }>; // { title?: string | null; cover?: string | null }
 * ```
 */
export type FieldsOf<E extends Record<string, string> | Extract> = E extends (...args: never[]) => infer R
  ? string extends keyof R
    ? R
    : Partial<R>
  : string extends keyof E
    ? Record<string, string | null>
    : { [K in keyof E]?: string | null };

/**
 * A fetched and parsed page: what a crawl emits for each URL it attempted. `F` is the type of its `fields`: what its
 * `extract` option makes of them (see {@linkcode FieldsOf}).
 */
export interface PageRecord<F extends object = Record<string, FieldValue>> extends Omit<FetchedPage, "body"> {
  /** The size of the body in bytes, decompressed, before charset decoding; 0 when it was not read. */
  bytes: number;
  /** The document's `<title>`, whitespace collapsed; `""` when none. */
  title: string;
  /** The values of the extracted fields, by name. */
  fields: F;
  /** The links found to follow, absolute and normalized, in document order, without repeats. */
  links: string[];
  /**
   * For a sitemap: the requests it lists, pages (with their `lastmod`) and further sitemaps, crawled at depth 0
   * (see `parseSitemap`). Absent for a page.
   */
  found?: CrawlRequest[];
  /** The charset the body was decoded with, `""` when it was not decoded. */
  charset: string;
}
