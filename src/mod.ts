/**
 * rxcrawl: crawl the web as an RxJS stream. This entry is the library; the command line's helpers are in
 * `rxcrawl/cli` and the bundled demo site in `rxcrawl/demo`.
 *
 * @example
 * ```ts
 * import { lastValueFrom, map } from "rxjs";
 * import { crawl, writeCsv } from "rxcrawl";
 * await lastValueFrom(
 *   crawl({ start: "https://example.com/", maxPages: 100 }).pipe(
 *     map((page) => ({ url: page.url, status: page.status, title: page.title, error: page.error })),
 *     writeCsv("data/out/example.csv"),
 *   ),
 * );
 * ```
 * @module
 */
export { crawl, type CrawlOptions } from "./crawl.ts";
export { DEFAULTS } from "./defaults.ts";
export { CrawlError, type CrawlErrorCode, type CrawlErrorOptions, UsageError } from "./errors.ts";
export type { CrawlRequest, FetchedPage, FieldValue, PageRecord } from "./records.ts";
export { hostOf, normalizeUrl, originOf, parseHttpUrl } from "./url.ts";
export { readUrlList } from "./url_list.ts";

export { isHtmlType, isPageType } from "./fetch/content_type.ts";
export { fetchConfig, type FetchConfig, type FetchOptions } from "./fetch/fetch_options.ts";
export { fetchPages, type FetchPagesOptions } from "./fetch/fetch_pages.ts";
export { BROWSER_USER_AGENT, DEFAULT_USER_AGENT, Fetcher, type FetcherHooks, type FetcherOptions } from "./fetch/fetcher.ts";
export { HostLimiter, type PolitenessOptions } from "./fetch/host_limiter.ts";
export type { HostPacer } from "./fetch/host_pacer.ts";
export { RobotsCache, type RobotsFetch, type RobotsRefusal, type RobotsResponse, type RobotsRules } from "./fetch/robots.ts";

export { decodeHtml, type DecodedBody } from "./parse/charset.ts";
export { DOUBAN_FIELDS, DOUBAN_RECOMMENDATIONS, DOUBAN_START, doubanBook } from "./parse/douban.ts";
export {
  checkSelector,
  defineExtractor,
  type Extract,
  fieldExtractor,
  type Follow,
  type PageInfo,
  parseFieldFlags,
} from "./parse/extractor.ts";
export { type FileLinkOptions, fileLinkFilter, skipExtensions } from "./parse/file_links.ts";
export { extractLinks } from "./parse/links.ts";
export { parseHtml, type ParseHtmlOptions } from "./parse/parse_html.ts";
export { compileSpec, parsePage, type PageSpec } from "./parse/parse_page.ts";
export { collapse, pageTitle, parseDocument, selectAttr, selectText } from "./parse/select.ts";

export type { CrawlDefinition } from "./state/crawl_definition.ts";
export type {
  CommitResult,
  CrawlCounts,
  CrawlPlan,
  CrawlState,
  Lease,
  LeaseBatch,
  OpenedCrawl,
} from "./state/crawl_state.ts";
export { dedupe } from "./state/dedupe.ts";
export { Frontier, type FrontierOptions } from "./state/frontier.ts";
export { CrawlJournal, type CrawlJournalOptions, type JournalState, journalPath } from "./state/journal.ts";
export { LocalCrawlState, type LocalCrawlStateOptions } from "./state/local_state.ts";
export { RedisCrawlState, type RedisCrawlStateOptions } from "./state/redis/redis_state.ts";
export { SeenSet } from "./state/seen_set.ts";

export { completeRows } from "./sinks/complete_rows.ts";
export { readRows } from "./sinks/read_rows.ts";
export { writeCsv, type WriteCsvOptions } from "./sinks/csv.ts";
export { writeJsonl, type WriteJsonlOptions } from "./sinks/jsonl.ts";
export { nullForEmpty, pageColumns, pageRow, type PageRow, type PageRowOptions } from "./sinks/page_row.ts";
export {
  type InvalidParquetValue,
  PAGE_TYPES,
  pageParquetSchema,
  type ParquetColumnType,
  type ParquetSchema,
  writeParquet,
  type WriteParquetOptions,
} from "./sinks/parquet.ts";
export type { SinkTarget } from "./sinks/sink.ts";
export { checkOutputPath, isCsvPath, writeRows, type WriteRowsOptions } from "./sinks/write_rows.ts";

export { CrawlStats } from "./stats/crawl_stats.ts";
export { type CrawlSummary, FINISH_REASONS, type FinishReason, type Histogram } from "./stats/crawl_summary.ts";
export { line as progressLine, showProgress, type ShowProgressOptions, summary } from "./stats/show_progress.ts";

export { renderReport, type RenderReportOptions } from "./report/render_report.ts";
export { summaryWithRows } from "./report/summary_with_rows.ts";
export { writeReport } from "./report/write_report.ts";
