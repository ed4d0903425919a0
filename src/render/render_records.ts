import type { CrawlErrorCode } from "../errors.ts";

/**
 * A page's document as the crawl's fetcher got it: the browser is given these bytes for the navigation instead of
 * fetching the page again, so that size limits, redirects, cookies, proxies and retries stay the fetcher's.
 */
export interface DocumentResponse {
  /** The URL the body came from, after redirects: the page's address in the browser. */
  url: string;
  /** The HTTP status. */
  status: number;
  /**
   * The response's headers, names in any case. `content-type` (with its charset) tells the browser how to read the
   * body; `content-length` and `content-encoding` are dropped, the body being whole and decoded.
   */
  headers: Readonly<Record<string, string>>;
  /** The body, decompressed. */
  body: Uint8Array;
}

/**
 * Fetches a document for the browser, outside the browser: the crawl passes its own fetcher. A rejection fails the
 * render with the error's `code` when it is a `CrawlError`, else with `ERENDER`.
 */
export type FetchDocument = (url: string, signal: AbortSignal) => Promise<DocumentResponse>;

/** Whether a request a page makes may go out. */
export type RequestVerdict = "continue" | "abort";

/** What {@linkcode OnRequest} is told besides the request's URL and type. */
export interface RequestContext {
  /** The URL of the page being rendered (as requested). */
  page: string;
  /** Aborts when the page no longer waits for the request (it was rendered, timed out or crashed). */
  signal: AbortSignal;
}

/**
 * Decides each request a rendered page makes beyond its own document (scripts, data, frames), awaited before the
 * request goes out: where a crawl applies robots.txt and its per-host pace. A rejection aborts the request and fails
 * the render with `ERENDER`.
 */
export type OnRequest = (url: string, resourceType: string, context: RequestContext) => RequestVerdict | Promise<RequestVerdict>;

/**
 * Told, for each request that {@linkcode OnRequest} let go, when it has been handed to the browser's network (`sent`
 * true), or that it never will be (false: the page ended first): where a crawl notes when it left, which may be well
 * after the verdict on a busy browser.
 */
export type OnSent = (url: string, sent: boolean) => void;

/** One page to render. Either `response` or `fetch` is needed: the browser never fetches a page's document itself. */
export interface RenderRequest {
  /** The page's URL. */
  url: string;
  /** The page as already fetched over HTTP: its navigation is fulfilled from these bytes. */
  response?: DocumentResponse;
  /**
   * Fetches the page's document when no `response` is given, before a tab is taken (the page opens at the URL its
   * redirects ended at), and any other page the main frame navigates to (a script's redirect).
   */
  fetch?: FetchDocument;
  /** A CSS selector to wait for on this page instead of the pool's `waitFor` (or instead of settling). */
  waitFor?: string;
  /** Milliseconds this page gets instead of the pool's `timeout`. */
  timeout?: number;
}

/** The stable codes of a failed render: a browser's own, or the code of the error `fetch` rejected with. */
export type RenderErrorCode = CrawlErrorCode;

/** Where a render's time went, in milliseconds from the call. */
export interface RenderTimings {
  /** Fetching the document (when `fetch` did), then waiting for a free tab (and a browser start). */
  queuedMs: number;
  /** Until the page's load event; 0 when it never came. */
  loadMs: number;
  /** Until the page was ready (settled, or `waitFor` matched); 0 when it never was. */
  readyMs: number;
  /** Until the result, the DOM serialized. */
  totalMs: number;
}

/** The outcome of rendering one page: plain data, safe to send to a worker thread or write as a row. */
export interface RenderResult {
  /** The URL asked for. */
  url: string;
  /** The document's URL when it was serialized (after redirects and `history.pushState`); `""` when none loaded. */
  finalUrl: string;
  /** The HTTP status of the page's document; 0 when there was none. */
  status: number;
  /**
   * The DOM serialized as HTML, doctype included; `""` when the render failed before there was one. A page that timed
   * out keeps the DOM it had.
   */
  html: string;
  /** What went wrong, `""` on success. */
  error: string;
  /** The stable code of the error, `""` on success. */
  errorCode: RenderErrorCode | "";
  /** Tabs the page was loaded in: 2 when a crash was retried. */
  attempts: number;
  timings: RenderTimings;
  /** Requests the page made beyond its own document, aborted ones and WebSockets included (over all attempts). */
  requests: number;
  /** Of those, the ones aborted: a blocked resource type, refused by `onRequest`, or a WebSocket (never opened). */
  aborted: number;
  /** `requests` by host (`hostname:port` when a port is given). */
  requestsByHost: Record<string, number>;
  /** When the render finished, ISO 8601. */
  renderedAt: string;
}
