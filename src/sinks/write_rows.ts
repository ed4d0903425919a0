import type { Writable } from "node:stream";
import type { MonoTypeOperatorFunction } from "rxjs";
import { UsageError } from "../errors.ts";
import { writeCsv } from "./csv.ts";
import { writeJsonl } from "./jsonl.ts";

/** Options of {@linkcode writeRows}. */
export interface WriteRowsOptions {
  /** The CSV columns, in order (JSONL writes each row's own keys). @default the keys of the first row */
  columns?: readonly string[];
  /** Add to the end of the file instead of replacing it (a CSV header only when the file is empty). @default false */
  append?: boolean;
}

/**
 * Writes rows in the format a path names: CSV for `.csv`, JSON Lines for `.jsonl` or `.ndjson`; JSON Lines to a stream
 * (stdout). Any other extension is a usage error, raised before anything is fetched.
 *
 * @example
 * ```ts
 * import { writeRows } from "./write_rows.ts";
 * writeRows("data/out/pages.csv", { columns: ["url", "title"] });
 * writeRows(process.stdout);
 * ```
 */
export function writeRows<T extends object>(target: string | Writable, options: WriteRowsOptions = {}): MonoTypeOperatorFunction<T> {
  const append = options.append ?? false;
  if (typeof target !== "string") return writeJsonl(target);
  checkOutputPath(target);
  if (isCsvPath(target)) return writeCsv(target, { ...(options.columns === undefined ? {} : { columns: options.columns }), append });
  return writeJsonl(target, { append });
}

/** Throws the usage error {@linkcode writeRows} would for a path it cannot write rows to. */
export function checkOutputPath(path: string): void {
  if (!/\.(csv|jsonl|ndjson)$/i.test(path)) {
    throw new UsageError(`Expected the output file to end in .csv or .jsonl, got ${JSON.stringify(path)}`);
  }
}

/** Whether {@linkcode writeRows} writes `path` as CSV (else JSON Lines). */
export function isCsvPath(path: string): boolean {
  return /\.csv$/i.test(path);
}
