import { DEFAULTS } from "../defaults.ts";
import { UsageError } from "../errors.ts";
import { checkSelector } from "../parse/extractor.ts";
import { positiveInteger } from "../validate.ts";
import { findBrowser } from "./find_browser.ts";

/** The resource types Chromium gives a request, as a `block` list names them. */
export const RESOURCE_TYPES = [
  "document",
  "stylesheet",
  "image",
  "media",
  "font",
  "script",
  "texttrack",
  "xhr",
  "fetch",
  "eventsource",
  "websocket",
  "manifest",
  "beacon",
  "ping",
  "cspreport",
  "other",
] as const;

/** A resource type of {@linkcode RESOURCE_TYPES}. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Options of `BrowserPool`: how pages are rendered. */
export interface RenderOptions {
  /**
   * The Chromium or Chrome executable.
   * @default the first of chromium, chromium-browser, google-chrome, google-chrome-stable, chrome on PATH
   */
  browser?: string;
  /** Pages rendered at once, each in a tab of its own (the tabs share one browser context: cookies, storage). @default 4 */
  pages?: number;
  /** Pages a tab renders before it is closed and a fresh one takes its place. @default 50 */
  recycleAfter?: number;
  /**
   * The browser's memory, in MB over all its processes (shared pages counted once), past which it is restarted once
   * the pages in hand are done. Read every 5 s at most.
   * @default 1536
   */
  maxBrowserMb?: number;
  /** Resource types a page may not load: their requests are aborted. @default ["image", "media", "font"] */
  block?: readonly ResourceType[];
  /** Milliseconds a page gets, from navigation until it has settled; a crashed page's retry gets as long. @default 30000 */
  timeout?: number;
  /** Milliseconds with no request in flight, after the load event, after which a page counts as settled. @default 500 */
  idleMs?: number;
  /**
   * A CSS selector: the page is ready once an element matches it, whatever its network does (instead of settling).
   * @default none: wait for the network to settle
   */
  waitFor?: string;
  /** The User-Agent of the page's own requests and of `navigator.userAgent`. @default the browser's */
  userAgent?: string;
  /** More command-line flags for the browser. @default [] */
  args?: readonly string[];
}

/** {@linkcode RenderOptions} checked, with every default filled in. */
export interface RenderConfig {
  browser: string;
  pages: number;
  recycleAfter: number;
  maxBrowserMb: number;
  block: ReadonlySet<string>;
  timeout: number;
  idleMs: number;
  waitFor: string | undefined;
  userAgent: string | undefined;
  args: readonly string[];
}

/**
 * Checks {@linkcode RenderOptions} once and fills in the defaults; a wrong value, a resource type that does not exist,
 * an invalid `waitFor` selector or a missing browser is a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { renderConfig } from "./render_options.ts";
 * renderConfig({ pages: 2 }).block; // Set { "image", "media", "font" }
 * renderConfig({ block: ["images"] }); // throws: Expected block to list resource types (document, ...), got "images"
 * ```
 */
export function renderConfig(options: RenderOptions = {}): RenderConfig {
  const block = options.block ?? DEFAULTS.renderBlock;
  for (const type of block) {
    if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`Expected block to list resource types (${RESOURCE_TYPES.join(", ")}), got "${type}"`);
    }
  }
  if (options.waitFor !== undefined) checkSelector(options.waitFor, "waitFor");
  return {
    browser: findBrowser(options.browser),
    pages: positiveInteger("pages", options.pages ?? DEFAULTS.renderPages),
    recycleAfter: positiveInteger("recycleAfter", options.recycleAfter ?? DEFAULTS.renderRecycleAfter, true),
    maxBrowserMb: positiveInteger("maxBrowserMb", options.maxBrowserMb ?? DEFAULTS.renderMaxBrowserMb, true),
    block: new Set(block),
    timeout: positiveInteger("timeout", options.timeout ?? DEFAULTS.timeout),
    idleMs: positiveInteger("idleMs", options.idleMs ?? DEFAULTS.renderIdleMs),
    waitFor: options.waitFor,
    userAgent: options.userAgent,
    args: [...(options.args ?? [])],
  };
}
