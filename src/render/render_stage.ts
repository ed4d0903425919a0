import { connect, filter, map, merge, mergeMap, type Observable, of, type OperatorFunction } from "rxjs";
import { isHtmlType } from "../fetch/content_type.ts";
import { abortable } from "../internal.ts";
import { decodeHtml } from "../parse/charset.ts";
import type { FetchedPage, PageRecord } from "../records.ts";
import type { HostRender } from "../state/crawl_state.ts";
import { BrowserPool, type BrowserPoolStats } from "./browser_pool.ts";
import { pageYield, type PageYield, type Reading, RenderDecider, type RenderDeciderOptions, rendersMore } from "./render_decider.ts";
import type { OnRequest, OnSent } from "./render_records.ts";
import type { RenderOptions } from "./render_options.ts";
import { renderedPage } from "./rendered_page.ts";
import { textLength } from "./text_length.ts";

/** How a crawl reads its pages: over HTTP only, every page in a browser too, or per host as rendering proves needed. */
export type RenderMode = "never" | "auto" | "always";

/** Options of a crawl's rendering: its browser (see `RenderOptions`) and, for `auto`, how it decides. */
export interface RenderingOptions extends RenderOptions, RenderDeciderOptions {}

/** A fetched page on its way to the parse stage. */
export interface PageToRead {
  page: FetchedPage;
  /** The host whose decision applies: the one the page's last request went to. */
  host: string;
  /** The host's decision as the crawl's state handed it out with the page's lease; undefined when it had none. */
  known?: boolean | undefined;
}

/** A record the parse stage made, ready to commit: with the host's decision when reading the page changed it. */
export interface Settled {
  record: PageRecord;
  render?: HostRender;
}

/** What the stage tells for a crawl's statistics: that the crawl renders, then each page rendered. */
export type RenderEvent = { type: "start"; mode: "auto" | "always" } | RenderedEvent;

/** One page rendered, and the browser's counts after it. */
export interface RenderedEvent {
  type: "page";
  host: string;
  /** Whether the page was read both ways, to decide. */
  compared: boolean;
  /** Whether the render failed (`ERENDER`, `ERENDERTIMEOUT`). */
  failed: boolean;
  browser: BrowserPoolStats;
}

/** How a {@linkcode RenderStage} works with the crawl around it. */
export interface RenderStageHooks {
  /** Decides each request a rendered page makes (see `politeRequests`). @default let every request go */
  onRequest?: OnRequest;
  /** Told when such a request is on its way. @default nobody */
  onSent?: OnSent;
  /** Told that the crawl renders, then of each page rendered. @default nobody */
  onEvent?: (event: RenderEvent) => void;
}

/** A page read both ways: its host, its text's length each way, and the first of its two records once parsed. */
interface Comparison {
  host: string;
  plainText: number;
  renderedText: number;
  first?: PageRecord;
}

interface Planned {
  item: PageToRead;
  reading: Exclude<Reading, "wait">;
}

const NOTHING_FOUND: PageYield = { links: 0, fields: 0, text: 0 };

/**
 * The part of a crawl between fetching and parsing that reads pages in a browser (`render: "always"` or `"auto"`):
 * each fetched page goes on as it is, or rendered from its bytes, or both ways, so that the same parse stage reads it.
 *
 * - `always`: every HTML page is rendered; `auto`: each host's pages as a {@linkcode RenderDecider} says, following
 *   the decision the crawl's state hands out with the page's lease. A page of an undecided host that would be one
 *   comparison too many waits for the next comparison to be learned.
 * - Pages to render wait for a tab in their own `mergeMap`, as many at once as the pool has tabs: a page read over HTTP
 *   alone never waits behind them.
 * - A page read both ways becomes two pages for the parse stage; {@linkcode settle} keeps the first record, and with
 *   the second learns, and passes on ONE record: the rendered one when rendering found more, else the plain one, with
 *   the links of both. A failed render counts as one that found nothing.
 * - Pages that are not HTML, or failed, are never rendered. Every page it passes on says how it was read (`rendered`).
 *
 * @example
 * ```ts
 * import { RenderStage } from "./render_stage.ts";
 * const stage = new RenderStage("auto", { pages: 4 });
 * fetched.pipe(stage.read(), parseHtml(), stage.settle()); // Settled records
 * await stage.close();
 * ```
 */
export class RenderStage {
  readonly #pool: BrowserPool;
  readonly #decider: RenderDecider | undefined;
  readonly #onEvent: RenderStageHooks["onEvent"];
  readonly #comparisons = new Map<string, Comparison>();
  /** Pages told to wait, by host: woken when the host learns from a comparison. */
  readonly #waiting = new Map<string, Set<() => void>>();

  /** Checks the options (a missing browser is a `UsageError`); starts nothing yet. */
  constructor(mode: Exclude<RenderMode, "never">, options: RenderingOptions = {}, hooks: RenderStageHooks = {}) {
    const { firstPages, sampleEvery, ...browser } = options;
    const { onRequest, onSent } = hooks;
    this.#pool = new BrowserPool(browser, { ...(onRequest === undefined ? {} : { onRequest }), ...(onSent === undefined ? {} : { onSent }) });
    this.#decider =
      mode === "always"
        ? undefined
        : new RenderDecider({ ...(firstPages === undefined ? {} : { firstPages }), ...(sampleEvery === undefined ? {} : { sampleEvery }) });
    this.#onEvent = hooks.onEvent;
    this.#onEvent?.({ type: "start", mode });
  }

  /** Starts the browser now, so that a missing playwright-core or a browser that does not start is known at once. */
  start(): Promise<void> {
    return this.#pool.start();
  }

  /** The browser's counts so far. */
  get stats(): BrowserPoolStats {
    return this.#pool.stats;
  }

  /** Reads each fetched page: as it is, rendered, or both ways (two pages out); see the class. */
  read(): OperatorFunction<PageToRead, FetchedPage> {
    return (source) =>
      source.pipe(
        mergeMap((item) => this.#plan(item)),
        connect((planned) =>
          merge(
            planned.pipe(
              filter(({ reading }) => reading === "static"),
              map(({ item }): FetchedPage => ({ ...item.page, rendered: false })),
            ),
            planned.pipe(
              filter(({ reading }) => reading !== "static"),
              mergeMap((page) => abortable((signal) => this.#render(page, signal)), this.#pool.pages),
              mergeMap((pages) => pages),
            ),
          ),
        ),
      );
  }

  /** After the parse stage: one record per page, its host's decision with it when it changed (see the class). */
  settle(): OperatorFunction<PageRecord, Settled> {
    return (source) =>
      source.pipe(
        map((record) => this.#settle(record)),
        filter((settled): settled is Settled => settled !== undefined),
      );
  }

  /** Waits for the renders in hand, closes the browser and removes its directory. Safe to call twice. */
  close(): Promise<void> {
    return this.#pool.close();
  }

  #plan(item: PageToRead): Observable<Planned> {
    const { page, host } = item;
    if (!renderable(page)) return of({ item, reading: "static" });
    const decider = this.#decider;
    if (decider === undefined) return of({ item, reading: "rendered" });
    const reading = decider.plan(host, item.known);
    if (reading !== "wait") return of({ item, reading });
    return abortable(async (signal) => {
      for (;;) {
        await this.#learned(host, signal);
        const again = decider.plan(host, item.known);
        if (again !== "wait") return { item, reading: again };
      }
    });
  }

  /** Resolves when `host` next learns from a comparison. */
  #learned(host: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let waiting = this.#waiting.get(host);
      if (waiting === undefined) this.#waiting.set(host, (waiting = new Set()));
      const wake = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        waiting.delete(wake);
        reject(signal.reason as Error);
      };
      waiting.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  async #render({ item, reading }: Planned, signal: AbortSignal): Promise<FetchedPage[]> {
    const { page, host } = item;
    const response = { url: page.finalUrl, status: page.status, headers: { "content-type": page.contentType }, body: page.body };
    const result = await this.#pool.render({ url: page.url, response }, signal);
    const rendered = renderedPage(page, result);
    const compared = reading === "both";
    this.#onEvent?.({ type: "page", host, compared, failed: result.errorCode !== "", browser: this.#pool.stats });
    if (!compared) return [rendered];
    const plainText = textLength(decodeHtml(page.body, page.contentType).text);
    this.#comparisons.set(page.url, { host, plainText, renderedText: result.errorCode === "" ? textLength(result.html) : 0 });
    return [{ ...page, rendered: false }, rendered];
  }

  #settle(record: PageRecord): Settled | undefined {
    const comparison = this.#comparisons.get(record.url);
    if (comparison === undefined) return { record };
    if (comparison.first === undefined) {
      comparison.first = record;
      return undefined;
    }
    this.#comparisons.delete(record.url);
    const [plain, rendered] = record.rendered === true ? [comparison.first, record] : [record, comparison.first];
    const plainYield = pageYield(plain, comparison.plainText);
    const renderedYield = rendered.error === "" ? pageYield(rendered, comparison.renderedText) : NOTHING_FOUND;
    const { host } = comparison;
    const decision = this.#decider!.learn(host, plainYield, renderedYield);
    const waiting = this.#waiting.get(host);
    if (waiting !== undefined) {
      this.#waiting.delete(host);
      for (const wake of waiting) wake();
    }
    const [chosen, other] = rendersMore(plainYield, renderedYield) ? [rendered, plain] : [plain, rendered];
    const settled: Settled = { record: chosen.error === "" && other.error === "" ? withLinks(chosen, other.links) : chosen };
    if (decision !== undefined) settled.render = { host, render: decision };
    return settled;
  }
}

/** Whether a fetched page is one to render: an HTML page that came without an error (not a sitemap). */
function renderable(page: FetchedPage): boolean {
  return page.error === "" && page.kind !== "sitemap" && page.body.byteLength > 0 && page.contentType !== "" && isHtmlType(page.contentType);
}

/** The record with `links` it lacks added after its own: what either reading of a page found to follow. */
function withLinks(record: PageRecord, links: readonly string[]): PageRecord {
  const own = new Set(record.links);
  const more = links.filter((link) => !own.has(link));
  return more.length === 0 ? record : { ...record, links: [...record.links, ...more] };
}
