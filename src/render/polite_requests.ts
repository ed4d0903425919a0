import { setTimeout as sleep } from "node:timers/promises";
import type { RobotsRefusal } from "../fetch/robots.ts";
import { hostOf, normalizeUrl } from "../url.ts";
import type { OnRequest, OnSent } from "./render_records.ts";

/** What {@linkcode politeRequests} asks of the crawl around it. */
export interface PoliteRequestsHooks {
  /**
   * Why robots.txt keeps a URL closed, or `undefined` when it may go; `beforeFetch` is awaited before its origin's
   * robots.txt is requested, when it must be (the crawl's `Fetcher.robotsRefusal`).
   */
  robots(url: string, options: { signal: AbortSignal; beforeFetch: () => Promise<void> }): Promise<RobotsRefusal | undefined>;
  /** Takes a start on `host` and resolves with the ms to wait before it (the crawl state's `reserve`). */
  reserve(host: string): Promise<number>;
  /** Notes that a request to `url` (normalized) has left: late, it moves its host's next start (the state's `sent`). */
  sent(url: string): void;
}

/** The hooks a `BrowserPool` takes for its pages' requests. */
export interface RequestHooks {
  onRequest: OnRequest;
  onSent: OnSent;
}

/**
 * The request hooks of a crawl's browser: each request a rendered page makes (a script, its data, a frame) goes out
 * only if robots.txt allows it, and only at its host's turn, as a fetch of the crawl would; when the browser lets it
 * go (a busy one, tens of ms after the turn), the host's next start moves after it. Requests to other hosts than the
 * page's (a CDN's scripts, an API) are held to the same, their robots.txt fetched at their host's turn the first time:
 * refusing them would leave most script-built pages unbuilt, and letting them go unpaced would make a crawl of many
 * pages that share one CDN hammer it. A URL that is not http(s) reaches no host and goes at once.
 *
 * @example
 * ```ts
 * import { BrowserPool } from "./browser_pool.ts";
 * import { politeRequests } from "./polite_requests.ts";
 * const pool = new BrowserPool({}, politeRequests({
 *   robots: (url, options) => fetcher.robotsRefusal(url, options),
 *   reserve: (host) => state.reserve(host),
 *   sent: (url) => state.sent({ url, depth: 0 }),
 * }));
 * ```
 */
export function politeRequests(hooks: PoliteRequestsHooks): RequestHooks {
  const onRequest: OnRequest = async (url, _type, { signal }) => {
    const normalized = normalizeUrl(url);
    if (normalized === undefined) return "continue";
    const host = hostOf(normalized);
    const turn = async (): Promise<void> => {
      const wait = await hooks.reserve(host);
      if (wait > 0) await sleep(wait, undefined, { signal });
    };
    try {
      if ((await hooks.robots(normalized, { signal, beforeFetch: turn })) !== undefined) return "abort";
      await turn();
      return "continue";
    } catch (error) {
      // The page no longer waits for it (rendered, timed out or crashed): nothing to decide.
      if (signal.aborted) return "abort";
      throw error;
    }
  };
  const onSent: OnSent = (url) => {
    const normalized = normalizeUrl(url);
    if (normalized !== undefined) hooks.sent(normalized);
  };
  return { onRequest, onSent };
}
