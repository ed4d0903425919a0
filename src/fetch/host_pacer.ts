/**
 * Paces requests per host: how many run at once and how often one starts. A crawl has one, shared by its fetches and
 * retries and its robots.txt requests; in memory it is a `HostLimiter`, and a crawl shared by several processes gets
 * one from its crawl state that holds the limits for all of them.
 *
 * @example
 * ```ts
 * import { HostLimiter } from "./host_limiter.ts";
 * import type { HostPacer } from "./host_pacer.ts";
 * const pacer: HostPacer = new HostLimiter({ perHost: 2, rate: 5 });
 * await pacer.run("example.com", () => fetch("https://example.com/"));
 * ```
 */
export interface HostPacer {
  /**
   * Runs `task` when `host` has room; rejects with `signal.reason` as soon as `signal` aborts, waiting or running.
   * The task calls `sent` when its request has left (a pacer shared by several processes spaces the next start from
   * that moment, should the request leave late).
   */
  run<T>(host: string, task: (sent: () => void) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Sets a minimum delay between requests to `host`, in milliseconds (robots.txt `Crawl-delay`); it never makes the
   * pace faster than the configured rate.
   */
  setDelay(host: string, ms: number): void;
  /** Drops every task still waiting; tasks already running are left to finish. */
  clear(): void;
}
