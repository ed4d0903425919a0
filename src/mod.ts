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
export { CrawlError, type CrawlErrorCode, UsageError } from "./errors.ts";
export type { CrawlRequest, FetchedPage, FetchProgress, FieldValue, PageRecord } from "./records.ts";
export { normalizeUrl } from "./url.ts";
export { readUrlList } from "./url_list.ts";

export type { FetchOptions } from "./fetch/fetch_options.ts";
export { fetchPages, type FetchPagesOptions } from "./fetch/fetch_pages.ts";
export { BROWSER_USER_AGENT } from "./fetch/fetcher.ts";
export type { RobotsFetch, RobotsResponse } from "./fetch/robots.ts";

export { DOUBAN_FIELDS, DOUBAN_RECOMMENDATIONS, DOUBAN_START, doubanBook } from "./parse/douban.ts";
export { defineExtractor, type Extract, type Follow, type PageInfo } from "./parse/extractor.ts";
export { parseHtml, type ParseHtmlOptions } from "./parse/parse_html.ts";
export type { PageSpec } from "./parse/parse_page.ts";
export { pageTitle, selectAttr, selectText } from "./parse/select.ts";

export type { RenderDeciderOptions } from "./render/render_decider.ts";
export type { RenderOptions, ResourceType } from "./render/render_options.ts";
export type { RenderingOptions, RenderMode } from "./render/render_stage.ts";

export type { CrawlDefinition } from "./state/crawl_definition.ts";
export type {
  CommitResult,
  Continued,
  CrawlCounts,
  CrawlPlan,
  CrawlState,
  Finished,
  HostPace,
  HostRender,
  Lease,
  LeaseBatch,
  OpenedCrawl,
  Outcome,
  Politeness,
} from "./state/crawl_state.ts";
export { dedupe } from "./state/dedupe.ts";
export { CrawlJournal, type CrawlJournalOptions, type JournalState } from "./state/journal.ts";
export { LocalCrawlState, type LocalCrawlStateOptions } from "./state/local_state.ts";
export { RedisCrawlState, type RedisCrawlStateOptions } from "./state/redis/redis_state.ts";

export { readRows } from "./sinks/read_rows.ts";
export { writeCsv, type WriteCsvOptions } from "./sinks/csv.ts";
export { writeJsonl, type WriteJsonlOptions } from "./sinks/jsonl.ts";
export { nullForEmpty, pageColumns, pageRow, type PageRow, type PageRowOptions } from "./sinks/page_row.ts";
export { SharedOutput, type SharedOutputOptions, type SharedRecords } from "./sinks/shared_output.ts";
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
export { writeRows, type WriteRowsOptions } from "./sinks/write_rows.ts";

export { CrawlStats } from "./stats/crawl_stats.ts";
export type { CrawlSummary, FinishReason, Histogram, RenderSummary } from "./stats/crawl_summary.ts";
export { showProgress, type ShowProgressOptions } from "./stats/show_progress.ts";

export { renderReport, type RenderReportOptions } from "./report/render_report.ts";
export { summaryWithRows } from "./report/summary_with_rows.ts";
export { writeReport } from "./report/write_report.ts";
