/**
 * Tells when a page's network has gone quiet: no request in flight for `quietMs`. Playwright's own `networkidle`
 * waits for the same thing but is discouraged and cannot be told which requests count; this one is fed the page's
 * request events, so a request held back by the crawl's pace counts as in flight, and it is bounded by the caller's
 * deadline (a page that polls or streams forever never settles, and the render times out).
 *
 * @example
 * ```ts
 * import { NetworkIdle } from "./network_idle.ts";
 * const idle = new NetworkIdle(500);
 * page.on("request", (request) => idle.started(request));
 * page.on("requestfinished", (request) => idle.ended(request));
 * page.on("requestfailed", (request) => idle.ended(request));
 * await idle.quiet(signal); // resolves after 500 ms with nothing in flight
 * ```
 */
export class NetworkIdle {
  readonly #quietMs: number;
  readonly #inFlight = new Set<object>();
  #lastChange = 0;
  #wake: (() => void) | undefined;

  constructor(quietMs: number) {
    this.#quietMs = quietMs;
  }

  /** Requests started and not ended. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** A request started (the same object is later passed to {@linkcode ended}). */
  started(request: object): void {
    this.#inFlight.add(request);
    this.#changed();
  }

  /** A request finished or failed; one never seen started is ignored. */
  ended(request: object): void {
    if (this.#inFlight.delete(request)) this.#changed();
  }

  /**
   * Resolves once nothing has been in flight for `quietMs`, counted from the call or from the last request that ended,
   * whichever is later: a caller that starts waiting at the load event gives the page's timers a full quiet period
   * to start their requests. Rejects with the signal's reason when it aborts first.
   */
  quiet(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    this.#lastChange = performance.now();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: unknown): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        signal.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => finish(signal.reason);
      const check = (): void => {
        clearTimeout(timer);
        if (this.#inFlight.size > 0) return; // an ended request wakes us again
        const left = this.#lastChange + this.#quietMs - performance.now();
        if (left <= 0) finish();
        else timer = setTimeout(check, left);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#wake = check;
      check();
    });
  }

  #changed(): void {
    this.#lastChange = performance.now();
    this.#wake?.();
  }
}
