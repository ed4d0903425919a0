import robotsParserModule from "robots-parser";
import type { CrawlErrorCode } from "../errors.ts";
import { originOf } from "../url.ts";

// robots-parser is CommonJS with an ES-style declaration file: Node's default import is the function itself.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** What fetching a robots.txt gave: its status and text, or why nothing usable came. */
export interface RobotsResponse {
  /** The HTTP status of the last response, 0 when none came. */
  status: number;
  /** The file's text; `""` unless the status is 2xx. */
  text: string;
  /** What went wrong when no response came (a network error, a timeout), `""` otherwise. */
  error: string;
  /** The code of that error, `""` when a response came. */
  errorCode: CrawlErrorCode | "";
}

/** Fetches one robots.txt URL; rejects only when `signal` aborts, or when `stop` has and the request is not started. */
export type RobotsFetch = (url: string, signal?: AbortSignal, stop?: AbortSignal) => Promise<RobotsResponse>;

/** Why a URL may not be fetched. */
export interface RobotsRefusal {
  /** `EROBOTS` when the rules disallow it or the file answered 5xx; the network error when no answer came. */
  code: CrawlErrorCode;
  message: string;
}

/** The rules of one origin, as the crawl applies them. */
export interface RobotsRules {
  /** Why `url` may not be fetched, or `undefined` when it may. */
  refusal(url: string): RobotsRefusal | undefined;
  /** The `Crawl-delay` for our user agent in milliseconds, 0 when none. */
  crawlDelay: number;
  /** The sitemaps the file names (`Sitemap:` lines), as written there. */
  sitemaps: string[];
}

/** The longest `Crawl-delay` honoured: a file asking for more still gets one request a minute. */
const MAX_CRAWL_DELAY_MS = 60_000;
/** How long an unreachable robots.txt keeps its origin closed before it is fetched again. */
const UNREACHABLE_TTL_MS = 60_000;

const NO_RULES: RobotsRules = { refusal: () => undefined, crawlDelay: 0, sitemaps: [] };

/**
 * robots.txt rules per origin, fetched once and cached, as RFC 9309 asks: a 2xx file is obeyed (the group of our
 * product token, else `*`); a 4xx (or too many redirects) means no rules; a 5xx or no answer at all (after the
 * fetcher's retries) closes the whole origin, since the site may be down or refusing, for a minute, after which the
 * file is fetched again. Concurrent lookups for one origin share one fetch.
 *
 * @example
 * ```ts
 * import { RobotsCache } from "./robots.ts";
 * const robots = new RobotsCache("rxcrawl/0.1", async (url) => {
 *   const response = await fetch(url);
 *   return { status: response.status, text: response.ok ? await response.text() : "", error: "", errorCode: "" };
 * });
 * const rules = await robots.rulesFor("https://example.com/page");
 * rules.refusal("https://example.com/page"); // undefined: allowed
 * ```
 */
export class RobotsCache {
  readonly #agent: string;
  readonly #fetch: RobotsFetch;
  readonly #onLoad: ((origin: string, rules: RobotsRules) => void) | undefined;
  readonly #rules = new Map<string, { rules: Promise<RobotsRules>; expires: number }>();

  /**
   * `userAgent` is matched by its product token, the part before the first `/` or space. `onLoad` sees each origin's
   * rules when they arrive (to apply their `Crawl-delay`).
   */
  constructor(userAgent: string, fetchRobots: RobotsFetch, onLoad?: (origin: string, rules: RobotsRules) => void) {
    this.#agent = userAgent.trim().split(/[\s/]/, 1)[0] || "*";
    this.#fetch = fetchRobots;
    this.#onLoad = onLoad;
  }

  /**
   * The rules for the origin of `url` (normalized, as `normalizeUrl` gives it), fetching its robots.txt when needed;
   * rejects as {@linkcode RobotsFetch} does.
   */
  rulesFor(url: string, signal?: AbortSignal, stop?: AbortSignal): Promise<RobotsRules> {
    const origin = originOf(url);
    const cached = this.#rules.get(origin);
    if (cached !== undefined && cached.expires > Date.now()) return cached.rules;
    const entry = { rules: this.#load(origin, signal, stop), expires: Infinity };
    this.#rules.set(origin, entry);
    entry.rules.then(
      (rules) => {
        if (rules.unreachable) entry.expires = Date.now() + UNREACHABLE_TTL_MS;
      },
      // An aborted or stopped fetch says nothing about the site: the next lookup tries again.
      () => this.#rules.delete(origin),
    );
    return entry.rules;
  }

  async #load(origin: string, signal?: AbortSignal, stop?: AbortSignal): Promise<RobotsRules & { unreachable?: boolean }> {
    const robotsUrl = `${origin}/robots.txt`;
    const response = await this.#fetch(robotsUrl, signal, stop);
    const rules = this.#parse(robotsUrl, response);
    this.#onLoad?.(origin, rules);
    return rules;
  }

  #parse(robotsUrl: string, response: RobotsResponse): RobotsRules & { unreachable?: boolean } {
    const { status } = response;
    if (status >= 200 && status < 300) {
      const parsed = robotsParser(robotsUrl, response.text);
      const delay = parsed.getCrawlDelay(this.#agent);
      const refusal: RobotsRefusal = { code: "EROBOTS", message: "Disallowed by robots.txt" };
      return {
        refusal: (url) => (parsed.isDisallowed(url, this.#agent) === true ? refusal : undefined),
        crawlDelay: delay === undefined || !(delay > 0) ? 0 : Math.min(delay * 1000, MAX_CRAWL_DELAY_MS),
        sitemaps: parsed.getSitemaps(),
      };
    }
    // 3xx here means more redirects than RFC 9309 follows; like a 4xx, the file is unavailable: no rules.
    if (status >= 300 && status < 500) return NO_RULES;
    const refusal: RobotsRefusal =
      status === 0
        ? { code: response.errorCode || "ENETWORK", message: `robots.txt unreachable: ${response.error}` }
        : { code: "EROBOTS", message: `robots.txt answered HTTP ${status}, so the site is not crawled for now` };
    return { refusal: () => refusal, crawlDelay: 0, sitemaps: [], unreachable: true };
  }
}
