import type { BrowserContext, CDPSession, Page, Request, Route, WebSocketRoute } from "playwright-core";
import { CrawlError } from "../errors.ts";
import type { LaunchedBrowser } from "./launch_browser.ts";
import { NetworkIdle } from "./network_idle.ts";
import type { DocumentResponse, OnRequest, OnSent, RenderErrorCode, RenderRequest } from "./render_records.ts";
import type { RenderConfig } from "./render_options.ts";

/** The page's tab crashed: the pool opens a fresh one and tries the page once more. */
export class TabCrashed extends Error {
  override name = "TabCrashed";
}

/** The browser went away under the page: the pool starts another and tries the page once more. */
export class BrowserGone extends Error {
  override name = "BrowserGone";
}

/** The page did not settle in time. */
class RenderTimeout extends Error {
  override name = "RenderTimeout";
}

/** The requests a page made, added up over the attempts at it. */
export interface RequestTally {
  requests: number;
  aborted: number;
  byHost: Record<string, number>;
}

/** What one attempt at a page gave; the pool adds the rest of a `RenderResult`. */
export interface Attempt {
  finalUrl: string;
  status: number;
  html: string;
  error: string;
  errorCode: RenderErrorCode | "";
  loadMs: number;
  readyMs: number;
}

/** The state of the page being rendered, which the route handler and the page's events consult. */
interface Job {
  request: RenderRequest;
  /** Documents for main-frame navigations, by URL without its fragment. */
  documents: Map<string, DocumentResponse>;
  tally: RequestTally;
  idle: NetworkIdle;
  /** Aborts when the attempt ends, for whatever reason; its reason says which. */
  ended: AbortController;
  status: number;
  /** Whether the main frame has navigated: its first navigation is the page's own document. */
  navigated: boolean;
  /** Why `fetch` or `onRequest` failed, which explains the navigation's failure better than the browser can. */
  failure?: { code: RenderErrorCode; message: string };
}

/** A snapshot of a page that timed out gets this long; a renderer too busy to answer is given up on. */
const SNAPSHOT_MS = 2000;
/** How long a failed page waits to learn whether its browser died under it. */
const GONE_MS = 500;
/** Leaving a page for about:blank between renders gets this long, or the tab is replaced. */
const LEAVE_MS = 5000;
/** Headers that describe the bytes on the wire, which a decoded, whole body no longer matches. */
const WIRE_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]);

/**
 * One tab of the pool: a page of the browser's one context, reused for page after page until the pool recycles it.
 * Every request of the tab goes through its route: the page's own document is fulfilled from the crawl's bytes (or
 * its `fetch`), blocked resource types are aborted, and every other request waits for the pool's `onRequest` before it
 * goes out. Service workers are blocked and WebSockets closed; what no tab claims (a popup's requests) is aborted by
 * the context's own route (see {@linkcode guardContext}), so that no request escapes.
 *
 * @example
 * ```ts
 * import { RenderSlot } from "./render_slot.ts";
 * const slot = await RenderSlot.open(launched, config, { onRequest });
 * const attempt = await slot.render(url, request, documents, tally);
 * await slot.close();
 * ```
 */
export class RenderSlot {
  readonly launched: LaunchedBrowser;
  readonly #page: Page;
  /** The tab's own DevTools session: the DOM is serialized through it. */
  readonly #session: CDPSession;
  readonly #config: RenderConfig;
  readonly #onRequest: OnRequest | undefined;
  readonly #onSent: OnSent | undefined;
  #job: Job | undefined;
  #broken = false;
  /** Pages rendered in this tab. */
  renders = 0;

  private constructor(launched: LaunchedBrowser, page: Page, session: CDPSession, config: RenderConfig, hooks: SlotHooks) {
    this.launched = launched;
    this.#page = page;
    this.#session = session;
    this.#config = config;
    this.#onRequest = hooks.onRequest;
    this.#onSent = hooks.onSent;
    page.on("crash", () => {
      this.#broken = true;
      this.#job?.ended.abort(new TabCrashed("the page crashed its tab"));
    });
    page.on("request", (request) => this.#job?.idle.started(request));
    page.on("requestfinished", (request) => this.#job?.idle.ended(request));
    page.on("requestfailed", (request) => this.#job?.idle.ended(request));
  }

  /**
   * Opens a tab in `launched`'s context (which {@linkcode guardContext} must have guarded). Rejects with
   * {@linkcode BrowserGone} if the browser is gone.
   */
  static async open(launched: LaunchedBrowser, config: RenderConfig, hooks: SlotHooks = {}): Promise<RenderSlot> {
    try {
      const page = await launched.context.newPage();
      const slot = new RenderSlot(launched, page, await launched.context.newCDPSession(page), config, hooks);
      // A page's routes come before its context's: these take every request of the tab, the context's the rest.
      await page.route("**/*", (route, request) => slot.#route(route, request));
      await page.routeWebSocket(/./, (socket) => slot.#webSocket(socket));
      return slot;
    } catch (error) {
      if (await disconnected(launched, GONE_MS)) throw new BrowserGone("the browser went away", { cause: error });
      throw error;
    }
  }

  /** Whether the tab crashed or failed in a way that leaves it unfit for another page. */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Renders one page: navigates to `url` (whose document must be in `documents`, or come from the request's `fetch`),
   * waits until it is ready within the timeout, and serializes its DOM. A page that fails or times out comes back as an
   * attempt with its error; rejects with {@linkcode TabCrashed} or {@linkcode BrowserGone} for the pool to retry, and
   * with `signal`'s reason when it aborts.
   */
  async render(
    url: string,
    request: RenderRequest,
    documents: Map<string, DocumentResponse>,
    tally: RequestTally,
    signal?: AbortSignal,
  ): Promise<Attempt> {
    const started = performance.now();
    const timeout = request.timeout ?? this.#config.timeout;
    const waitFor = request.waitFor ?? this.#config.waitFor;
    const deadline = started + timeout;
    const left = (): number => Math.max(1, Math.round(deadline - performance.now()));
    const ended = new AbortController();
    const job: Job = { request, documents, tally, idle: new NetworkIdle(this.#config.idleMs), ended, status: 0, navigated: false };
    const timer = setTimeout(() => ended.abort(new RenderTimeout()), timeout);
    const onAbort = (): void => ended.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#job = job;
    let loadMs = 0;
    const page = this.#page;
    try {
      const ready = async (): Promise<void> => {
        await page.goto(url, { waitUntil: "commit", timeout: left() });
        if (waitFor !== undefined) {
          await page.waitForSelector(waitFor, { state: "attached", timeout: left() });
        } else {
          await page.waitForLoadState("load", { timeout: left() });
          loadMs = performance.now() - started;
          await job.idle.quiet(ended.signal);
        }
      };
      await untilAborted(ready(), ended.signal);
      const readyMs = performance.now() - started;
      const html = await untilAborted(serialize(this.#session), ended.signal);
      return { finalUrl: page.url(), status: job.status, html, error: "", errorCode: "", loadMs, readyMs };
    } catch (caught) {
      const reason: unknown = ended.signal.aborted ? ended.signal.reason : caught;
      if (signal?.aborted) throw signal.reason;
      if (reason instanceof TabCrashed || this.#broken) throw new TabCrashed("the page crashed its tab", { cause: caught });
      const failed = { finalUrl: "", status: job.status, html: "", loadMs, readyMs: 0 };
      if (job.failure !== undefined) {
        this.#broken = true;
        return { ...failed, error: job.failure.message, errorCode: job.failure.code };
      }
      // A killed browser fails the page's calls a moment before it is known to be gone.
      if (await disconnected(this.launched, GONE_MS)) throw new BrowserGone("the browser went away", { cause: caught });
      this.#broken = true; // whatever state the page is left in, the next one gets a fresh tab
      // Playwright's own timeouts run to the same deadline, and may fire a moment before the attempt's.
      if (reason instanceof RenderTimeout || (reason instanceof Error && reason.name === "TimeoutError")) {
        const html = await snapshot(this.#session);
        const waited = waitFor === undefined ? `the network to settle (${job.idle.inFlight} requests in flight)` : `"${waitFor}"`;
        const error = new CrawlError("ERENDERTIMEOUT", `Rendering timed out after ${timeout} ms waiting for ${waited}`, { url: request.url });
        return { ...failed, finalUrl: html === "" ? "" : page.url(), html, error: error.message, errorCode: error.code };
      }
      const error = new CrawlError("ERENDER", `Rendering failed: ${firstLine(reason)}`, { url: request.url });
      return { ...failed, error: error.message, errorCode: error.code };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      ended.abort(); // ends the waits of onRequest hooks still running
      this.#job = undefined;
      this.renders++;
    }
  }

  /**
   * Leaves the rendered page for about:blank, so that its timers and polls stop rather than send requests between
   * pages; a tab that cannot leave in time is broken.
   */
  async leave(): Promise<void> {
    if (this.#broken) return;
    await this.#page.goto("about:blank", { timeout: LEAVE_MS }).catch(() => (this.#broken = true));
  }

  /** Closes the tab; whatever it was doing ends. */
  async close(): Promise<void> {
    this.#broken = true;
    await this.#page.close().catch(() => {});
  }

  async #route(route: Route, request: Request): Promise<void> {
    const job = this.#job;
    if (job === undefined || job.ended.signal.aborted || !this.#isOurs(request)) return abort(route);
    const url = request.url();
    if (request.isNavigationRequest() && request.frame().parentFrame() === null) {
      const handled = await this.#navigate(route, url, job);
      if (handled) return;
    }
    if (isIcon(request)) {
      // The tab's icon is no part of the page's DOM, and Chromium asks for it after the load event, when a crawl may
      // already have let the page go: answered here, it never reaches the site, paced or not.
      this.#count(job, url);
      job.tally.aborted++;
      return void (await route.fulfill({ status: 404, body: "" }).catch(() => {}));
    }
    if (!(await this.#allowed(job, url, request.resourceType()))) return abort(route);
    const continued = await route.continue().then(() => true, () => false);
    this.#onSent?.(url, continued);
  }

  /**
   * A page's WebSocket is counted and closed, never connected. Playwright (1.65) cannot connect a routed socket of a
   * page whose document was fulfilled by a route (its `connectToServer()` and pass-through both stay silent), and an
   * unrouted socket would pass `onRequest` by; a page's live updates are no part of a crawl's snapshot anyway.
   */
  async #webSocket(socket: WebSocketRoute): Promise<void> {
    const job = this.#job;
    if (job !== undefined) {
      this.#count(job, socket.url());
      job.tally.aborted++;
    }
    await socket.close().catch(() => {});
  }

  #count(job: Job, url: string): void {
    job.tally.requests++;
    const host = hostOf(url);
    job.tally.byHost[host] = (job.tally.byHost[host] ?? 0) + 1;
  }

  /** Counts a request of the page and decides it: its type not blocked, and `onRequest` letting it go. */
  async #allowed(job: Job, url: string, type: string): Promise<boolean> {
    this.#count(job, url);
    let verdict = this.#config.block.has(type) || job.ended.signal.aborted ? "abort" : "continue";
    if (verdict === "continue" && this.#onRequest !== undefined) {
      try {
        verdict = await this.#onRequest(url, type, { page: job.request.url, signal: job.ended.signal });
      } catch (error) {
        const failure = new CrawlError("ERENDER", `onRequest failed on ${url}: ${firstLine(error)}`, { url: job.request.url });
        job.failure = { code: failure.code, message: failure.message };
        job.ended.abort(error);
        verdict = "abort";
      }
    }
    if (verdict === "continue" && !job.ended.signal.aborted) return true;
    // Let go by onRequest, but the page ended meanwhile: it never leaves, and whoever waits for it to leave is told.
    if (verdict === "continue" && this.#onRequest !== undefined) this.#onSent?.(url, false);
    job.tally.aborted++;
    return false;
  }

  /**
   * Fulfills a main-frame navigation from the documents in hand, or else from the request's `fetch` (a script's
   * redirect to another page). Such a document is served at the URL the page asked for, even when the fetch followed
   * redirects: the browser does not route the request a redirect leads to, so it cannot be sent there. The first
   * navigation must be the page's own document; a later one that neither has is treated as any other request (false).
   */
  async #navigate(route: Route, url: string, job: Job): Promise<boolean> {
    const first = !job.navigated;
    job.navigated = true;
    let document = job.documents.get(documentKey(url));
    if (document === undefined && first) {
      // Never the browser's own network for the page itself: a URL that does not match is a fault to see.
      const failure = new CrawlError("ERENDER", `Rendering failed: the browser asked for ${url}, not the page's document`, { url: job.request.url });
      job.failure = { code: failure.code, message: failure.message };
      await route.abort("failed").catch(() => {});
      return true;
    }
    if (document === undefined && job.request.fetch !== undefined) {
      try {
        document = await job.request.fetch(url, job.ended.signal);
      } catch (error) {
        job.failure = fetchFailure(error, url);
        await route.abort("failed").catch(() => {});
        return true;
      }
      job.documents.set(documentKey(url), document);
    }
    if (document === undefined) return false;
    job.status = document.status;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(document.headers)) if (!WIRE_HEADERS.has(name.toLowerCase())) headers[name] = value;
    const body = Buffer.from(document.body.buffer, document.body.byteOffset, document.body.byteLength);
    await route.fulfill({ status: document.status, headers, body }).catch(() => {});
    return true;
  }

  /** Whether a request comes from this slot's page or its workers, not from a popup or a service worker. */
  #isOurs(request: Request): boolean {
    if (request.serviceWorker() !== null) return false;
    try {
      return request.frame().page() === this.#page;
    } catch {
      return true; // a dedicated worker's request has no frame; the context holds no other page to own it
    }
  }
}

/**
 * Readies a browser's context for the tabs of a pool: a request no tab's route takes (a popup's, say) is aborted, a
 * WebSocket none takes closed, and a popup closed: only the tabs' pages are rendered.
 *
 * @example
 * ```ts
 * import { guardContext } from "./render_slot.ts";
 * await guardContext(launched.context);
 * ```
 */
export async function guardContext(context: BrowserContext): Promise<void> {
  await context.route("**/*", (route) => abort(route));
  await context.routeWebSocket(/./, (socket) => socket.close().catch(() => {}));
  context.on("page", (page) => {
    void page.opener().then((opener) => (opener === null ? undefined : page.close()), () => {}).catch(() => {});
  });
}

/** What a tab tells of its page's requests: see `BrowserPoolHooks`. */
export interface SlotHooks {
  onRequest?: OnRequest;
  onSent?: OnSent;
}

/** The code and message of a failed `fetch`: its own when it is a `CrawlError`. */
export function fetchFailure(error: unknown, url: string): { code: RenderErrorCode; message: string } {
  if (error instanceof CrawlError) return { code: error.code, message: error.message };
  return { code: "ERENDER", message: new CrawlError("ERENDER", `Fetching the page failed: ${firstLine(error)}`, { url }).message };
}

/** Resolves or rejects as `promise` does, or rejects with the signal's reason when it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {}); // abandoned when the signal wins
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Whether the browser is gone, or goes within `ms`. */
async function disconnected(launched: LaunchedBrowser, ms: number): Promise<boolean> {
  const browser = launched.browser;
  if (!browser.isConnected()) return true;
  let timer: NodeJS.Timeout | undefined;
  let onGone: (() => void) | undefined;
  const gone = await new Promise<boolean>((resolve) => {
    onGone = () => resolve(true);
    browser.once("disconnected", onGone);
    timer = setTimeout(() => resolve(false), ms);
  });
  clearTimeout(timer);
  if (onGone !== undefined) browser.off("disconnected", onGone);
  return gone;
}

/**
 * The page's DOM as HTML, doctype included, serialized by the browser itself: DevTools' `DOM.getOuterHTML` of the
 * document. Playwright's `page.content()` runs its injected script, which each new document compiles again (about a
 * fifth of a small page's rendering); and a script of the page's own world could redefine `outerHTML`, but not
 * `document`, nor the browser's serializer.
 */
async function serialize(session: CDPSession): Promise<string> {
  const { result } = await session.send("Runtime.evaluate", { expression: "document", objectGroup: "rxcrawl" });
  if (result.objectId === undefined) return "";
  try {
    return (await session.send("DOM.getOuterHTML", { objectId: result.objectId })).outerHTML;
  } finally {
    session.send("Runtime.releaseObjectGroup", { objectGroup: "rxcrawl" }).catch(() => {});
  }
}

/** The DOM of a page that is still loading, if its renderer answers in time; `""` if not. */
async function snapshot(session: CDPSession): Promise<string> {
  const content = serialize(session).catch(() => "");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(""), SNAPSHOT_MS)));
  try {
    return await Promise.race([content, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a request is Chromium's own for the tab's icon (a page's `<link rel="icon">`, or `/favicon.ico`): of type
 * "other", as no element of the page loads it, and asking for an image.
 */
function isIcon(request: Request): boolean {
  return request.resourceType() === "other" && (request.headers().accept ?? "").startsWith("image/");
}

function abort(route: Route): Promise<void> {
  return route.abort("blockedbyclient").catch(() => {});
}

/** The key of a document in a render's `documents`: its URL without the fragment, which never reaches a server. */
export function documentKey(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = "";
    return parsed.href;
  } catch {
    return url;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0] ?? "";
}
