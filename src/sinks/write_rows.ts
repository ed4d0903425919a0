import { accessSync, constants, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Writable } from "node:stream";
import type { MonoTypeOperatorFunction } from "rxjs";
import { UsageError } from "../errors.ts";
import { writeCsv } from "./csv.ts";
import { writeJsonl } from "./jsonl.ts";
import { type ParquetColumnType, writeParquet } from "./parquet.ts";

/** Options of {@linkcode writeRows}. */
export interface WriteRowsOptions {
  /** The columns, in order (JSONL writes each row's own keys). @default the keys of the first row (not for Parquet) */
  columns?: readonly string[];
  /** The Parquet types of the columns that are not text (`{ status: "int32" }`); the others are strings. @default {} */
  types?: Readonly<Record<string, ParquetColumnType>>;
  /**
   * Add to the end of the file instead of replacing it (a CSV header only when the file is empty). A Parquet file,
   * written whole at the end, cannot be added to. @default false
   */
  append?: boolean;
}

/**
 * Writes rows in the format a path names: CSV for `.csv`, JSON Lines for `.jsonl` or `.ndjson`, Parquet for
 * `.parquet` (typed by `types`, see `writeParquet`); JSON Lines to a stream (stdout). Any other extension is a usage
 * error, raised before anything is fetched.
 *
 * @example
 * ```ts
 * import { writeRows } from "./write_rows.ts";
 * writeRows("data/out/pages.csv", { columns: ["url", "title"] });
 * writeRows("data/out/pages.parquet", { columns: ["url", "status"], types: { status: "int32" } });
 * writeRows(process.stdout);
 * ```
 */
export function writeRows<T extends object>(target: string | Writable, options: WriteRowsOptions = {}): MonoTypeOperatorFunction<T> {
  const append = options.append ?? false;
  if (typeof target !== "string") return writeJsonl(target);
  checkOutputPath(target);
  if (isParquetPath(target)) {
    if (append) throw new UsageError(`Cannot add rows to ${target}: a Parquet file is written whole, at the end of a crawl`);
    if (options.columns === undefined) throw new UsageError(`Expected the columns of ${target}: Parquet writes them typed`);
    const schema = Object.fromEntries(options.columns.map((name) => [name, options.types?.[name] ?? "string"]));
    return writeParquet(target, { schema });
  }
  if (isCsvPath(target)) return writeCsv(target, { ...(options.columns === undefined ? {} : { columns: options.columns }), append });
  return writeJsonl(target, { append });
}

/**
 * Throws the usage error {@linkcode writeRows} would for a path it cannot write rows to: an extension other than
 * `.csv`, `.jsonl`, `.ndjson` or `.parquet`, a file this process may not write, or a folder where it may not create
 * one. It creates nothing, so a caller can check before it writes anything beside the output (a journal).
 *
 * @example
 * ```ts
 * import { checkOutputPath } from "./write_rows.ts";
 * checkOutputPath("data/out/pages.csv"); // fine, even if data/out does not exist yet
 * checkOutputPath("/etc/passwd.csv"); // throws "Cannot write /etc/passwd.csv: permission denied in /etc" (not as root)
 * ```
 */
export function checkOutputPath(path: string): void {
  if (!/\.(csv|jsonl|ndjson|parquet)$/i.test(path)) {
    throw new UsageError(`Expected the output file to end in .csv, .jsonl or .parquet, got ${JSON.stringify(path)}`);
  }
  checkWritable(path);
}

/**
 * Throws a `UsageError` "Cannot write <path>: <why>" when this process may not write `path`: a file it may not write,
 * a folder in the way, or a folder where it may not create one. Creates nothing.
 *
 * @example
 * ```ts
 * import { checkWritable } from "./write_rows.ts";
 * checkWritable("data/out/site.stats.json");
 * ```
 */
export function checkWritable(path: string): void {
  const reason = unwritable(resolve(path));
  if (reason !== undefined) throw new UsageError(`Cannot write ${path}: ${reason}`);
}

/** Whether {@linkcode writeRows} writes `path` as Parquet. */
export function isParquetPath(path: string): boolean {
  return /\.parquet$/i.test(path);
}

/** Why `path` cannot be written, or `undefined`: the file itself when it exists, else the nearest folder that does. */
function unwritable(path: string): string | undefined {
  let existing = path;
  let stats = statOrNothing(existing);
  while (stats === undefined && dirname(existing) !== existing) {
    existing = dirname(existing);
    stats = statOrNothing(existing);
  }
  if (stats === undefined) return undefined; // nothing exists up to the root: let the write say why
  if (existing === path) {
    if (stats.isDirectory()) return "it is a folder";
    return writable(path, constants.W_OK) ? undefined : "permission denied (the file is read-only to this user)";
  }
  if (!stats.isDirectory()) return `${existing} is not a folder`;
  return writable(existing, constants.W_OK | constants.X_OK) ? undefined : `permission denied in ${existing}`;
}

/** The stats of `path`, or `undefined` when it is missing, or when a file or a closed folder stands in its way. */
function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** Whether {@linkcode writeRows} writes `path` as CSV (else JSON Lines). */
export function isCsvPath(path: string): boolean {
  return /\.csv$/i.test(path);
}
