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
  /**
   * Notes that a request to `url` (normalized) that `reserve` took the start of has left, or never will: late, it moves
   * its host's next start (the state's `sent`).
   */
  sent(url: string): void;
}

/** The hooks a `BrowserPool` takes for its pages' requests. */
export interface RequestHooks {
  onRequest: OnRequest;
  onSent: OnSent;
}

/** A request let go that the browser has not said it sent gives its host's turn back after this long all the same. */
const SENT_MS = 5000;

/**
 * The request hooks of a crawl's browser: each request a rendered page makes (a script, its data, a frame) goes out
 * only if robots.txt allows it, and only at its host's turn, as a fetch of the crawl would; when the browser lets it
 * go (a busy one, tens of ms after the turn), the host's next start moves after it.
 *
 * Requests to other hosts than the page's (a CDN's scripts, an API) are held to the same, their robots.txt fetched at
 * their host's turn the first time: refusing them would leave most script-built pages unbuilt, and letting them go
 * unpaced would make a crawl of many pages that share one CDN hammer it. A URL that is not http(s) reaches no host and
 * goes at once.
 *
 * A host's requests take their turns one after the other (several tabs may ask at once): each takes its start only
 * once the one before has left. A start taken ahead for a later one would be counted from when the one before was to
 * leave, not from when it did.
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
  const turns = new HostTurns();
  const onRequest: OnRequest = async (url, _type, { signal }) => {
    const normalized = normalizeUrl(url);
    if (normalized === undefined) return "continue";
    const host = hostOf(normalized);
    // Each start taken is told when its request left (or that it never will: then, as if now), once.
    let taken = false;
    const left = (): void => {
      if (!taken) return;
      taken = false;
      hooks.sent(normalized);
    };
    const start = async (): Promise<void> => {
      const wait = await hooks.reserve(host);
      taken = true;
      if (wait > 0) await sleep(wait, undefined, { signal });
    };
    let holding = false;
    try {
      await turns.take(host, signal);
      holding = true;
      const refusal = await hooks.robots(normalized, { signal, beforeFetch: start });
      left(); // the robots.txt request, when there was one, has been answered
      if (refusal !== undefined) {
        turns.give(host);
        return "abort";
      }
      await start();
      turns.hold(host, normalized, left, SENT_MS); // until the browser says it sent it
      return "continue";
    } catch (error) {
      left();
      if (holding) turns.give(host);
      // The page no longer waits for it (rendered, timed out or crashed): nothing to decide.
      if (signal.aborted) return "abort";
      throw error;
    }
  };
  const onSent: OnSent = (url) => {
    const normalized = normalizeUrl(url);
    if (normalized !== undefined) turns.give(hostOf(normalized), normalized);
  };
  return { onRequest, onSent };
}

/** One turn at a time per host, handed out in the order asked. */
class HostTurns {
  readonly #hosts = new Map<string, { waiting: (() => void)[]; holder?: { url: string; left: () => void }; timer?: NodeJS.Timeout }>();

  /** Resolves when `host`'s turn is this caller's; rejects when `signal` aborts first. */
  take(host: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const turn = this.#hosts.get(host);
    if (turn === undefined) {
      this.#hosts.set(host, { waiting: [] });
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        turn.waiting.splice(turn.waiting.indexOf(wake), 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      turn.waiting.push(wake);
    });
  }

  /**
   * Keeps `host`'s turn for the request to `url` until it is given with that URL, or for `ms` at most; `left` is
   * called as the turn is given, either way.
   */
  hold(host: string, url: string, left: () => void, ms: number): void {
    const turn = this.#hosts.get(host);
    if (turn === undefined) return left();
    turn.holder = { url, left };
    turn.timer = setTimeout(() => this.give(host, url), ms);
    turn.timer.unref();
  }

  /** Gives `host`'s turn to the next caller waiting, if any; with `url`, only if the turn is that request's. */
  give(host: string, url?: string): void {
    const turn = this.#hosts.get(host);
    if (turn === undefined || (url !== undefined && turn.holder?.url !== url)) return;
    clearTimeout(turn.timer);
    delete turn.timer;
    const holder = turn.holder;
    delete turn.holder;
    holder?.left();
    const next = turn.waiting.shift();
    if (next === undefined) this.#hosts.delete(host);
    else next();
  }
}
