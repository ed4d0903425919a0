import { statSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import { defer, type MonoTypeOperatorFunction } from "rxjs";
import { UsageError } from "../errors.ts";
import { type Encoding, sink, type SinkTarget } from "./sink.ts";

const CAST = { object: (value: object) => JSON.stringify(value), boolean: (value: boolean) => String(value) };

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
      const append = options.append ?? false;
      const fresh = !append || typeof target !== "string" || (statSync(target, { throwIfNoEntry: false })?.size ?? 0) === 0;
      const encoding = (): Encoding<T> => {
        // Without explicit columns, the first row's keys, as documented above.
        let columns = options.columns === undefined ? undefined : [...options.columns];
        let header = fresh;
        const text = (rows: T[], names: string[]): string => {
          const line = stringify(rows, { header, bom: header && (options.bom ?? false), columns: names, cast: CAST });
          header = false;
          return line;
        };
        return {
          row(row) {
            columns ??= Object.keys(row);
            return text([row], columns);
          },
          end: () => (header && columns !== undefined ? text([], columns) : undefined),
        };
      };
      return source.pipe(sink(target, encoding, append));
    });
}
