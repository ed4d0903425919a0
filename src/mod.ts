/**
 * rxcrawl: crawl the web as an RxJS stream.
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
export { CrawlStats } from "./crawl_stats.ts";
export { fetchPages, type FetchPagesOptions } from "./fetch_pages.ts";
export { isHtmlType } from "./content_type.ts";
export { BROWSER_USER_AGENT, DEFAULT_USER_AGENT, Fetcher, type FetcherOptions } from "./fetcher.ts";
export { parseHtml, type ParseHtmlOptions } from "./parse_html.ts";
export { compileSpec, parsePage, type PageSpec } from "./parse_page.ts";
export {
  checkSelector,
  defineExtractor,
  type Extract,
  fieldExtractor,
  type Follow,
  type PageInfo,
  parseFieldFlags,
} from "./extractor.ts";
export { collapse, pageTitle, parseDocument, selectAttr, selectText } from "./select.ts";
export { extractLinks } from "./links.ts";
export { hostOf, normalizeUrl, originOf, parseHttpUrl } from "./url.ts";
export { decodeHtml, type DecodedBody } from "./charset.ts";
export { dedupe } from "./dedupe.ts";
export { Frontier, type FrontierOptions } from "./frontier.ts";
export { SeenSet } from "./seen_set.ts";
export { HostLimiter, type PolitenessOptions } from "./politeness.ts";
export { RobotsCache, type RobotsFetch, type RobotsRefusal, type RobotsResponse, type RobotsRules } from "./robots.ts";
export { CrawlError, type CrawlErrorCode, type CrawlErrorOptions, UsageError } from "./errors.ts";
export type { CrawlRequest, FetchedPage, FieldValue, PageRecord } from "./records.ts";
export { writeCsv, type WriteCsvOptions } from "./sinks/csv.ts";
export { writeJsonl, type WriteJsonlOptions } from "./sinks/jsonl.ts";
export {
  type InvalidParquetValue,
  pageParquetSchema,
  type ParquetColumnType,
  type ParquetSchema,
  writeParquet,
  type WriteParquetOptions,
} from "./sinks/parquet.ts";
export { CrawlJournal, type CrawlJournalOptions, type JournalState, journalPath } from "./journal.ts";
export type { SinkTarget } from "./sinks/sink.ts";
export { demoRecommendations, startDemoSite, renderDemoPage, type DemoSite, type DemoSiteOptions } from "./demo_site.ts";
export { DOUBAN_FIELDS, DOUBAN_RECOMMENDATIONS, DOUBAN_START, doubanBook } from "./douban.ts";
export { pageColumns, pageRow, type PageRow } from "./rows.ts";
export { line as progressLine, showProgress, type ShowProgressOptions, summary } from "./progress.ts";
export {
  type Cli,
  type CliSpec,
  defaultWorkers,
  headerFlags,
  integerFlag,
  numberFlag,
  openJournal,
  parseCli,
  runPipeline,
  type Stop,
  stopOnSignals,
} from "./cli.ts";
export { checkOutputPath, isCsvPath, writeRows, type WriteRowsOptions } from "./sinks/rows.ts";
export { readUrlList } from "./url_list.ts";
