import { UsageError } from "../errors.ts";
import type { FieldValue, PageRecord } from "../records.ts";

/** The columns of a page row, around the extracted fields: `url ... title`, then the fields, then `error, fetched_at`. */
const HEAD = ["url", "final_url", "status", "content_type", "depth", "title"] as const;
const TAIL = ["error", "fetched_at"] as const;

/** A flat row: what the pipelines write to CSV and JSONL. */
export type PageRow = Record<string, FieldValue>;

/** Options of {@linkcode pageColumns} and {@linkcode pageRow}. */
export interface PageRowOptions {
  /** A `lastmod` column after `title`: what a sitemap said of the page (a crawl that reads sitemaps). @default false */
  lastmod?: boolean;
  /**
   * A `rendered` column after `title` (and `lastmod`): whether the row was read from the DOM a browser rendered (a
   * crawl with `render` "auto" or "always"; a crawl that renders nothing has no such column, so its output keeps the
   * columns it always had). @default false
   */
  rendered?: boolean;
}

/**
 * The columns of a page row with `fields` extracted, in order. A field may not reuse a column's name.
 *
 * @example
 * ```ts
 * import { pageColumns } from "./page_row.ts";
 * pageColumns(["price"]); // ["url", "final_url", "status", "content_type", "depth", "title", "price", "error", "fetched_at"]
 * ```
 */
export function pageColumns(fields: readonly string[] = [], options: PageRowOptions = {}): string[] {
  const head: string[] = [...HEAD];
  if (options.lastmod === true) head.push("lastmod");
  if (options.rendered === true) head.push("rendered");
  for (const name of fields) {
    if (head.includes(name) || (TAIL as readonly string[]).includes(name)) {
      throw new UsageError(`Expected a field name other than the column ${JSON.stringify(name)}`);
    }
  }
  return [...head, ...fields, ...TAIL];
}

/**
 * Flattens a record into a row with {@linkcode pageColumns}' keys: one row per URL attempted. What a page lacks is
 * `null` (see {@linkcode nullForEmpty}): `error` on success, `title` and `content_type` when there are none, a field
 * that matched nothing. `status` stays a number: 0 when no response came; `rendered` a boolean.
 *
 * @example
 * ```ts
 * import { map } from "rxjs";
 * import { pageRow } from "./page_row.ts";
 * map((page) => pageRow(page, ["price"]));
 * ```
 */
export function pageRow(page: PageRecord, fields: readonly string[] = [], options: PageRowOptions = {}): PageRow {
  const row: PageRow = {
    url: page.url,
    final_url: page.finalUrl,
    status: page.status,
    content_type: page.contentType,
    depth: page.depth,
    title: page.title,
  };
  if (options.lastmod === true) row.lastmod = page.lastmod ?? null;
  if (options.rendered === true) row.rendered = page.rendered ?? false;
  for (const name of fields) row[name] = page.fields[name] ?? null;
  row.error = page.error;
  row.fetched_at = page.fetchedAt;
  return nullForEmpty(row);
}

/**
 * The row with every empty string made `null`: the one way a written row says "no value". A CSV cell cannot tell an
 * empty string from no value, and DuckDB and pandas read an empty cell as NULL (NaN); JSON Lines, which could tell
 * them apart, then says `null` too, so that `error IS NULL` (DuckDB) or `error.isna()` (pandas) selects the same rows
 * in both formats. Other values are kept as they are.
 *
 * @example
 * ```ts
 * import { nullForEmpty } from "./page_row.ts";
 * nullForEmpty({ url: "https://example.com/", title: "", status: 0, error: "" }); // { url: …, title: null, status: 0, error: null }
 * ```
 */
export function nullForEmpty<T extends Record<string, FieldValue>>(row: T): { [K in keyof T]: T[K] | null } {
  const result: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(row)) result[key] = value === "" ? null : value;
  return result as { [K in keyof T]: T[K] | null };
}
