import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import got, { type Got } from "got";
import { DEFAULTS } from "../defaults.ts";
import { CrawlError, type CrawlErrorCode } from "../errors.ts";
import type { CrawlRequest, FetchedPage } from "../records.ts";
import { hostOf, normalizeUrl, originOf } from "../url.ts";
import { type BlockEvent, BlockDetector, HostSlowdown, type PaceNote } from "./blocks.ts";
import { isHtmlType } from "./content_type.ts";
import { CrawlCookieJar } from "./cookie_jar.ts";
import { type FetchConfig, fetchConfig, type FetchOptions } from "./fetch_options.ts";
import { HostLimiter } from "./host_limiter.ts";
import type { HostPacer } from "./host_pacer.ts";
import { type Proxy, type ProxyEvent, ProxyPool, proxyFailure } from "./proxy_pool.ts";
import { RobotsCache, type RobotsFetch, type RobotsRefusal, type RobotsResponse } from "./robots.ts";

/** A desktop Firefox User-Agent, for sites that turn away anything else (as Douban does). */
export const BROWSER_USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0";

/** The User-Agent sent unless another is set: honest about what is asking. */
export const DEFAULT_USER_AGENT = DEFAULTS.userAgent;

/** Options of {@linkcode Fetcher}: see {@linkcode FetchOptions}. */
export type FetcherOptions = FetchOptions;

/** What a {@linkcode Fetcher} tells for a crawl's statistics: requests through each proxy, benched proxies, blocks. */
export type FetchEvent = ProxyEvent | BlockEvent;

/** How a {@linkcode Fetcher} works with the crawl around it. */
export interface FetcherHooks {
  /**
   * Called before a redirect is followed, with the normalized target. Returning an error code stops there: the page
   * becomes a record with that error (a crawl uses it to keep redirects in scope and not fetch a URL twice).
   * @default follow every redirect
   */
  onRedirect?: (target: string, request: CrawlRequest) => CrawlErrorCode | undefined | Promise<CrawlErrorCode | undefined>;
  /** Paces requests per host. @default a `HostLimiter` with the options' `perHost` and `rate` */
  pacer?: HostPacer;
  /**
   * Wraps the fetch of a robots.txt, so that several processes sharing a crawl fetch each origin's file once.
   * @default fetch it in this process
   */
  shareRobots?: (fetch: RobotsFetch) => RobotsFetch;
  /** Told of each request through a proxy, each proxy benched and each block. @default nobody */
  onEvent?: (event: FetchEvent) => void;
  /**
   * Told a host's own least interval between request starts whenever blocks change it, for whoever schedules requests
   * by host to apply. @default the pacer applies it (with the host's robots.txt `Crawl-delay`)
   */
  onPace?: (note: PaceNote) => void;
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
  /** The request failed at its proxy, not at the site (see `proxyFailure`): another proxy may carry it. */
  proxyFault?: boolean;
  /** Bytes read from the socket for this response, headers included. */
  wireBytes: number;
  /** From the request to the end of the response, in milliseconds. */
  ms: number;
}

/** What the requests for one URL added up to, over retries and redirects. */
interface Tally {
  requests: number;
  retries: number;
  redirects: number;
  wireBytes: number;
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
  readonly #pacer: HostPacer;
  readonly #config: FetchConfig;
  readonly #onRedirect: FetcherHooks["onRedirect"];
  readonly #onEvent: FetcherHooks["onEvent"];
  readonly #onPace: FetcherHooks["onPace"];
  readonly #robots: RobotsCache | undefined;
  readonly #cookies: CrawlCookieJar | undefined;
  readonly #proxies: ProxyPool | undefined;
  readonly #blocks: BlockDetector;
  readonly #slowdown: HostSlowdown;
  /** robots.txt `Crawl-delay`s by host, which the pacer's delay must keep when a block changes it. */
  readonly #crawlDelays = new Map<string, number>();

  constructor(options: FetcherOptions | FetchConfig = {}, hooks: FetcherHooks = {}) {
    const config = fetchConfig(options);
    this.#config = config;
    this.#onRedirect = hooks.onRedirect;
    this.#onEvent = hooks.onEvent;
    this.#onPace = hooks.onPace;
    this.#pacer = hooks.pacer ?? new HostLimiter(config);
    this.#cookies = config.cookies ? new CrawlCookieJar(config.initialCookies) : undefined;
    this.#proxies = config.proxies.proxies.length === 0 ? undefined : new ProxyPool(config.proxies, hooks.onEvent);
    this.#blocks = new BlockDetector(config.blocks);
    this.#slowdown = new HostSlowdown({
      startMs: Math.max(1, config.retryDelay),
      maxMs: config.maxRetryAfter,
      baseMs: config.rate === Infinity ? 0 : 1000 / config.rate,
    });
    const fetchRobots = hooks.shareRobots?.(this.#fetchRobots) ?? this.#fetchRobots;
    this.#robots = !config.robots
      ? undefined
      : new RobotsCache(config.userAgent, fetchRobots, (origin, rules) => {
          if (rules.crawlDelay <= 0) return;
          this.#crawlDelays.set(hostOf(origin), rules.crawlDelay);
          this.#applyDelay(hostOf(origin));
        });
    this.#agents = {
      http: new http.Agent({ keepAlive: true, scheduling: "lifo" }),
      https: new https.Agent({ keepAlive: true, scheduling: "lifo" }),
    };
    this.#client = got.extend({
      agent: this.#agents,
      headers: {
        "user-agent": config.userAgent,
        accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "accept-language": "en-US,en;q=0.8,zh-CN;q=0.7,zh;q=0.5",
        ...lowerCaseKeys(config.headers),
      },
      timeout: { request: config.timeout },
      ...(this.#cookies === undefined ? {} : { cookieJar: this.#cookies }),
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
   * a graceful stop lets requests on the wire finish but starts none. A request of kind `"sitemap"` is read whatever
   * its type (XML, gzip); any other is read only when it is HTML.
   */
  async fetch(request: CrawlRequest, signal?: AbortSignal, stop?: AbortSignal): Promise<FetchedPage> {
    const mode: Mode = request.kind === "sitemap" ? "any" : "page";
    const chain = [request.url];
    let url = request.url;
    // A redirect back to the URL asked for is followed once, as a browser does when a site sets a cookie on the way
    // (a consent page that sends the visitor back); a second return, or any other repeat, is a loop.
    let returned = false;
    const tally: Tally = { requests: 0, retries: 0, redirects: 0, wireBytes: 0 };
    const refusal = await this.#robotsRefusal(url, signal, stop);
    if (refusal !== undefined) {
      const error = new CrawlError(refusal.code, refusal.message, { url });
      return record(request, url, { status: 0, contentType: "", body: EMPTY, error, wireBytes: 0, ms: 0 }, tally);
    }
    for (;;) {
      const attempt = await this.#request(url, mode, tally, signal, stop);
      if (attempt.location === undefined) return record(request, url, attempt, tally);

      const target = normalizeUrl(attempt.location, url);
      const fail = (code: CrawlErrorCode, message: string) =>
        record(request, url, { ...attempt, error: new CrawlError(code, message, { url, status: attempt.status }) }, tally);
      const { maxRedirects } = this.#config;
      if (target === undefined) return fail("EREDIRECT", `Redirect to an unusable location ${JSON.stringify(attempt.location)}`);
      const returning: boolean = target === request.url && !returned;
      if (chain.includes(target) && !returning) return fail("EREDIRECT", `Redirect loop: ${[...chain, target].join(" -> ")}`);
      if (chain.length > maxRedirects) return fail("EREDIRECT", `More than ${maxRedirects} redirects`);
      // The URL asked for is in scope, allowed and already claimed: only a new target is checked.
      if (!returning) {
        const veto = await this.#onRedirect?.(target, request);
        if (veto !== undefined) return fail(veto, `Redirect to ${target} not followed: ${REDIRECT_VETO[veto] ?? veto}`);
        const targetRefusal = await this.#robotsRefusal(target, signal, stop);
        if (targetRefusal !== undefined) {
          return fail(targetRefusal.code, `Redirect to ${target} not followed: ${targetRefusal.message}`);
        }
      }
      returned ||= returning;
      chain.push(target);
      tally.redirects++;
      url = target;
    }
  }

  /**
   * The sitemaps of the origin of `url`: those its robots.txt names (fetched once, as for every request; none when
   * robots.txt is not obeyed) and `/sitemap.xml`, normalized, without repeats. Rejects only when `signal` aborts.
   */
  async sitemapsOf(url: string, signal?: AbortSignal): Promise<string[]> {
    const named = this.#robots === undefined ? [] : (await this.#robots.rulesFor(url, signal)).sitemaps;
    const sitemaps = new Set<string>();
    for (const href of [...named, `${originOf(url)}/sitemap.xml`]) {
      const sitemap = normalizeUrl(href, url);
      if (sitemap !== undefined) sitemaps.add(sitemap);
    }
    return [...sitemaps];
  }

  /** Closes every kept-alive connection; fetches still running fail. */
  close(): void {
    this.#pacer.clear();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
    this.#proxies?.close();
  }

  /**
   * One URL through the host's limits, retried while the failure is retryable: after a block, through another proxy
   * and with a fresh cookie session, no sooner than the host's slowed pace; after a proxy's own failure, at once
   * through another proxy, without counting against `retries`, while the pool has one left to try.
   */
  async #request(
    url: string,
    mode: Mode,
    tally: Tally,
    signal: AbortSignal | undefined,
    stop: AbortSignal | undefined,
  ): Promise<Attempt> {
    const host = hostOf(url);
    let avoid: Proxy | undefined;
    for (let retry = 0, switches = 0; ; ) {
      let via: Proxy | undefined;
      // Checked when the host's turn comes, not when the request queues: a stop must catch requests waiting there. The
      // proxy is chosen then too, so that one benched in the meantime is not taken.
      const start = (sent: () => void) => {
        if (stop?.aborted) return Promise.reject(stopped(url));
        via = this.#proxies?.pick(url, avoid);
        return this.#attempt(url, mode, signal, sent, via);
      };
      const attempt = await this.#pacer.run(host, start, signal);
      tally.requests++;
      tally.wireBytes += attempt.wireBytes;
      const leastWait = await this.#learn(url, host, attempt, via);
      if (attempt.proxyFault === true && switches < this.#proxies!.sizeFor(url) - 1) {
        if (stop?.aborted) throw stopped(url);
        switches++;
        tally.retries++;
        continue;
      }
      if (attempt.error?.retryable !== true || retry >= this.#config.retries) return attempt;
      if (stop?.aborted) throw stopped(url);
      await sleep(Math.max(leastWait, this.#backoff(retry, attempt.retryAfter)), undefined, { signal });
      tally.retries++;
      retry++;
      avoid = attempt.error.code === "EBLOCKED" ? via : undefined;
    }
  }

  /**
   * What one response teaches the crawl: a proxy that failed is benched; a block slows its host down and ends the
   * session the site had (the cookies it set); a page served without one lets a slowed host speed up again. Resolves
   * with the least wait before the URL is tried again: the host's slowed interval after a block.
   */
  async #learn(url: string, host: string, attempt: Attempt, via: Proxy | undefined): Promise<number> {
    if (via !== undefined && attempt.proxyFault === true) this.#proxies!.failed(via);
    else if (via !== undefined && attempt.status > 0) this.#proxies!.succeeded(via);
    if (attempt.error?.code === "EBLOCKED") {
      const note = this.#slowdown.blocked(host);
      this.#onEvent?.({ type: "block", ...note });
      this.#pace(note);
      await this.#cookies?.freshSession(url);
      return note.intervalMs;
    }
    const note = attempt.status > 0 ? this.#slowdown.passed(host) : undefined;
    if (note !== undefined) this.#pace(note);
    return 0;
  }

  #pace(note: PaceNote): void {
    if (this.#onPace !== undefined) this.#onPace(note);
    else this.#applyDelay(note.host);
  }

  /**
   * The pacer's delay of `host`: its robots.txt `Crawl-delay` or its slowed interval, whichever is longer. (Where the
   * frontier schedules by host, it takes the two itself.)
   */
  #applyDelay(host: string): void {
    this.#pacer.setDelay(host, Math.max(this.#crawlDelays.get(host) ?? 0, this.#slowdown.intervalMs(host)));
  }

  async #robotsRefusal(url: string, signal?: AbortSignal, stop?: AbortSignal): Promise<RobotsRefusal | undefined> {
    if (this.#robots === undefined) return undefined;
    return (await this.#robots.rulesFor(url, signal, stop)).refusal(url);
  }

  readonly #fetchRobots: RobotsFetch = async (robotsUrl, signal, stop) => {
    let url = robotsUrl;
    const tally: Tally = { requests: 0, retries: 0, redirects: 0, wireBytes: 0 };
    for (let redirects = 0; ; redirects++) {
      const attempt = await this.#request(url, "robots", tally, signal, stop);
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
    if (retryAfter !== undefined) return Math.min(retryAfter, this.#config.maxRetryAfter);
    return this.#config.retryDelay * 2 ** retry * (0.5 + Math.random());
  }

  /**
   * One request: resolves with what arrived, or with the error; rejects only on abort. A page is read only when it is
   * HTML; a robots.txt is read whatever its type and cut at ROBOTS_MAX_BYTES rather than failed, as RFC 9309 allows;
   * `"any"` reads every type up to the size limit.
   */
  #attempt(url: string, mode: Mode, signal: AbortSignal | undefined, sent: () => void, via: Proxy | undefined): Promise<Attempt> {
    const robots = mode === "robots";
    const maxBytes = robots ? Math.min(this.#config.maxBytes, ROBOTS_MAX_BYTES) : this.#config.maxBytes;
    signal?.throwIfAborted();
    const started = performance.now();
    return new Promise<Attempt>((resolve, reject) => {
      const stream = this.#client.stream(url, via === undefined ? undefined : { agent: via.agents });
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      let contentType = "";
      let location: string | undefined;
      let retryAfter: number | undefined;
      let settled = false;
      // What the response cost on the wire: the socket's byte count from when the request got it. A kept-alive socket
      // carries one response at a time, so the difference is this response's, headers included, before decompression.
      let socket: Socket | undefined;
      let socketStart = 0;
      stream.once("request", (request: http.ClientRequest) => {
        request.once("socket", (assigned: Socket) => {
          socket = assigned;
          socketStart = assigned.bytesRead;
        });
        request.once("finish", sent);
      });
      const wire = () => (socket === undefined ? 0 : socket.bytesRead - socketStart);

      const settle = (attempt: Omit<Attempt, "wireBytes" | "ms"> | Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (attempt instanceof Error) reject(attempt);
        else resolve({ ...attempt, wireBytes: wire(), ms: performance.now() - started });
      };
      const fail = (code: CrawlErrorCode, message: string, retryable: boolean, cause?: unknown, proxyFault = false) => {
        const error = new CrawlError(code, message, { url, status, retryable, cause });
        settle({ status, contentType, body: EMPTY, error, ...(proxyFault ? { proxyFault } : {}) });
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
        } else if (mode === "page" && location === undefined && status < 400 && !isHtmlType(contentType)) {
          // Not a page: its status and type make the record, and its body is not worth downloading.
          settle({ status, contentType, body: EMPTY });
          stream.destroy();
        }
      });
      const end = () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        // robots.txt keeps the meaning RFC 9309 gives its statuses.
        const blocked = robots ? undefined : this.#blocks.reason(status, body);
        if (blocked !== undefined) {
          const error = new CrawlError("EBLOCKED", `Blocked: ${blocked}`, { url, status, retryable: true });
          return settle({ status, contentType, body, error, ...(retryAfter === undefined ? {} : { retryAfter }) });
        }
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
        const retryable = !NOT_RETRYABLE_NETWORK.has(code);
        // Through a proxy, a request that never got a connection failed on its way to the site, at the proxy.
        if (via !== undefined && socket === undefined) {
          const { message, proxyFault } = proxyFailure(error, via.name);
          return fail("ENETWORK", message, retryable, error, proxyFault);
        }
        const through = via === undefined ? "" : ` through proxy ${via.name}`;
        fail("ENETWORK", `${code || error.name}: ${error.message}${through}`, retryable, error);
      });
    });
  }
}

/** What a request reads: a page (HTML only), a robots.txt (any type, cut at its limit), or any type (a sitemap). */
type Mode = "page" | "robots" | "any";

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

function record(request: CrawlRequest, finalUrl: string, attempt: Attempt, tally: Tally): FetchedPage {
  const page: FetchedPage = {
    url: request.url,
    finalUrl,
    depth: request.depth,
    status: attempt.status,
    contentType: attempt.contentType,
    body: attempt.error === undefined ? attempt.body : EMPTY,
    error: attempt.error?.message ?? "",
    errorCode: attempt.error?.code ?? "",
    attempts: tally.requests,
    retries: tally.retries,
    redirects: tally.redirects,
    wireBytes: tally.wireBytes,
    responseMs: Math.round(attempt.ms),
    fetchedAt: new Date().toISOString(),
  };
  if (request.kind !== undefined) page.kind = request.kind;
  if (request.lastmod !== undefined) page.lastmod = request.lastmod;
  return page;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
