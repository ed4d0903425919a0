import { decodeHtml } from "./charset.ts";
import { CrawlError } from "../errors.ts";
import { checkSelector, type Extract, type Follow, fieldExtractor } from "./extractor.ts";
import { isHtmlType } from "../fetch/content_type.ts";
import { extractLinks } from "./links.ts";
import type { FetchedPage, PageRecord } from "../records.ts";
import { pageTitle, parseDocument } from "./select.ts";
import { parseSitemap } from "./sitemap.ts";
import { normalizeUrl } from "../url.ts";

/** What to take from each page. */
export interface PageSpec {
  /**
   * Which links to follow: a CSS selector whose matches' `href`s are taken, a function, or `false` for none.
   * @default "a[href]"
   */
  follow?: string | Follow | false;
  /** Fields to extract: `{ name: "css" | "css@attr" }`, or a function returning them. @default {} */
  extract?: Record<string, string> | Extract;
}

/** A {@linkcode PageSpec} turned into the two functions that run on each page. */
export interface CompiledSpec {
  follow: ((document: Document, page: FetchedPage) => string[]) | undefined;
  extract: Extract | undefined;
}

/**
 * Checks a {@linkcode PageSpec} once (invalid CSS is a usage error) and returns what {@linkcode parsePage} runs.
 *
 * @example
 * ```ts
 * import { compileSpec } from "./parse_page.ts";
 * const spec = compileSpec({ follow: "#db-rec-section dt a", extract: { rating: ".rating_num" } });
 * ```
 */
export function compileSpec(spec: PageSpec): CompiledSpec {
  const follow = spec.follow ?? "a[href]";
  const extract = spec.extract;
  return {
    follow:
      follow === false
        ? undefined
        : typeof follow === "string"
          ? ((selector) => (document: Document, page: FetchedPage) => extractLinks(document, selector, page.finalUrl))(
              checkSelector(follow, "follow"),
            )
          : (document, page) => resolveAll(follow(document, info(page)), page.finalUrl),
    extract:
      extract === undefined || (typeof extract === "object" && Object.keys(extract).length === 0)
        ? undefined
        : typeof extract === "function"
          ? extract
          : fieldExtractor(extract),
  };
}

/**
 * Decodes and parses a fetched page and runs the spec on it: its title, fields and links. A page that failed, or is
 * not HTML, passes through with empty results; an extractor that throws turns the page into an `EPARSE` error record.
 * Input and output are plain data, so this runs the same inline or in a worker thread.
 *
 * @example
 * ```ts
 * import { compileSpec, parsePage } from "./parse_page.ts";
 * const record = parsePage(fetchedPage, compileSpec({ extract: { h1: "h1" } }));
 * record.title; record.fields.h1; record.links;
 * ```
 */
export function parsePage(page: FetchedPage, spec: CompiledSpec): PageRecord {
  const { body, ...meta } = page;
  const record: PageRecord = { ...meta, bytes: body.byteLength, title: "", fields: {}, links: [], charset: "" };
  if (page.kind === "sitemap") return page.error === "" ? withSitemap(record, body) : record;
  if (page.error !== "" || body.byteLength === 0 || !isHtmlType(page.contentType)) return record;

  const { text, charset } = decodeHtml(body, page.contentType);
  record.charset = charset;
  if (page.contentType === "" && !looksLikeHtml(text)) return record;
  try {
    const document = parseDocument(text);
    record.title = pageTitle(document);
    if (spec.extract !== undefined) record.fields = spec.extract(document, meta);
    if (spec.follow !== undefined) record.links = spec.follow(document, page);
  } catch (cause) {
    const error = new CrawlError("EPARSE", `Extracting failed: ${describe(cause)}`, { url: page.url, cause });
    record.error = error.message;
    record.errorCode = error.code;
    record.links = [];
  }
  return record;
}

/** A sitemap's record: the requests it lists, or the error that stopped its reading. */
function withSitemap(record: PageRecord, body: Uint8Array): PageRecord {
  const { requests, error } = parseSitemap(body);
  record.found = requests;
  if (error !== "") {
    const failure = new CrawlError("EPARSE", error, { url: record.url });
    record.error = failure.message;
    record.errorCode = failure.code;
  }
  return record;
}

function resolveAll(hrefs: Iterable<string>, base: string): string[] {
  const links = new Set<string>();
  for (const href of hrefs) {
    const url = normalizeUrl(href, base);
    if (url !== undefined) links.add(url);
  }
  return [...links];
}

function info(page: FetchedPage): Omit<FetchedPage, "body"> {
  const { body: _body, ...meta } = page;
  return meta;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|div|p|a)\b/i.test(text.slice(0, 1024));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
