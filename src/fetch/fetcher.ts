import http from "node:http";
import type https from "node:https";
import type { Socket } from "node:net";
import got, { type Got } from "got";
import { DEFAULTS } from "../defaults.ts";
import { CrawlError, type CrawlErrorCode } from "../errors.ts";
import { withKeys } from "../internal.ts";
import { type CrawlRequest, type FetchedPage, type FetchProgress, nextUrl } from "../records.ts";
import { hostOf, normalizeUrl } from "../url.ts";
import { type BlockEvent, BlockDetector, HostSlowdown } from "./blocks.ts";
import { isPageType } from "./content_type.ts";
import { CrawlCookieJar, type SharedCookieStore } from "./cookie_jar.ts";
import { type FetchConfig, fetchConfig, type FetchOptions } from "./fetch_options.ts";
import { keepAliveAgents } from "./keep_alive_agents.ts";
import { leanRequests } from "./lean_requests.ts";
import { type Proxy, type ProxyEvent, ProxyPool, proxyFailure } from "./proxy_pool.ts";
import { RobotsCache, type RobotsFetch, type RobotsRefusal } from "./robots.ts";
import { rateSpacingMs, startSpacingMs } from "./spacing.ts";

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
  /**
   * Wraps the fetch of a robots.txt, so that several processes sharing a crawl fetch each origin's file once.
   * @default fetch it in this process
   */
  shareRobots?: (fetch: RobotsFetch) => RobotsFetch;
  /** Told of each request through a proxy, each proxy benched and each block. @default nobody */
  onEvent?: (event: FetchEvent) => void;
  /**
   * Where the crawl's cookies are kept, when several processes share the crawl (see `CrawlState.cookieStore`).
   * @default in this process's memory
   */
  cookieStore?: SharedCookieStore | undefined;
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

/** A fetch that has made no request yet. */
const FRESH: FetchProgress = Object.freeze({ redirects: [], requests: 0, retries: 0, wireBytes: 0, tries: 0 }) as FetchProgress;

/**
 * A host's own least interval between starts that a step learned: the longer of its robots.txt `Crawl-delay` and the
 * interval its blocks slowed it to (see {@linkcode HostSlowdown}).
 */
export interface StepPace {
  host: string;
  intervalMs: number;
}

/**
 * What one step of a fetch gave: the page, finished (with a record to make), or the request again, its progress
 * updated, to wait in the frontier for its next start (a retry after its backoff, a redirect's next hop, the page after
 * its origin's robots.txt).
 */
export type FetchStep =
  | { page: FetchedPage; pace?: StepPace }
  | {
      again: CrawlRequest;
      /** The least ms before the next request (a retry's backoff, `Retry-After`; 0 for another proxy at once). */
      delayMs: number;
      /** The sitemaps a robots.txt fetched in this step names, normalized. */
      sitemaps?: string[];
      pace?: StepPace;
    };

/** Options of {@linkcode Fetcher.robotsRefusal}. */
export interface RobotsRefusalOptions {
  /** Aborts the robots.txt request, if one is made. */
  signal?: AbortSignal | undefined;
  /** Awaited before a robots.txt request is made: the host's turn. @default none */
  beforeFetch?: () => Promise<void>;
}

/** Options of {@linkcode Fetcher.step}. */
export interface StepOptions {
  /** Aborts the request on the wire; the step rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** A graceful stop: once aborted, a step starts no request and rejects with an `ESTOPPED` CrawlError. */
  stop?: AbortSignal | undefined;
  /** Called when the step's request has left, to space the host's next start from then. */
  sent?: () => void;
}

/**
 * Fetches pages one HTTP request at a time, through one shared got instance with keep-alive agents (or a pool of
 * proxies), so every request of a crawl reuses connections and options, and keeps the crawl's cookies. A step never
 * waits for politeness: the frontier that hands it the request has decided that its host may start now. So retries,
 * redirects and the origin's robots.txt each go back to the frontier as a step of their own ({@linkcode FetchStep}),
 * and each waits for its host's turn; what a step learned about its host's pace (a `Crawl-delay`, a host that blocks)
 * goes with it. Failures never reject: they end as a page with `error` set, once the retries are spent. Only an abort,
 * or a stop, rejects.
 *
 * @example
 * ```ts
 * import { Fetcher } from "./fetcher.ts";
 * const fetcher = new Fetcher({ timeout: 10_000 });
 * const step = await fetcher.step({ url: "https://example.com/", depth: 0 });
 * if ("page" in step) step.page.status; // 200
 * else step.again.progress; // the robots.txt came first, or a retry or redirect follows
 * fetcher.close();
 * ```
 */
export class Fetcher {
  readonly #client: Got;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #config: FetchConfig;
  readonly #onRedirect: FetcherHooks["onRedirect"];
  readonly #onEvent: FetcherHooks["onEvent"];
  readonly #shareRobots: (fetch: RobotsFetch) => RobotsFetch;
  readonly #robots: RobotsCache | undefined;
  /** Failed tries of each robots.txt URL being fetched, and its requests that failed at their proxy. */
  readonly #robotsTries = new Map<string, { tries: number; switches: number }>();
  readonly #cookies: CrawlCookieJar | undefined;
  readonly #proxies: ProxyPool | undefined;
  readonly #blocks: BlockDetector;
  readonly #slowdown: HostSlowdown;

  constructor(options: FetcherOptions | FetchConfig = {}, hooks: FetcherHooks = {}) {
    const config = fetchConfig(options);
    this.#config = config;
    this.#onRedirect = hooks.onRedirect;
    this.#onEvent = hooks.onEvent;
    this.#shareRobots = hooks.shareRobots ?? ((fetch) => fetch);
    this.#robots = config.robots ? new RobotsCache(config.userAgent) : undefined;
    this.#cookies = config.cookies ? new CrawlCookieJar(config.initialCookies, { store: hooks.cookieStore }) : undefined;
    this.#proxies = config.proxies.proxies.length === 0 ? undefined : new ProxyPool(config.proxies, hooks.onEvent);
    this.#blocks = new BlockDetector(config.blocks);
    this.#slowdown = new HostSlowdown({
      startMs: Math.max(1, config.retryDelay),
      maxMs: config.maxRetryAfter,
      baseMs: rateSpacingMs(config.rate),
    });
    this.#agents = keepAliveAgents();
    this.#client = got.extend({
      ...leanRequests(),
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
   * Makes the next HTTP request of `request` (to `nextUrl(request)`): its origin's robots.txt when that is not known
   * yet, else the request itself. A request of kind `"sitemap"` is read whatever its type (XML, gzip); any other is
   * read only when it is a page, HTML or XML (see `isPageType`). A block is retried after its backoff with a fresh
   * cookie session and, when the pool has another, through another proxy; a request that failed at its proxy goes
   * again at once through another, without counting against `retries`. Rejects only when `signal` aborts (with its
   * reason), or with an `ESTOPPED` CrawlError when `stop` has aborted before the request could start.
   */
  async step(request: CrawlRequest, options: StepOptions = {}): Promise<FetchStep> {
    const { signal, stop, sent = NOTHING } = options;
    const url = nextUrl(request);
    const progress = request.progress ?? FRESH;
    if (stop?.aborted) throw stopped(url);
    let crawlDelay = 0;
    if (this.#robots !== undefined) {
      let rules = this.#robots.lookup(url);
      if (rules === undefined) return this.#robotsStep(request, url, signal, sent);
      if (rules instanceof Promise) {
        // Another step is fetching this origin's robots.txt: this one makes its own request once it is in.
        try {
          rules = await rules;
        } catch (error) {
          if (error instanceof RetryLater) return { again: { ...request, progress }, delayMs: error.delayMs };
          throw error;
        }
        if (stop?.aborted) throw stopped(url);
      }
      const refusal = rules.refusal(url);
      if (refusal !== undefined) return { page: refused(request, progress, refusal) };
      crawlDelay = startSpacingMs(rules.crawlDelay);
    }
    // Taken as the request starts, not as it queued: a proxy benched in the meantime is not taken.
    const via = this.#proxies?.pick(url);
    const attempt = await this.#attempt(url, request.kind === "sitemap" ? "any" : "page", signal, sent, via);
    const spent = { ...progress, requests: progress.requests + 1, wireBytes: progress.wireBytes + attempt.wireBytes };
    const pace = await this.#learn(url, attempt, via, crawlDelay);
    const step = await this.#next(request, url, attempt, spent);
    if (pace !== undefined) step.pace = pace;
    return step;
  }

  /**
   * Resolves once the fetcher may send its first request: the cookies it starts with are in its jar. A step waits for
   * it anyway; a crawl sharing its jar calls it before leasing, so that no other process fetches before they are in.
   */
  async ready(): Promise<void> {
    await this.#cookies?.ready();
  }

  /**
   * Why robots.txt keeps `url` (normalized) closed, for a request the crawl makes outside a step (a rendered page's
   * own requests), or `undefined` when it may go: its origin's rules, its robots.txt fetched first when they are not
   * known yet, once `beforeFetch` has resolved (where the caller waits for the host's turn). A robots.txt that cannot be
   * read now (a failure to retry later) keeps the request out. Always `undefined` when the crawl ignores robots.txt.
   * Rejects only when `signal` aborts.
   */
  async robotsRefusal(url: string, options: RobotsRefusalOptions = {}): Promise<RobotsRefusal | undefined> {
    const robots = this.#robots;
    if (robots === undefined) return undefined;
    let rules = robots.lookup(url);
    if (rules === undefined) {
      await options.beforeFetch?.();
      // Another request of the origin may have started the fetch meanwhile: it is shared.
      rules = robots.lookup(url) ?? robots.load(url, this.#shareRobots(this.#fetchRobots(NOTHING)), options.signal);
    }
    try {
      return (await rules).refusal(url);
    } catch (error) {
      if (error instanceof RetryLater) return { code: "EROBOTS", message: "robots.txt could not be read yet" };
      throw error;
    }
  }

  /** Closes every kept-alive connection, to the sites and to the proxies; requests still running fail. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
    this.#proxies?.close();
  }

  /** What follows a response: another proxy at once, the redirect's next hop, a retry after its backoff, or the page. */
  #next(request: CrawlRequest, url: string, attempt: Attempt, spent: FetchProgress): FetchStep | Promise<FetchStep> {
    const switches = spent.proxySwitches ?? 0;
    if (attempt.proxyFault === true && switches < this.#proxies!.sizeFor(url) - 1) {
      return { again: { ...request, progress: { ...spent, proxySwitches: switches + 1 } }, delayMs: 0 };
    }
    if (attempt.location !== undefined) return this.#redirect(request, url, attempt, spent);
    if (attempt.error?.retryable === true && spent.tries < this.#config.retries) {
      const again = { ...request, progress: { ...spent, retries: spent.retries + 1, tries: spent.tries + 1 } };
      return { again, delayMs: this.#backoff(spent.tries, attempt.retryAfter) };
    }
    return { page: record(request, url, attempt, spent) };
  }

  /**
   * What one response teaches the crawl: a proxy that failed is benched; a block slows its host down, moves it off the
   * proxy it came through and ends the session the site had (the cookies it set); a response without one lets a
   * slowed host speed up again. Resolves with the host's pace when it changed: the longer of its slowed interval and
   * its `Crawl-delay`, so that the frontier holds one pace a host.
   */
  async #learn(url: string, attempt: Attempt, via: Proxy | undefined, crawlDelay: number): Promise<StepPace | undefined> {
    if (via !== undefined && attempt.proxyFault === true) this.#proxies!.failed(via);
    else if (via !== undefined && attempt.status > 0) this.#proxies!.succeeded(via);
    const host = hostOf(url);
    if (attempt.error?.code === "EBLOCKED") {
      const intervalMs = this.#slowdown.blocked(host);
      this.#onEvent?.({ type: "block", host, intervalMs });
      if (via !== undefined) this.#proxies!.blocked(url, via);
      await this.#cookies?.freshSession(url);
      return { host, intervalMs: Math.max(crawlDelay, intervalMs) };
    }
    const eased = attempt.status > 0 ? this.#slowdown.passed(host) : undefined;
    return eased === undefined ? undefined : { host, intervalMs: Math.max(crawlDelay, eased) };
  }

  /** A redirect's target: followed in the next step, unless it must not be (a loop, too many, out of scope, seen). */
  async #redirect(request: CrawlRequest, url: string, attempt: Attempt, spent: FetchProgress): Promise<FetchStep> {
    const target = normalizeUrl(attempt.location!, url);
    const fail = (code: CrawlErrorCode, message: string) =>
      ({ page: record(request, url, { ...attempt, error: new CrawlError(code, message, { url, status: attempt.status }) }, spent) });
    const chain = [request.url, ...spent.redirects];
    const { maxRedirects } = this.#config;
    if (target === undefined) return fail("EREDIRECT", `Redirect to an unusable location ${JSON.stringify(attempt.location)}`);
    // Back to the URL being fetched is followed once, as a browser would: a consent or session page that sets a
    // cookie and sends the visitor back. Any other repeat is a loop.
    const back = target === request.url && !spent.redirects.includes(target);
    if (!back && chain.includes(target)) return fail("EREDIRECT", `Redirect loop: ${[...chain, target].join(" -> ")}`);
    if (chain.length > maxRedirects) return fail("EREDIRECT", `More than ${maxRedirects} redirects`);
    const veto = back ? undefined : await this.#onRedirect?.(target, request);
    if (veto !== undefined) return fail(veto, `Redirect to ${target} not followed: ${REDIRECT_VETO[veto] ?? veto}`);
    // A target whose robots.txt is known is checked now; otherwise the next step fetches that robots.txt first.
    const rules = this.#robots?.lookup(target);
    const refusal = rules === undefined || rules instanceof Promise ? undefined : rules.refusal(target);
    if (refusal !== undefined) return fail(refusal.code, `Redirect to ${target} not followed: ${refusal.message}`);
    const last = { status: attempt.status, contentType: attempt.contentType, ms: Math.round(attempt.ms) };
    // The next hop is a new URL: its tries, and its requests that failed at their proxy, start from none.
    const { proxySwitches: _, ...rest } = spent;
    return { again: { ...request, progress: { ...rest, redirects: [...spent.redirects, target], tries: 0, last } }, delayMs: 0 };
  }

  /** This step's request is the origin's robots.txt; the request comes back to be fetched after it. */
  async #robotsStep(request: CrawlRequest, url: string, signal: AbortSignal | undefined, sent: () => void): Promise<FetchStep> {
    const again = { ...request, progress: request.progress ?? FRESH };
    try {
      const rules = await this.#robots!.load(url, this.#shareRobots(this.#fetchRobots(sent)), signal);
      const sitemaps = new Set<string>();
      for (const href of rules.sitemaps) {
        const sitemap = normalizeUrl(href, url);
        if (sitemap !== undefined) sitemaps.add(sitemap);
      }
      const step: FetchStep = { again, delayMs: 0, sitemaps: [...sitemaps] };
      // A host its blocks slowed down keeps the longer of the two intervals.
      const host = hostOf(url);
      if (rules.crawlDelay > 0) step.pace = { host, intervalMs: Math.max(startSpacingMs(rules.crawlDelay), this.#slowdown.intervalMs(host)) };
      return step;
    } catch (error) {
      if (error instanceof RetryLater) return { again, delayMs: error.delayMs };
      throw error;
    }
  }

  /**
   * Fetches a robots.txt with one request (and the redirects to it, rare, in the same step). A retryable failure
   * rejects with {@linkcode RetryLater} while retries are left, so that the retry waits for the host's turn too; one at
   * its proxy, at once, through another proxy, as a page's would.
   */
  #fetchRobots(sent: () => void): RobotsFetch {
    return async (robotsUrl, signal) => {
      let url = robotsUrl;
      for (let redirects = 0; ; redirects++) {
        const via = this.#proxies?.pick(url);
        const attempt = await this.#attempt(url, "robots", signal, redirects === 0 ? sent : NOTHING, via);
        if (via !== undefined && attempt.proxyFault === true) this.#proxies!.failed(via);
        else if (via !== undefined && attempt.status > 0) this.#proxies!.succeeded(via);
        const count = this.#robotsTries.get(robotsUrl) ?? { tries: 0, switches: 0 };
        if (attempt.proxyFault === true && count.switches < this.#proxies!.sizeFor(url) - 1) {
          this.#robotsTries.set(robotsUrl, { ...count, switches: count.switches + 1 });
          throw new RetryLater(0);
        }
        if (attempt.error?.retryable === true && count.tries < this.#config.retries) {
          this.#robotsTries.set(robotsUrl, { ...count, tries: count.tries + 1 });
          throw new RetryLater(this.#backoff(count.tries, attempt.retryAfter));
        }
        const target = attempt.location === undefined ? undefined : normalizeUrl(attempt.location, url);
        if (target === undefined || redirects === ROBOTS_MAX_REDIRECTS) {
          this.#robotsTries.delete(robotsUrl);
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
  }

  #backoff(retry: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.#config.maxRetryAfter);
    return this.#config.retryDelay * 2 ** retry * (0.5 + Math.random());
  }

  /**
   * One request: resolves with what arrived, or with the error; rejects only on abort. A page is read only when it is
   * HTML or XML; a robots.txt is read whatever its type and cut at ROBOTS_MAX_BYTES rather than failed, as RFC 9309 allows;
   * `"any"` reads every type up to the size limit. A robots.txt keeps the meaning RFC 9309 gives its statuses: it is
   * never taken for a block.
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
        // "finish" says the request is written to its socket; on a socket still connecting, the bytes wait there until
        // it connects, which a busy thread may take a while to learn: the request leaves then.
        request.once("finish", () => {
          const assigned = socket ?? request.socket;
          if (assigned?.connecting === true) assigned.once("connect", sent);
          else sent();
        });
      });
      const wire = () => (socket === undefined ? 0 : socket.bytesRead - socketStart);

      const settle = (attempt: Omit<Attempt, "wireBytes" | "ms"> | Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (attempt instanceof Error) reject(attempt);
        else resolve(withKeys(attempt, { wireBytes: wire(), ms: performance.now() - started }));
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
        // A file is told apart before its size: whatever it weighs, its status and type make the record, and
        // destroying the stream closes the connection, so that the server stops sending a body nobody reads.
        if (mode === "page" && location === undefined && !isPageType(contentType)) {
          settle(answer(EMPTY));
          stream.destroy();
        } else if (!robots && declared > maxBytes && response.headers["content-encoding"] === undefined) {
          fail("ETOOBIG", `Body of ${declared} bytes is over the limit of ${maxBytes}`, false);
        }
      });
      // What a response whose body was read (or left unread, a file's) comes to: a block, an error status, or an answer.
      const answer = (body: Uint8Array): Omit<Attempt, "wireBytes" | "ms"> => {
        const blocked = robots ? undefined : this.#blocks.reason(status, body);
        const later = retryAfter === undefined ? {} : { retryAfter };
        if (blocked !== undefined) {
          return { status, contentType, body, error: new CrawlError("EBLOCKED", `Blocked: ${blocked}`, { url, status, retryable: true }), ...later };
        }
        if (status >= 400) {
          const message = `HTTP ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd();
          return { status, contentType, body, error: new CrawlError("EHTTP", message, { url, status, retryable: RETRYABLE_STATUS.has(status) }), ...later };
        }
        return { status, contentType, body, ...(location === undefined ? {} : { location }) };
      };
      const end = () => settle(answer(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
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

/** A robots.txt fetch that failed in a way worth retrying, after `delayMs`, when the host's turn comes again. */
class RetryLater extends Error {
  readonly delayMs: number;

  constructor(delayMs: number) {
    super(`Retry in ${Math.round(delayMs)} ms`);
    this.delayMs = delayMs;
  }
}

/** Called when a request leaves, where nobody needs to know. */
function NOTHING(): void {}

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

function record(request: CrawlRequest, finalUrl: string, attempt: Attempt, progress: FetchProgress): FetchedPage {
  const page: FetchedPage = {
    url: request.url,
    finalUrl,
    depth: request.depth,
    status: attempt.status,
    contentType: attempt.contentType,
    body: attempt.error === undefined ? attempt.body : EMPTY,
    error: attempt.error?.message ?? "",
    errorCode: attempt.error?.code ?? "",
    attempts: progress.requests,
    retries: progress.retries,
    redirects: progress.redirects.length,
    wireBytes: progress.wireBytes,
    responseMs: Math.round(attempt.ms),
    fetchedAt: new Date().toISOString(),
  };
  if (request.kind !== undefined) page.kind = request.kind;
  if (request.lastmod !== undefined) page.lastmod = request.lastmod;
  return page;
}

/**
 * The page of a URL that robots.txt keeps closed, without a request: the URL itself, or the redirect target that led
 * there, as if that redirect had not been followed (the last response's status, the URL before it).
 */
function refused(request: CrawlRequest, progress: FetchProgress, refusal: RobotsRefusal): FetchedPage {
  const target = progress.redirects.at(-1);
  if (target === undefined) {
    const error = new CrawlError(refusal.code, refusal.message, { url: request.url });
    return record(request, request.url, { status: 0, contentType: "", body: EMPTY, error, wireBytes: 0, ms: 0 }, progress);
  }
  const redirects = progress.redirects.slice(0, -1);
  const url = redirects.at(-1) ?? request.url;
  const { status = 0, contentType = "", ms = 0 } = progress.last ?? {};
  const error = new CrawlError(refusal.code, `Redirect to ${target} not followed: ${refusal.message}`, { url, status });
  return record(request, url, { status, contentType, body: EMPTY, error, wireBytes: 0, ms }, { ...progress, redirects });
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
