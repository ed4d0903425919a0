import { CrawlError, UsageError } from "../errors.ts";
import { checkSelector } from "../parse/extractor.ts";
import { positiveInteger } from "../validate.ts";
import { memoryOf } from "./browser_processes.ts";
import { type LaunchedBrowser, launchBrowser } from "./launch_browser.ts";
import { loadPlaywright, type Playwright } from "./load_playwright.ts";
import type { DocumentResponse, OnRequest, OnSent, RenderRequest, RenderResult } from "./render_records.ts";
import { type RenderConfig, renderConfig, type RenderOptions } from "./render_options.ts";
import { type Attempt, BrowserGone, documentKey, fetchFailure, guardContext, RenderSlot, type RequestTally, TabCrashed } from "./render_slot.ts";

/** How a {@linkcode BrowserPool} works with the crawl around it. */
export interface BrowserPoolHooks {
  /**
   * Decides each request a page makes beyond its document, awaited before it goes out (robots.txt, a per-host pace).
   * Blocked resource types never reach it.
   * @default let every request go out
   */
  onRequest?: OnRequest;
  /** Told when a request `onRequest` let go is on its way. @default nobody */
  onSent?: OnSent;
  /** Loads playwright-core; for tests of a missing install. @default `loadPlaywright()` */
  load?: () => Promise<Playwright>;
}

/** What a {@linkcode BrowserPool} has done so far. */
export interface BrowserPoolStats {
  /** Browsers started: the first, and each after a crash or a restart for memory. */
  launches: number;
  /** Tabs opened: one per `recycleAfter` pages a tab, more after crashes. */
  contexts: number;
  /** Pages rendered, failed ones included. */
  renders: number;
  /** Tabs or browsers that crashed under a page. */
  crashes: number;
  /** Pages tried a second time after a crash. */
  retries: number;
  /** Browsers restarted because their memory grew past `maxBrowserMb`. */
  memoryRestarts: number;
  /** The most memory the browser was seen to take, in bytes over all its processes (see `memoryOf`), read every few seconds. */
  peakBrowserBytes: number;
}

/** The browser's memory is read at most this often: reading it walks every process's page tables (tens of ms). */
const MEMORY_CHECK_MS = 5000;

/**
 * Renders pages in headless Chromium: a browser started on first use, a few tabs rendering at once,
 * each recycled after `recycleAfter` pages, and the whole browser restarted between pages when its memory has grown
 * past `maxBrowserMb`, so that a long crawl stays flat. A page whose tab or browser crashes is tried once more in a
 * fresh one. The browser never fetches a page's document itself: it is given the bytes the crawl fetched, or fetches
 * them through the request's `fetch`; every other request the page makes passes `onRequest` first.
 *
 * `render()` never rejects for a page's failure: it resolves with a result whose `errorCode` is `ERENDER` or
 * `ERENDERTIMEOUT`. It rejects when its signal aborts, and with a {@linkcode UsageError} when playwright-core is not
 * installed or the browser does not start at all.
 *
 * @example
 * ```ts
 * import { BrowserPool } from "./browser_pool.ts";
 * const pool = new BrowserPool({ pages: 2 });
 * const body = new TextEncoder().encode('<div id="app"></div><script>app.innerHTML = "<h1>Hi</h1>"</script>');
 * const result = await pool.render({
 *   url: "https://example.com/",
 *   response: { url: "https://example.com/", status: 200, headers: { "content-type": "text/html" }, body },
 * });
 * result.html; // '<html><head></head><body><div id="app"><h1>Hi</h1></div><script>...</script></body></html>'
 * await pool.close();
 * ```
 */
export class BrowserPool {
  readonly #config: RenderConfig;
  readonly #requests: { onRequest?: OnRequest; onSent?: OnSent };
  readonly #load: () => Promise<Playwright>;
  #playwright: Promise<Playwright> | undefined;
  #browser: Promise<LaunchedBrowser> | undefined;
  #everStarted = false;
  readonly #idle: RenderSlot[] = [];
  readonly #busy = new Set<RenderSlot>();
  /** Renders holding a place (a tab, or the right to open one). */
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** `close()` calls waiting for the renders in hand to end. */
  readonly #drained: (() => void)[] = [];
  /** A restart is due: no new render starts until the running ones end and the browser is replaced. */
  #restartDue = false;
  /** The restart under way, which `close()` waits for. */
  #restarting: Promise<void> | undefined;
  #lastMemoryCheck = -Infinity;
  #closed = false;
  readonly #stats: BrowserPoolStats = {
    launches: 0,
    contexts: 0,
    renders: 0,
    crashes: 0,
    retries: 0,
    memoryRestarts: 0,
    peakBrowserBytes: 0,
  };

  /** Checks the options (a missing browser or a wrong value is a {@linkcode UsageError}); starts nothing yet. */
  constructor(options: RenderOptions = {}, hooks: BrowserPoolHooks = {}) {
    this.#config = renderConfig(options);
    const { onRequest, onSent } = hooks;
    this.#requests = { ...(onRequest === undefined ? {} : { onRequest }), ...(onSent === undefined ? {} : { onSent }) };
    this.#load = hooks.load ?? (() => loadPlaywright());
  }

  /** Pages it renders at once: its tabs. */
  get pages(): number {
    return this.#config.pages;
  }

  /** A copy of the counts so far. */
  get stats(): BrowserPoolStats {
    return { ...this.#stats };
  }

  /**
   * Starts the browser now rather than on the first page, so that a missing playwright-core or a browser that does not
   * start is known before a crawl begins (a {@linkcode UsageError}).
   */
  async start(): Promise<void> {
    await this.#launched();
  }

  /**
   * Renders one page; see the class. Each attempt gets the whole `timeout`; time spent waiting for a tab does not
   * count against it.
   */
  async render(request: RenderRequest, signal?: AbortSignal): Promise<RenderResult> {
    if (this.#closed) throw new Error("BrowserPool is closed");
    if (request.response === undefined && request.fetch === undefined) {
      throw new UsageError(`Expected a response or a fetch function to render ${request.url}: the browser does not fetch pages itself`);
    }
    if (request.waitFor !== undefined) checkSelector(request.waitFor, "waitFor");
    if (request.timeout !== undefined) positiveInteger("timeout", request.timeout);
    const started = performance.now();
    const tally: RequestTally = { requests: 0, aborted: 0, byHost: {} };
    let response = request.response;
    if (response === undefined) {
      // Fetched before a tab is taken: the fetch may wait for the crawl's pace, which is no time of the browser's.
      try {
        response = await request.fetch!(request.url, signal ?? new AbortController().signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const failure = fetchFailure(error, request.url);
        const failed = { finalUrl: "", status: 0, html: "", error: failure.message, errorCode: failure.code, loadMs: 0, readyMs: 0 };
        return this.#result(request, failed, 0, started, 0, tally);
      }
    }
    // A fetcher follows redirects; the page is opened where they ended, so that its own links resolve from there.
    const url = response.url;
    const documents = new Map<string, DocumentResponse>([[documentKey(url), response]]);
    await this.#enter(signal);
    const queuedMs = performance.now() - started;
    let attempt: Attempt | undefined;
    let attempts = 0;
    let handedOver = false;
    try {
      while (attempt === undefined) {
        attempts++;
        let slot: RenderSlot | undefined;
        try {
          slot = await this.#slot();
          attempt = await slot.render(url, request, documents, tally, signal);
          handedOver = true;
          void this.#finish(slot);
        } catch (error) {
          if (slot !== undefined) this.#discard(slot);
          if (signal?.aborted) throw signal.reason;
          if (error instanceof UsageError && !this.#everStarted) throw error;
          const crashed = error instanceof TabCrashed || error instanceof BrowserGone;
          if (crashed) this.#stats.crashes++;
          if (error instanceof BrowserGone) this.#browserGone(slot?.launched);
          if (crashed && attempts === 1) {
            this.#stats.retries++;
            continue;
          }
          const why = crashed ? `${error.message}, and again when tried once more` : `the browser failed: ${message(error)}`;
          attempt = failedAttempt(request.url, why);
        }
      }
    } finally {
      if (!handedOver) this.#leave();
    }
    this.#stats.renders++;
    this.#checkMemory();
    return this.#result(request, attempt, attempts, started, queuedMs, tally);
  }

  #result(request: RenderRequest, attempt: Attempt, attempts: number, started: number, queuedMs: number, tally: RequestTally): RenderResult {
    return {
      url: request.url,
      finalUrl: attempt.finalUrl,
      status: attempt.status,
      html: attempt.html,
      error: attempt.error,
      errorCode: attempt.errorCode,
      attempts,
      timings: {
        queuedMs: Math.round(queuedMs),
        loadMs: Math.round(attempt.loadMs === 0 ? 0 : queuedMs + attempt.loadMs),
        readyMs: Math.round(attempt.readyMs === 0 ? 0 : queuedMs + attempt.readyMs),
        totalMs: Math.round(performance.now() - started),
      },
      requests: tally.requests,
      aborted: tally.aborted,
      requestsByHost: tally.byHost,
      renderedAt: new Date().toISOString(),
    };
  }

  /** The process ids of the browser's live processes; empty when it is not running. */
  async processes(): Promise<number[]> {
    const launched = await this.#browser?.catch(() => undefined);
    return launched?.processes() ?? [];
  }

  /** The browser's memory now, in bytes over all its processes (see `memoryOf`); 0 when it is not running. */
  async memoryBytes(): Promise<number> {
    return memoryOf(await this.processes());
  }

  /**
   * Waits for the renders in hand (those running and those waiting for a tab), then closes the browser and removes its
   * directory. Safe to call twice.
   */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running > 0 || this.#waiting.length > 0) await new Promise<void>((resolve) => this.#drained.push(resolve));
    await this.#restarting;
    await this.#shutBrowser();
  }

  /** Waits for a place: fewer than `pages` renders running, and no restart due. */
  async #enter(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (!this.#restartDue && this.#running < this.#config.pages && this.#waiting.length === 0) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        signal?.removeEventListener("abort", onAbort);
        this.#running++;
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(wake);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(wake);
    });
  }

  #leave(): void {
    this.#running--;
    if (this.#restartDue && this.#running === 0) {
      this.#restarting ??= this.#restart();
      return;
    }
    this.#wakeWaiting();
  }

  #wakeWaiting(): void {
    while (!this.#restartDue && this.#running < this.#config.pages && this.#waiting.length > 0) this.#waiting.shift()!();
    if (this.#running === 0 && this.#waiting.length === 0) for (const wake of this.#drained.splice(0)) wake();
  }

  /** The running browser, started on first use and after a crash or a restart. */
  async #launched(): Promise<LaunchedBrowser> {
    for (;;) {
      const launched = await this.#launch();
      // A browser that has just died may not have said so yet.
      if (launched.browser.isConnected()) return launched;
      this.#browserGone(launched);
      await launched.close();
    }
  }

  #launch(): Promise<LaunchedBrowser> {
    this.#browser ??= (async () => {
      this.#playwright ??= this.#load();
      const playwright = await this.#playwright.catch((error: unknown) => {
        this.#playwright = undefined;
        throw error;
      });
      const launched = await launchBrowser(this.#config, playwright);
      await guardContext(launched.context).catch(async (error: unknown) => {
        await launched.close();
        throw error;
      });
      this.#stats.launches++;
      this.#everStarted = true;
      launched.browser.on("disconnected", () => this.#browserGone(launched));
      return launched;
    })().catch((error: unknown) => {
      this.#browser = undefined;
      throw error;
    });
    return this.#browser;
  }

  async #slot(): Promise<RenderSlot> {
    const launched = await this.#launched();
    let slot = this.#idle.pop();
    while (slot !== undefined && (slot.launched !== launched || slot.broken)) {
      void slot.close();
      slot = this.#idle.pop();
    }
    if (slot === undefined) {
      slot = await RenderSlot.open(launched, this.#config, this.#requests);
      this.#stats.contexts++;
    }
    this.#busy.add(slot);
    return slot;
  }

  /** After the result is out: the tab leaves its page, then it and its place are given back. */
  async #finish(slot: RenderSlot): Promise<void> {
    await slot.leave();
    this.#release(slot);
    this.#leave();
  }

  /** A tab back from a page: kept for the next one unless it is broken, worn out or of a browser gone. */
  #release(slot: RenderSlot): void {
    this.#busy.delete(slot);
    if (slot.broken || slot.renders >= this.#config.recycleAfter || this.#restartDue) void slot.close();
    else this.#idle.push(slot);
  }

  #discard(slot: RenderSlot): void {
    this.#busy.delete(slot);
    void slot.close();
  }

  /** Forgets a browser that went away (a crash, or closed by us), so that the next page starts another. */
  #browserGone(launched: LaunchedBrowser | undefined): void {
    const current = this.#browser;
    if (launched === undefined || current === undefined) return;
    void current.then(
      (running) => {
        if (running !== launched || this.#browser !== current) return;
        this.#browser = undefined;
        for (const slot of this.#idle.splice(0)) void slot.close();
        void launched.close();
      },
      () => {},
    );
  }

  /** Reads the browser's memory (every few seconds at most) and asks for a restart when it is past the limit. */
  #checkMemory(): void {
    const now = performance.now();
    if (now - this.#lastMemoryCheck < MEMORY_CHECK_MS || this.#browser === undefined) return;
    this.#lastMemoryCheck = now;
    void this.#browser.then(
      (launched) => {
        const bytes = memoryOf(launched.processes());
        this.#stats.peakBrowserBytes = Math.max(this.#stats.peakBrowserBytes, bytes);
        if (bytes <= this.#config.maxBrowserMb * 2 ** 20 || this.#restartDue || this.#closed) return;
        this.#restartDue = true;
        if (this.#running === 0) this.#restarting ??= this.#restart();
      },
      () => {},
    );
  }

  /** Replaces the browser once no page is rendering; pages waiting meanwhile start on the new one. */
  async #restart(): Promise<void> {
    this.#stats.memoryRestarts++;
    await this.#shutBrowser();
    this.#restartDue = false;
    this.#restarting = undefined;
    this.#wakeWaiting();
  }

  async #shutBrowser(): Promise<void> {
    const browser = this.#browser;
    this.#browser = undefined;
    const slots = [...this.#idle.splice(0), ...this.#busy];
    this.#busy.clear();
    await Promise.all(slots.map((slot) => slot.close()));
    const launched = await browser?.catch(() => undefined);
    await launched?.close();
  }
}

function failedAttempt(url: string, why: string): Attempt {
  const error = new CrawlError("ERENDER", `Rendering failed: ${why}`, { url });
  return { finalUrl: "", status: 0, html: "", error: error.message, errorCode: error.code, loadMs: 0, readyMs: 0 };
}

function message(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0] ?? "";
}
