import PQueue from "p-queue";
import { fetchConfig, type FetchOptions } from "./fetch_options.ts";
import type { HostPacer } from "./host_pacer.ts";

/** Options of {@linkcode HostLimiter}: `perHost` and `rate`, as in {@linkcode FetchOptions}. */
export type PolitenessOptions = Pick<FetchOptions, "perHost" | "rate">;

/**
 * Paces requests per host with one p-queue per host: at most `perHost` at once, and requests spaced by `1 / rate`
 * seconds. It works under a crawl's global concurrency cap, which `mergeMap` holds.
 *
 * @example
 * ```ts
 * import { HostLimiter } from "./host_limiter.ts";
 * const limiter = new HostLimiter({ perHost: 2, rate: 5 });
 * const body = await limiter.run("example.com", () => fetch("https://example.com/").then((r) => r.text()));
 * ```
 */
export class HostLimiter implements HostPacer {
  readonly #perHost: number;
  readonly #rate: number;
  readonly #queues = new Map<string, PQueue>();
  readonly #delays = new Map<string, number>();

  constructor(options: PolitenessOptions = {}) {
    ({ perHost: this.#perHost, rate: this.#rate } = fetchConfig(options));
  }

  /**
   * Sets a minimum delay between requests to `host`, in milliseconds (robots.txt `Crawl-delay`). It applies from the
   * next request on and never makes the pace faster than `rate`.
   */
  setDelay(host: string, ms: number): void {
    this.#delays.set(host, ms);
    const current = this.#queues.get(host);
    if (current === undefined) return;
    // The host's queue was made without the delay: new requests go to a new one once it is idle (at once if it is).
    if (current.size + current.pending === 0) this.#queues.delete(host);
    else current.once("idle", () => this.#queues.get(host) === current && this.#queues.delete(host));
  }

  /** Runs `task` when `host` has room; rejects with `signal.reason` as soon as `signal` aborts, waiting or running. */
  run<T>(host: string, task: (sent: () => void) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#perHost === Infinity && this.#rate === Infinity && !this.#delays.has(host)) return task(NOTHING);
    let queue = this.#queues.get(host);
    if (queue === undefined) {
      queue = this.#createQueue(host);
      this.#queues.set(host, queue);
    }
    const start = () => task(NOTHING);
    if (signal === undefined) return queue.add(start, { throwOnTimeout: true });
    return untilAborted(queue.add(start, { signal, throwOnTimeout: true }), signal);
  }

  /** Drops every queued task; tasks already running are left to finish. */
  clear(): void {
    for (const queue of this.#queues.values()) queue.clear();
    this.#queues.clear();
  }

  #createQueue(host: string): PQueue {
    const interval = Math.max(1000 / this.#rate, this.#delays.get(host) ?? 0);
    if (interval === 0) {
      // Without pacing a queue holds no state worth keeping, so an idle one is dropped: a crawl over a million hosts
      // keeps queues only for the hosts it is fetching from.
      const queue = new PQueue({ concurrency: this.#perHost });
      queue.on("idle", () => {
        if (this.#queues.get(host) === queue) this.#queues.delete(host);
      });
      return queue;
    }
    // One start per interval spaces requests evenly instead of letting a burst through at each window's start.
    return new PQueue({ concurrency: this.#perHost, interval: Math.ceil(interval), intervalCap: 1 });
  }
}

/**
 * `promise`, or a rejection with `signal.reason` as soon as `signal` aborts. p-queue checks a task's signal only when
 * the task's turn comes, so without this a caller who gave up would still wait for the host to free a slot.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Within one process, a request starts when its task does: nothing to note when it leaves. */
function NOTHING(): void {}
