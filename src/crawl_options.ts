import { DEFAULTS } from "./defaults.ts";
import { UsageError } from "./errors.ts";
import { type FetchConfig, fetchConfig, type FetchOptions } from "./fetch/fetch_options.ts";
import { rateSpacingMs } from "./fetch/spacing.ts";
import { type Extract, type Follow, isPortable } from "./parse/extractor.ts";
import { type FileLinkOptions, fileLinkFilter, skipExtensions } from "./parse/file_links.ts";
import type { ParseHtmlOptions } from "./parse/parse_html.ts";
import type { PageSpec } from "./parse/parse_page.ts";
import type { CrawlRequest } from "./records.ts";
import { renderConfig } from "./render/render_options.ts";
import type { RenderingOptions, RenderMode } from "./render/render_stage.ts";
import type { CrawlDefinition } from "./state/crawl_definition.ts";
import type { CrawlState, Politeness } from "./state/crawl_state.ts";
import type { CrawlJournal } from "./state/journal.ts";
import { LocalCrawlState } from "./state/local_state.ts";
import type { CrawlStats } from "./stats/crawl_stats.ts";
import { hostOf, normalizeUrl, originOf } from "./url.ts";
import { nonNegativeInteger, positiveInteger } from "./validate.ts";

/** Options of `crawl()`. */
export interface CrawlOptions extends FetchOptions, PageSpec, FileLinkOptions {
  /**
   * Where the crawl starts: one or more http(s) URLs, crawled at depth 0. A process joining a crawl that a shared
   * `state` already holds may give none.
   */
  start: string | readonly string[];
  /** Requests in flight at once, over all hosts. @default 8 */
  concurrency?: number;
  /** Worker threads that parse pages; 0 parses on the fetching thread. @default 0 */
  workers?: number;
  /**
   * The most requests the crawl starts (over every process, when the state is shared): each leaves one record. Every
   * link in scope is admitted to the frontier, which starts them in its own order (ready hosts in turn, shallower
   * pages first); those left waiting are kept, by a journal or a shared state, for a run with a larger one.
   * @default Infinity
   */
  maxPages?: number;
  /** The most links to follow from a start URL; 0 crawls the start URLs only. @default Infinity */
  maxDepth?: number;
  /** Hosts (`host` or `host:port`) the crawl may enter, or `"any"`. @default the hosts of the start URLs */
  hosts?: readonly string[] | "any";
  /** Patterns a discovered URL must match one of (strings are regular expressions). @default every URL */
  allow?: readonly (string | RegExp)[];
  /** Patterns that exclude a discovered URL, checked after `allow`. @default none */
  deny?: readonly (string | RegExp)[];
  /**
   * Stops the crawl gracefully when aborted: no URL is admitted or started after that, the requests in flight finish
   * and emit their records, then the Observable completes. (To cancel at once, unsubscribe.)
   */
  signal?: AbortSignal;
  /**
   * Milliseconds the requests in flight get to finish after `signal` aborts; then they are aborted, leave no record,
   * and the crawl completes.
   * @default 10000
   */
  stopGrace?: number;
  /**
   * Everything the crawl remembers (frontier, seen URLs, leases, politeness): shared by several processes when it is a
   * `RedisCrawlState`. One subscription per state. @default a new `LocalCrawlState` per subscription
   */
  state?: CrawlState;
  /** For the default state: requests kept in memory, over all hosts, before the frontier spills to temporary files. @default 100000 */
  frontierMemory?: number;
  /** For the default state: the journal that makes the crawl resumable (see `CrawlJournal`). @default none */
  journal?: CrawlJournal;
  /** Counters the crawl keeps up to date, for progress reports. @default a private instance */
  stats?: CrawlStats;
  /** The columns of the caller's output, made part of the crawl's definition (see `CrawlDefinition`). @default none */
  columns?: readonly string[];
  /**
   * Start from the sitemaps too: those each start URL's robots.txt names and its `/sitemap.xml` (and a start URL
   * ending in `.xml` or `.xml.gz` is read as a sitemap). Sitemap indexes are followed; the URLs a sitemap lists are
   * crawled at depth 0, with its `<lastmod>` in their record. Each sitemap leaves a record, with an error when it is
   * malformed. @default false
   */
  sitemap?: boolean;
  /**
   * How pages are read: over HTTP alone (`"never"`: the browser is never loaded); every HTML page rendered from its
   * fetched bytes in headless Chromium too (`"always"`); or each host's pages as rendering proves needed (`"auto"`: a
   * host's first pages are read both ways, and rendered from then on only if the browser found more: links, `extract`
   * fields, text). Rendering needs playwright-core and the system's Chromium. Part of the crawl's definition: a
   * process joining a shared crawl renders as it does. @default "never"
   */
  render?: RenderMode;
  /**
   * The browser's options when `render` is `"auto"` or `"always"`: the executable, tabs, blocked resource types,
   * `waitFor` (see `RenderOptions`; its `timeout` is the crawl's unless given), and how `auto` decides (see
   * `RenderDeciderOptions`). @default the browser on PATH, 4 tabs, images, media and fonts blocked
   */
  rendering?: RenderingOptions;
}

/** {@linkcode CrawlOptions} checked once, defaults filled in, and cut into what each part of the crawl needs. */
export interface CrawlConfig {
  /** What the crawl starts from: the start URLs, and with `sitemap`, their origins' `/sitemap.xml`. */
  start: CrawlRequest[];
  /** The origins whose robots.txt's sitemaps the crawl starts from too: the start URLs' with `sitemap`, else none. */
  sitemapOrigins: ReadonlySet<string>;
  concurrency: number;
  maxPages: number;
  maxDepth: number;
  stopGrace: number;
  /** Whether a discovered URL may be crawled (hosts, allow, deny). */
  inScope: (url: string) => boolean;
  /** Whether a link leads to a file by its extension, and is not followed (`skipExtensions`, `keepFiles`). */
  isFileLink: (url: string) => boolean;
  fetch: FetchConfig;
  /** What the frontier holds each host to: `perHost`, and `rate` as the least interval between two starts. */
  politeness: Politeness;
  parse: ParseHtmlOptions;
  /** How pages are rendered, when they are: the mode and the browser's options, checked; undefined for `"never"`. */
  render: { mode: "auto" | "always"; options: RenderingOptions } | undefined;
  definition: CrawlDefinition;
  /** The state of one subscription. */
  state: () => CrawlState;
}

/**
 * Checks the options of `crawl()` and cuts them into the slices its parts take: a wrong value is a `UsageError`,
 * raised before anything is fetched.
 *
 * @example
 * ```ts
 * import { crawlConfig } from "./crawl_options.ts";
 * crawlConfig({ start: "https://example.com/", concurrency: 0 }); // throws "Expected concurrency to be a positive integer, got 0"
 * ```
 */
export function crawlConfig(options: CrawlOptions): CrawlConfig {
  const sitemap = options.sitemap === true;
  const start = startRequests(options.start, options.state !== undefined, sitemap);
  const maxDepth = nonNegativeInteger("maxDepth", options.maxDepth ?? DEFAULTS.maxDepth, true);
  if (options.state !== undefined && (options.journal !== undefined || options.frontierMemory !== undefined)) {
    throw new UsageError("Expected journal and frontierMemory only without a state: they configure the default one");
  }
  const hosts = options.hosts === "any" ? "any" : [...(options.hosts ?? start.map((request) => hostOf(request.url)))];
  const allow = patterns(options.allow ?? [], "allow");
  const deny = patterns(options.deny ?? [], "deny");
  const hostSet = hosts === "any" ? undefined : new Set(hosts.map((host) => host.toLowerCase()));
  const given = options.state;
  const local = { journal: options.journal, frontierMemory: options.frontierMemory };
  if (options.frontierMemory !== undefined) positiveInteger("frontierMemory", options.frontierMemory);
  const fetch = fetchConfig(options);
  const inScope = (url: string): boolean =>
    (hostSet === undefined || hostSet.has(hostOf(url))) &&
    (allow.length === 0 || allow.some((re) => re.test(url))) &&
    !deny.some((re) => re.test(url));
  const origins = sitemap ? new Set(start.map((request) => originOf(request.url))) : new Set<string>();
  const render = renderSettings(options, fetch);
  return {
    start: [...start, ...sitemapRequests(start, origins).filter((request) => inScope(request.url))],
    sitemapOrigins: origins,
    concurrency: positiveInteger("concurrency", options.concurrency ?? DEFAULTS.concurrency),
    maxPages: positiveInteger("maxPages", options.maxPages ?? DEFAULTS.maxPages, true),
    maxDepth,
    stopGrace: nonNegativeInteger("stopGrace", options.stopGrace ?? DEFAULTS.stopGrace),
    inScope,
    isFileLink: fileLinkFilter(options),
    fetch,
    politeness: { perHost: fetch.perHost, intervalMs: rateSpacingMs(fetch.rate) },
    parse: {
      workers: nonNegativeInteger("workers", options.workers ?? DEFAULTS.workers),
      ...(options.follow === undefined ? {} : { follow: options.follow }),
      ...(options.extract === undefined ? {} : { extract: options.extract }),
    },
    render,
    definition: {
      start: start.map((request) => request.url),
      follow: describe(options.follow ?? DEFAULTS.follow, (selector) => ({ selector })),
      extract: options.extract === undefined ? null : describe(options.extract, (fields) => ({ fields: { ...fields } })) || null,
      hosts: hosts === "any" ? "any" : hosts.map((host) => host.toLowerCase()),
      allow: allow.map((re) => re.source),
      deny: deny.map((re) => re.source),
      maxDepth: maxDepth === Infinity ? null : maxDepth,
      sitemap,
      ...skippedFiles(options),
      ...(render === undefined ? {} : { render: render.mode }),
      ...(options.columns === undefined ? {} : { columns: [...options.columns] }),
    },
    state: given === undefined ? () => new LocalCrawlState(withoutUndefined(local)) : () => given,
  };
}

/** The definition's part for the links to files: absent for the default list, so that older crawls still match. */
function skippedFiles(options: FileLinkOptions): Pick<CrawlDefinition, "skipExtensions"> {
  if (options.keepFiles === true) return { skipExtensions: [] };
  if (options.skipExtensions === undefined) return {};
  return { skipExtensions: [...skipExtensions(options.skipExtensions)].sort() };
}

const RENDER_MODES: readonly RenderMode[] = ["never", "auto", "always"];

/**
 * The mode and the browser's options, checked now (a missing browser is a `UsageError` before anything is fetched):
 * the page's timeout is the crawl's, and the page's own requests say the crawl's User-Agent, unless given.
 */
function renderSettings(options: CrawlOptions, fetch: FetchConfig): CrawlConfig["render"] {
  const mode = options.render ?? "never";
  if (!RENDER_MODES.includes(mode)) {
    throw new UsageError(`Expected render to be ${RENDER_MODES.map((name) => `"${name}"`).join(", ")}, got ${JSON.stringify(mode)}`);
  }
  if (mode === "never") {
    if (options.rendering !== undefined) throw new UsageError('Expected rendering options only with render "auto" or "always"');
    return undefined;
  }
  const rendering: RenderingOptions = { timeout: fetch.timeout, userAgent: fetch.userAgent, ...options.rendering };
  const { firstPages: _f, sampleEvery: _s, ...browser } = rendering;
  renderConfig(browser);
  return { mode, options: rendering };
}

function startRequests(start: string | readonly string[], shared: boolean, sitemap: boolean): CrawlRequest[] {
  const list = typeof start === "string" ? [start] : [...start];
  if (list.length === 0 && !shared) throw new UsageError("Expected at least one start URL, got none");
  return list.map((raw) => {
    const url = normalizeUrl(raw);
    if (url === undefined) throw new UsageError(`Expected a start URL with http:// or https://, got ${JSON.stringify(raw)}`);
    return sitemap && /\.xml(\.gz)?$/i.test(new URL(url).pathname) ? { url, depth: 0, kind: "sitemap" } : { url, depth: 0 };
  });
}

/** The `/sitemap.xml` of each origin, unless a start URL is that already. */
function sitemapRequests(start: readonly CrawlRequest[], origins: ReadonlySet<string>): CrawlRequest[] {
  const listed = new Set(start.map((request) => request.url));
  const more: CrawlRequest[] = [];
  for (const origin of origins) {
    const url = `${origin}/sitemap.xml`;
    if (!listed.has(url)) more.push({ url, depth: 0, kind: "sitemap" });
  }
  return more;
}

function patterns(list: readonly (string | RegExp)[], name: string): RegExp[] {
  return list.map((pattern) => {
    if (pattern instanceof RegExp) return pattern;
    try {
      return new RegExp(pattern);
    } catch {
      throw new UsageError(`Expected ${name} to be a regular expression, got ${JSON.stringify(pattern)}`);
    }
  });
}

/** A selector or field map as plain data; a function by its name, the one part of it that two processes share. */
function describe<T, D>(value: T | false | Follow | Extract, data: (value: T) => D): D | false | { function: string } {
  if (value === false) return false;
  if (typeof value !== "function") return data(value);
  return { function: isPortable(value) ? value.exportName : value.name || "anonymous" };
}

function withoutUndefined<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as never;
}
