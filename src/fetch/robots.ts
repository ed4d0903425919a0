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

/** An origin's rules, while they are fetched and once known, and until when they hold. */
interface Entry {
  rules: Promise<RobotsRules & { unreachable?: boolean }>;
  known?: RobotsRules;
  expires: number;
}

const NO_RULES: RobotsRules = { refusal: () => undefined, crawlDelay: 0, sitemaps: [] };

/**
 * robots.txt rules per origin, fetched once and cached, as RFC 9309 asks: a 2xx file is obeyed (the group of our
 * product token, else `*`); a 4xx (or too many redirects) means no rules; a 5xx or no answer at all (after the
 * fetcher's retries) closes the whole origin, since the site may be down or refusing, for a minute, after which the
 * file is fetched again. Concurrent lookups for one origin share one fetch. The fetch itself is the caller's: a crawl
 * fetches a robots.txt as a step of its own (see `Fetcher.step`), when the origin's host may start.
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
  readonly #fetch: RobotsFetch | undefined;
  readonly #rules = new Map<string, Entry>();

  /**
   * `userAgent` is matched by its product token, the part before the first `/` or space. `fetchRobots` is what
   * {@linkcode rulesFor} fetches with.
   */
  constructor(userAgent: string, fetchRobots?: RobotsFetch) {
    this.#agent = userAgent.trim().split(/[\s/]/, 1)[0] || "*";
    this.#fetch = fetchRobots;
  }

  /**
   * The rules for the origin of `url` (normalized, as `normalizeUrl` gives it), fetching its robots.txt when needed;
   * rejects as {@linkcode RobotsFetch} does.
   */
  rulesFor(url: string, signal?: AbortSignal, stop?: AbortSignal): Promise<RobotsRules> {
    const found = this.lookup(url);
    if (found !== undefined) return Promise.resolve(found);
    if (this.#fetch === undefined) throw new Error("RobotsCache was made without a fetch");
    const fetch = this.#fetch;
    return this.load(url, (robotsUrl, fetchSignal) => fetch(robotsUrl, fetchSignal, stop), signal);
  }

  /**
   * What is known of the origin of `url`: its rules, the promise of them while its robots.txt is being fetched, or
   * `undefined` when it must be fetched (never asked, or closed for a while that is over).
   */
  lookup(url: string): RobotsRules | Promise<RobotsRules> | undefined {
    const cached = this.#rules.get(originOf(url));
    if (cached === undefined || cached.expires <= Date.now()) return undefined;
    return cached.known ?? cached.rules;
  }

  /** Fetches the robots.txt of the origin of `url` with `fetch`, and keeps its rules; concurrent lookups share it. */
  load(url: string, fetch: RobotsFetch, signal?: AbortSignal): Promise<RobotsRules> {
    const origin = originOf(url);
    const entry: Entry = { rules: this.#load(origin, fetch, signal), expires: Infinity };
    this.#rules.set(origin, entry);
    entry.rules.then(
      (rules) => {
        entry.known = rules;
        if (rules.unreachable) entry.expires = Date.now() + UNREACHABLE_TTL_MS;
      },
      // An aborted fetch, or one to retry, says nothing about the site: the next lookup fetches again.
      () => this.#rules.get(origin) === entry && this.#rules.delete(origin),
    );
    return entry.rules;
  }

  async #load(origin: string, fetch: RobotsFetch, signal?: AbortSignal): Promise<RobotsRules & { unreachable?: boolean }> {
    const robotsUrl = `${origin}/robots.txt`;
    const response = await fetch(robotsUrl, signal);
    return this.#parse(robotsUrl, response);
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
