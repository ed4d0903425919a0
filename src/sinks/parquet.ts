import { type MonoTypeOperatorFunction, Observable } from "rxjs";
import { UsageError } from "../errors.ts";
import { pageColumns, type PageRowOptions } from "./page_row.ts";
import { openParquetOutput } from "./parquet_output.ts";
import { ParquetFile } from "./parquet_file.ts";
import { INVALID, PARQUET_COLUMN_TYPES, type ParquetColumnType, type ParquetValue, toParquetValue } from "./parquet_types.ts";
import type { SinkTarget } from "./sink.ts";

export type { ParquetColumnType } from "./parquet_types.ts";

/** The columns of a Parquet file, in order, each with its type: `{ url: "string", status: "int32" }`. */
export type ParquetSchema = Readonly<Record<string, ParquetColumnType>>;

/** A value that its column's type cannot hold, as {@linkcode WriteParquetOptions.onInvalidValue} is told of it. */
export interface InvalidParquetValue {
  /** The column's name. */
  column: string;
  /** The column's type. */
  type: ParquetColumnType;
  /** The value as it was in the row. */
  value: unknown;
  /** The row's position in the stream, from 1. */
  row: number;
}

/** Options of {@linkcode writeParquet}. */
export interface WriteParquetOptions {
  /**
   * The columns, in order, and their types (see {@linkcode ParquetColumnType}). Rows are written by these keys: a
   * missing key is null, an extra key is not written. {@linkcode pageParquetSchema} gives the generic crawler's.
   */
  schema: ParquetSchema;
  /**
   * Rows per row group. A row group is encoded and written once it is full, so memory holds about one row group
   * of rows, whatever the length of the stream; readers such as DuckDB read row groups in parallel.
   * @default 10000
   */
  rowGroupSize?: number;
  /**
   * Called with each value that its column's type cannot hold (`"n/a"` in an `"int32"` column, `9.5` in an
   * `"int64"` one); the value is written as null. Without it, such a value fails the stream with a UsageError and no
   * file is written: a schema that does not fit the rows is a mistake to fix, not data to lose quietly.
   * @default undefined: fail the stream
   */
  onInvalidValue?: (invalid: InvalidParquetValue) => void;
}

/** The default of {@linkcode WriteParquetOptions.rowGroupSize}. */
const ROW_GROUP_SIZE = 10_000;

/**
 * Writes rows to a Parquet file with typed, nullable columns (hyparquet-writer, Snappy-compressed), a row group at a
 * time as rows arrive, and passes each row on once it is checked and in the current row group. The file is
 * completed (its footer written) on complete, on error and on unsubscribe; the Observable completes once it is.
 *
 * - A path is written as `<path>.partial` and renamed to `<path>` when complete, so a file at `<path>` is always a
 *   whole Parquet file: after a SIGKILL or a power cut it is the one from before (or none), and `<path>.partial`,
 *   without its footer, is left to delete. A stream target (stdout) is written straight, and left open.
 * - Values are converted as {@linkcode ParquetColumnType} says: `null`, `undefined`, a missing key, and `""` in a
 *   column that is not a string are null. A value the type cannot hold fails the stream with a UsageError naming the
 *   column, the value and the row, unless `onInvalidValue` is given.
 * - A path that cannot be written fails the stream at once, before the source is subscribed, with a UsageError
 *   "Cannot write <path>: <reason>"; so does a failing write later on.
 *
 * DuckDB (`SELECT * FROM 'file.parquet'`) and Arrow's Rust reader (arrow-rs) read the file as it is.
 *
 * @example
 * ```ts
 * import { from, lastValueFrom } from "rxjs";
 * import { writeParquet } from "./parquet.ts";
 * await lastValueFrom(
 *   from([{ url: "https://book.douban.com/subject/1/", title: "活着", rating: "9.4", fetched_at: new Date() }]).pipe(
 *     writeParquet("data/out/books.parquet", {
 *       schema: { url: "string", title: "string", rating: "double", fetched_at: "timestamp" },
 *     }),
 *   ),
 * );
 * ```
 */
export function writeParquet<T extends object>(target: SinkTarget, options: WriteParquetOptions): MonoTypeOperatorFunction<T> {
  const columns = checkSchema(options.schema);
  const rowGroupSize = options.rowGroupSize ?? ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new UsageError(`Expected rowGroupSize to be a positive integer, got ${rowGroupSize}`);
  }
  const onInvalidValue = options.onInvalidValue;
  const path = typeof target === "string" ? target : undefined;
  return (source) =>
    new Observable<T>((subscriber) => {
      let file: ParquetFile;
      try {
        file = new ParquetFile(openParquetOutput(target), columns);
      } catch (error) {
        subscriber.error(writeError(path, error));
        return;
      }
      let group = newGroup(columns.length);
      let rows = 0;
      let ending = false; // the last row group and the footer are on their way
      let failed = false;

      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        void file.abort();
        subscriber.error(error);
      };
      const writeGroup = (): void => {
        const full = group;
        group = newGroup(columns.length);
        file.writeRowGroup(full).catch((error: unknown) => fail(writeError(path, error)));
      };
      const end = (then: () => void): void => {
        if (ending || failed) return;
        ending = true;
        if ((group[0]?.length ?? 0) > 0) writeGroup();
        file.close().then(then, (error: unknown) => fail(writeError(path, error)));
      };

      const subscription = source.subscribe({
        next: (row) => {
          if (ending || failed) return;
          rows++;
          let values: ParquetValue[];
          try {
            values = columns.map(([name, type]) => {
              const raw = (row as Record<string, unknown>)[name];
              const value = toParquetValue(type, raw);
              if (value !== INVALID) return value;
              const invalid = { column: name, type, value: raw, row: rows };
              if (onInvalidValue === undefined) throw invalidValueError(invalid);
              onInvalidValue(invalid);
              return null;
            });
          } catch (error) {
            return fail(error); // an onInvalidValue that throws becomes an error notification, not a crash
          }
          for (const [i, value] of values.entries()) group[i]!.push(value);
          if (group[0]!.length >= rowGroupSize) writeGroup();
          subscriber.next(row);
        },
        // The rows so far make a valid file, then the source's own error is passed on.
        error: (error: unknown) => end(() => subscriber.error(error)),
        complete: () => end(() => subscriber.complete()),
      });
      // On unsubscribe (a stop, a signal) the rows so far are still written and the file completed; Node keeps the
      // process alive until that is done.
      return () => {
        subscription.unsubscribe();
        end(() => {});
      };
    });
}

/**
 * The Parquet schema of the generic crawler's rows ({@linkcode pageColumns}, in its order): `status` and `depth`
 * are int32, `fetched_at` a timestamp, every other column (the extracted fields included) a string.
 *
 * @example
 * ```ts
 * import { lastValueFrom, map } from "rxjs";
 * import { crawl } from "../crawl.ts";
 * import { pageRow } from "./page_row.ts";
 * import { pageParquetSchema, writeParquet } from "./parquet.ts";
 * pageParquetSchema(["price"]);
 * // { url: "string", final_url: "string", status: "int32", content_type: "string", depth: "int32",
 * //   title: "string", price: "string", error: "string", fetched_at: "timestamp" }
 * await lastValueFrom(
 *   crawl({ start: "https://example.com/", extract: { price: ".price" } }).pipe(
 *     map((page) => pageRow(page, ["price"])),
 *     writeParquet("data/out/pages.parquet", { schema: pageParquetSchema(["price"]) }),
 *   ),
 * );
 * ```
 */
export function pageParquetSchema(fields: readonly string[] = [], options: PageRowOptions = {}): ParquetSchema {
  return Object.fromEntries(pageColumns(fields, options).map((name) => [name, PAGE_TYPES[name] ?? "string"]));
}

/**
 * The types of the generic crawler's columns that are not text, for `writeRows`' `types`: `status` and `depth` are
 * integers, `rendered` a boolean, `fetched_at` a timestamp.
 */
export const PAGE_TYPES: Readonly<Record<string, ParquetColumnType>> = {
  status: "int32",
  depth: "int32",
  rendered: "boolean",
  fetched_at: "timestamp",
};

function checkSchema(schema: ParquetSchema | undefined): [string, ParquetColumnType][] {
  if (schema === null || typeof schema !== "object") {
    throw new UsageError(`Expected schema to map column names to types, got ${String(schema)}`);
  }
  const columns = Object.entries(schema);
  if (columns.length === 0) throw new UsageError("Expected schema to name at least one column, got none");
  for (const [name, type] of columns) {
    if (!PARQUET_COLUMN_TYPES.includes(type)) {
      throw new UsageError(
        `Expected the type of column ${JSON.stringify(name)} to be one of ${PARQUET_COLUMN_TYPES.join(", ")}, got ${JSON.stringify(type)}`,
      );
    }
  }
  return columns;
}

function newGroup(columns: number): ParquetValue[][] {
  return Array.from({ length: columns }, () => []);
}

function invalidValueError({ column, type, value, row }: InvalidParquetValue): UsageError {
  return new UsageError(`Expected column ${JSON.stringify(column)} to be ${type}, got ${preview(value)} (row ${row})`);
}

/** A value as a message shows it: strings quoted, long ones cut. */
function preview(value: unknown): string {
  const text = previewText(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function previewText(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : `Date ${value.toISOString()}`;
  try {
    return JSON.stringify(value) ?? String(value); // undefined for a function or a symbol
  } catch {
    return String(value); // a bigint or a cycle inside
  }
}

function writeError(path: string | undefined, error: unknown): UsageError {
  const reason = error instanceof Error ? error.message : String(error);
  return new UsageError(`Cannot write ${path ?? "the output stream"}: ${reason}`, { cause: error });
}
