import type { Writable } from "node:stream";
import type { MonoTypeOperatorFunction } from "rxjs";
import { UsageError } from "../errors.ts";
import { writeCsv } from "./csv.ts";
import { writeJsonl } from "./jsonl.ts";

/** Options of {@linkcode writeRows}. */
export interface WriteRowsOptions {
  /** The CSV columns, in order (JSONL writes each row's own keys). @default the keys of the first row */
  columns?: readonly string[];
}

/**
 * Writes rows in the format a path names: CSV for `.csv`, JSON Lines for `.jsonl` or `.ndjson`; JSON Lines to a stream
 * (stdout). Any other extension is a usage error, raised before anything is fetched.
 *
 * @example
 * ```ts
 * import { writeRows } from "./rows.ts";
 * writeRows("data/out/pages.csv", { columns: ["url", "title"] });
 * writeRows(process.stdout);
 * ```
 */
export function writeRows<T extends object>(target: string | Writable, options: WriteRowsOptions = {}): MonoTypeOperatorFunction<T> {
  if (typeof target !== "string") return writeJsonl(target);
  if (/\.csv$/i.test(target)) return writeCsv(target, options.columns === undefined ? {} : { columns: options.columns });
  if (/\.(jsonl|ndjson)$/i.test(target)) return writeJsonl(target);
  throw new UsageError(`Expected the output file to end in .csv or .jsonl, got ${JSON.stringify(target)}`);
}
