import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import got, { type Got } from "got";
import { isHtmlType } from "./content_type.ts";
import { CrawlError, type CrawlErrorCode } from "../errors.ts";
import { HostLimiter, type PolitenessOptions } from "./host_limiter.ts";
import type { CrawlRequest, FetchedPage } from "../records.ts";
import { RobotsCache, type RobotsRefusal, type RobotsResponse } from "./robots.ts";
import { hostOf, normalizeUrl } from "../url.ts";
import { nonNegativeInteger, positiveInteger } from "../validate.ts";

/** A desktop Firefox User-Agent, for sites that turn away anything else (as Douban does). */
export const BROWSER_USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0";

/** The User-Agent sent unless another is set: honest about what is asking. */
export const DEFAULT_USER_AGENT = "rxcrawl/0.1 (+https://www.npmjs.com/package/rxcrawl)";

/** Options of {@linkcode Fetcher}. */
export interface FetcherOptions extends PolitenessOptions {
  /** Milliseconds one request may take, body included, before it fails with `ETIMEOUT`. @default 30000 */
  timeout?: number;
  /** The `User-Agent` header. @default DEFAULT_USER_AGENT */
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
   * Called before a redirect is followed, with the normalized target. Returning an error code stops there: the page
   * becomes a record with that error (a crawl uses it to keep redirects in scope and not fetch a URL twice).
   * @default follow every redirect
   */
  onRedirect?: (target: string, request: CrawlRequest) => CrawlErrorCode | undefined;
  /**
   * Obey each origin's robots.txt (fetched once, through the same limits and retries; see `RobotsCache`): a URL it
   * disallows becomes an `EROBOTS` record without a request, and its `Crawl-delay` paces the host.
   * @default true
   */
  robots?: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);
const NOT_RETRYABLE_NETWORK = new Set(["ENOTFOUND", "ERR_INVALID_URL", "Z_DATA_ERROR", "Z_BUF_ERROR", "ERR_INVALID_CHAR"]);
/** RFC 9309: parse at least 500 KiB of a robots.txt, follow at least 5 redirects to it. */
const ROBOTS_MAX_BYTES = 512 * 1024;
const ROBOTS_MAX_REDIRECTS = 5;

interface Attempt {
  status: number;
  contentType: string;
  body: Uint8Array;
  location?: string;
  retryAfter?: number;
  error?: CrawlError;
}

/**
 * Fetches pages through one shared got instance with keep-alive agents, so every request of a crawl reuses
 * connections and options. Failures never reject: they come back as a {@linkcode FetchedPage} with `error` set, after
 * retries with exponential backoff. Only an abort (the caller's `signal`) rejects.
 *
 * @example
 * ```ts
 * import { Fetcher } from "./fetcher.ts";
 * const fetcher = new Fetcher({ timeout: 10_000, perHost: 2 });
 * const page = await fetcher.fetch({ url: "https://example.com/", depth: 0 });
 * page.status; // 200
 * fetcher.close();
 * ```
 */
export class Fetcher {
  readonly #client: Got;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #limiter: HostLimiter;
  readonly #retries: number;
  readonly #retryDelay: number;
  readonly #maxRetryAfter: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #onRedirect: FetcherOptions["onRedirect"];
  readonly #robots: RobotsCache | undefined;

  constructor(options: FetcherOptions = {}) {
    const timeout = positiveInteger("timeout", options.timeout ?? 30_000);
    this.#retries = nonNegativeInteger("retries", options.retries ?? 2);
    this.#retryDelay = nonNegativeInteger("retryDelay", options.retryDelay ?? 1000);
    this.#maxRetryAfter = nonNegativeInteger("maxRetryAfter", options.maxRetryAfter ?? 60_000);
    this.#maxBytes = positiveInteger("maxBytes", options.maxBytes ?? 10 * 1024 * 1024);
    this.#maxRedirects = nonNegativeInteger("maxRedirects", options.maxRedirects ?? 10);
    this.#onRedirect = options.onRedirect;
    this.#limiter = new HostLimiter(options);
    const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#robots =
      options.robots === false
        ? undefined
        : new RobotsCache(userAgent, this.#fetchRobots, (origin, rules) => {
            if (rules.crawlDelay > 0) this.#limiter.setDelay(hostOf(origin), rules.crawlDelay);
          });
    this.#agents = {
      http: new http.Agent({ keepAlive: true, scheduling: "lifo" }),
      https: new https.Agent({ keepAlive: true, scheduling: "lifo" }),
    };
    this.#client = got.extend({
      agent: this.#agents,
      headers: {
        "user-agent": userAgent,
        accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "accept-language": "en-US,en;q=0.8,zh-CN;q=0.7,zh;q=0.5",
        ...lowerCaseKeys(options.headers ?? {}),
      },
      timeout: { request: timeout },
      // Retries, redirects and status handling are done here, where the crawl can see and pace each request.
      retry: { limit: 0 },
      followRedirect: false,
      throwHttpErrors: false,
      decompress: true,
    });
  }

  /**
   * Fetches `request.url`, following redirects and retrying. Rejects only when `signal` aborts (with its reason), or
   * when `stop` has aborted before a request could start, first, retry or redirect (with an `ESTOPPED` CrawlError):
   * a graceful stop lets requests on the wire finish but starts none.
   */
  async fetch(request: CrawlRequest, signal?: AbortSignal, stop?: AbortSignal): Promise<FetchedPage> {
    const chain = [request.url];
    let url = request.url;
    let attempts = 0;
    const refusal = await this.#robotsRefusal(url, signal, stop);
    if (refusal !== undefined) {
      const error = new CrawlError(refusal.code, refusal.message, { url });
      return record(request, url, { status: 0, contentType: "", body: EMPTY, error }, 0);
    }
    for (;;) {
      const { attempt, tries } = await this.#request(url, false, signal, stop);
      attempts += tries;
      if (attempt.location === undefined) return record(request, url, attempt, attempts);

      const target = normalizeUrl(attempt.location, url);
      const fail = (code: CrawlErrorCode, message: string) =>
        record(request, url, { ...attempt, error: new CrawlError(code, message, { url, status: attempt.status }) }, attempts);
      if (target === undefined) return fail("EREDIRECT", `Redirect to an unusable location ${JSON.stringify(attempt.location)}`);
      if (chain.includes(target)) return fail("EREDIRECT", `Redirect loop: ${[...chain, target].join(" -> ")}`);
      if (chain.length > this.#maxRedirects) return fail("EREDIRECT", `More than ${this.#maxRedirects} redirects`);
      const veto = this.#onRedirect?.(target, request);
      if (veto !== undefined) return fail(veto, `Redirect to ${target} not followed: ${REDIRECT_VETO[veto] ?? veto}`);
      const targetRefusal = await this.#robotsRefusal(target, signal, stop);
      if (targetRefusal !== undefined) {
        return fail(targetRefusal.code, `Redirect to ${target} not followed: ${targetRefusal.message}`);
      }
      chain.push(target);
      url = target;
    }
  }

  /** Closes every kept-alive connection; fetches still running fail. */
  close(): void {
    this.#limiter.clear();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** One URL through the host's limits, retried while the failure is retryable. */
  async #request(
    url: string,
    robots: boolean,
    signal: AbortSignal | undefined,
    stop: AbortSignal | undefined,
  ): Promise<{ attempt: Attempt; tries: number }> {
    const host = hostOf(url);
    // Checked when the host's turn comes, not when the request queues: a stop must catch requests waiting there.
    const start = () => (stop?.aborted ? Promise.reject(stopped(url)) : this.#attempt(url, robots, signal));
    for (let retry = 0; ; retry++) {
      const attempt = await this.#limiter.run(host, start, signal);
      if (attempt.error?.retryable !== true || retry >= this.#retries) return { attempt, tries: retry + 1 };
      if (stop?.aborted) throw stopped(url);
      await sleep(this.#backoff(retry, attempt.retryAfter), undefined, { signal });
    }
  }

  async #robotsRefusal(url: string, signal?: AbortSignal, stop?: AbortSignal): Promise<RobotsRefusal | undefined> {
    if (this.#robots === undefined) return undefined;
    return (await this.#robots.rulesFor(url, signal, stop)).refusal(url);
  }

  readonly #fetchRobots = async (robotsUrl: string, signal?: AbortSignal, stop?: AbortSignal): Promise<RobotsResponse> => {
    let url = robotsUrl;
    for (let redirects = 0; ; redirects++) {
      const { attempt } = await this.#request(url, true, signal, stop);
      const target = attempt.location === undefined ? undefined : normalizeUrl(attempt.location, url);
      if (target === undefined || redirects === ROBOTS_MAX_REDIRECTS) {
        const ok = attempt.error === undefined && attempt.status < 300;
        return {
          status: attempt.status,
          text: ok ? new TextDecoder().decode(attempt.body) : "",
          error: attempt.status === 0 ? (attempt.error?.message ?? "") : "",
          errorCode: attempt.status === 0 ? (attempt.error?.code ?? "") : "",
        };
      }
      url = target;
    }
  };

  #backoff(retry: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.#maxRetryAfter);
    return this.#retryDelay * 2 ** retry * (0.5 + Math.random());
  }

  /**
   * One request: resolves with what arrived, or with the error; rejects only on abort. A robots.txt is read whatever
   * its type and cut at ROBOTS_MAX_BYTES rather than failed, as RFC 9309 allows.
   */
  #attempt(url: string, robots: boolean, signal: AbortSignal | undefined): Promise<Attempt> {
    const maxBytes = robots ? Math.min(this.#maxBytes, ROBOTS_MAX_BYTES) : this.#maxBytes;
    signal?.throwIfAborted();
    return new Promise<Attempt>((resolve, reject) => {
      const stream = this.#client.stream(url);
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      let contentType = "";
      let location: string | undefined;
      let retryAfter: number | undefined;
      let settled = false;

      const settle = (attempt: Attempt | Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (attempt instanceof Error) reject(attempt);
        else resolve(attempt);
      };
      const fail = (code: CrawlErrorCode, message: string, retryable: boolean, cause?: unknown) => {
        settle({ status, contentType, body: EMPTY, error: new CrawlError(code, message, { url, status, retryable, cause }) });
        stream.destroy();
      };
      const onAbort = () => {
        settle(signal!.reason instanceof Error ? signal!.reason : new Error("Aborted"));
        stream.destroy();
      };
      signal?.addEventListener("abort", onAbort, { once: true });

      stream.on("response", (response: http.IncomingMessage) => {
        status = response.statusCode ?? 0;
        contentType = response.headers["content-type"] ?? "";
        retryAfter = parseRetryAfter(response.headers["retry-after"]);
        if (REDIRECTS.has(status) && response.headers.location !== undefined) location = response.headers.location;
        const declared = Number(response.headers["content-length"]);
        if (!robots && declared > maxBytes && response.headers["content-encoding"] === undefined) {
          fail("ETOOBIG", `Body of ${declared} bytes is over the limit of ${maxBytes}`, false);
        } else if (!robots && location === undefined && status < 400 && !isHtmlType(contentType)) {
          // Not a page: its status and type make the record, and its body is not worth downloading.
          settle({ status, contentType, body: EMPTY });
          stream.destroy();
        }
      });
      const end = () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        if (status >= 400) {
          const message = `HTTP ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd();
          const error = new CrawlError("EHTTP", message, { url, status, retryable: RETRYABLE_STATUS.has(status) });
          return settle({ status, contentType, body, error, ...(retryAfter === undefined ? {} : { retryAfter }) });
        }
        settle({ status, contentType, body, ...(location === undefined ? {} : { location }) });
      };
      stream.on("data", (chunk: Buffer) => {
        if (size + chunk.length > maxBytes) {
          if (!robots) return fail("ETOOBIG", `Body is over the limit of ${maxBytes} bytes`, false);
          chunks.push(chunk.subarray(0, maxBytes - size));
          size = maxBytes;
          end();
          return stream.destroy();
        }
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on("end", end);
      stream.on("error", (error: Error & { code?: string }) => {
        if (error.name === "TimeoutError" || error.code === "ETIMEDOUT") {
          return fail("ETIMEOUT", `No complete response within the timeout`, true, error);
        }
        const code = error.code ?? "";
        fail("ENETWORK", `${code || error.name}: ${error.message}`, !NOT_RETRYABLE_NETWORK.has(code), error);
      });
    });
  }
}

const EMPTY = new Uint8Array(0);

function stopped(url: string): CrawlError {
  return new CrawlError("ESTOPPED", "Not started: the crawl was stopping", { url });
}

const REDIRECT_VETO: Partial<Record<CrawlErrorCode, string>> = {
  ESCOPE: "out of the crawl's scope",
  EDUPLICATE: "already crawled",
  EROBOTS: "disallowed by robots.txt",
};

/** `Retry-After` in milliseconds: delay-seconds or an HTTP-date. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function record(request: CrawlRequest, finalUrl: string, attempt: Attempt, attempts: number): FetchedPage {
  return {
    url: request.url,
    finalUrl,
    depth: request.depth,
    status: attempt.status,
    contentType: attempt.contentType,
    body: attempt.error === undefined ? attempt.body : EMPTY,
    error: attempt.error?.message ?? "",
    errorCode: attempt.error?.code ?? "",
    attempts,
    fetchedAt: new Date().toISOString(),
  };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
