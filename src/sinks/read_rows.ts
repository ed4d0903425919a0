import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { UsageError } from "../errors.ts";
import { isCsvPath, isParquetPath } from "./write_rows.ts";

/** Rows read from a Parquet file at a time: a row group's worth, so that memory stays flat on a long file. */
const PARQUET_BATCH = 10_000;

/**
 * The rows of an output file that {@linkcode writeRows} wrote (CSV, JSONL or Parquet), one object each, read as a
 * stream: a million-row file is never held whole. A CSV cell is a string (an empty one is `""`); JSONL and Parquet
 * keep their types. A file that cannot be read is a `UsageError` naming it.
 *
 * @example
 * ```ts
 * import { readRows } from "./read_rows.ts";
 * for await (const row of readRows("data/out/site.csv")) console.log(row.url);
 * ```
 */
export async function* readRows(path: string): AsyncGenerator<Record<string, unknown>> {
  try {
    if (isParquetPath(path)) {
      // Loaded here, not with the module: only a Parquet file needs it.
      const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import("hyparquet");
      const file = await asyncBufferFromFile(path);
      const metadata = await parquetMetadataAsync(file);
      const rows = Number(metadata.num_rows);
      for (let start = 0; start < rows; start += PARQUET_BATCH) {
        yield* await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: Math.min(rows, start + PARQUET_BATCH) });
      }
    } else if (isCsvPath(path)) {
      yield* createReadStream(path).pipe(parse({ columns: true, bom: true })) as AsyncIterable<Record<string, string>>;
    } else {
      for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
        if (line.trim() !== "") yield JSON.parse(line) as Record<string, unknown>;
      }
    }
  } catch (error) {
    throw new UsageError(`Cannot read the rows of ${path}: ${(error as Error).message}`, { cause: error });
  }
}
