import { statSync } from "node:fs";
import { stringify } from "csv-stringify";
import { defer, type MonoTypeOperatorFunction } from "rxjs";
import { UsageError } from "../errors.ts";
import { sink, type SinkTarget } from "./sink.ts";

/** Options of {@linkcode writeCsv}. */
export interface WriteCsvOptions {
  /**
   * The columns, in order. Rows are written by these keys: a missing key is an empty cell, an extra key is not
   * written. Give them whenever you can: an empty crawl then still leaves a file with its header row.
   * @default the keys of the first row
   */
  columns?: readonly string[];
  /** Start the file with a UTF-8 byte order mark, which Excel needs to see UTF-8. @default false */
  bom?: boolean;
  /**
   * Add to the end of the file instead of replacing it, with no second header: the header (and BOM) are written only
   * when the file is empty or missing. Rows must have the file's columns.
   * @default false
   */
  append?: boolean;
}

/**
 * Writes rows to a CSV file (csv-stringify): a header row, then a row per value, UTF-8, quoted where needed (commas,
 * quotes, newlines), as rows arrive; passes the rows on. Nested values are written as JSON. The file is flushed and
 * closed on complete, on error and on unsubscribe; the Observable completes once it is. pandas (`read_csv(path)`)
 * and DuckDB (`read_csv('file.csv')`) read it with no other options.
 *
 * @example
 * ```ts
 * import { from, lastValueFrom } from "rxjs";
 * import { writeCsv } from "./csv.ts";
 * await lastValueFrom(
 *   from([{ url: "https://example.com/", title: '活着, "典藏版"' }]).pipe(writeCsv("data/out/t.csv", { columns: ["url", "title"] })),
 * );
 * ```
 */
export function writeCsv<T extends object>(target: SinkTarget, options: WriteCsvOptions = {}): MonoTypeOperatorFunction<T> {
  if (options.columns !== undefined && options.columns.length === 0) {
    throw new UsageError("Expected columns to name at least one column, got none");
  }
  return (source) =>
    defer(() => {
      const columns = options.columns;
      const append = options.append ?? false;
      const fresh = !append || typeof target !== "string" || (statSync(target, { throwIfNoEntry: false })?.size ?? 0) === 0;
      const encoder = () =>
        stringify({
          header: fresh,
          bom: fresh && (options.bom ?? false),
          // Without explicit columns csv-stringify takes the first record's keys, as documented above.
          ...(columns === undefined ? {} : { columns: [...columns] }),
          cast: { object: (value) => JSON.stringify(value), boolean: (value) => String(value) },
        });
      return source.pipe(sink(target, (row: T) => row, encoder, append));
    });
}
