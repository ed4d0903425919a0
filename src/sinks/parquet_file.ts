// A Parquet file being written with hyparquet-writer: the magic bytes, one row group per call, then the footer.
import { createRequire } from "node:module";
import type { ByteWriter, ParquetWriter } from "hyparquet-writer";
import { mendEmptyRowGroups } from "./parquet_footer.ts";
import type { ParquetOutput } from "./parquet_output.ts";
import { type ParquetColumnType, parquetSchemaElement, type ParquetValue } from "./parquet_types.ts";

/**
 * Encodes row groups and writes them to an output, in the order they are given. A row group is encoded at once, in
 * the call, so that memory holds compressed bytes rather than rows while the output is busy, even when a source
 * emits a million rows in one go; its bytes are then queued behind those before, and the promise settles once they
 * are out. After a failure every later call rejects with the same error. Snappy compression, dictionary encoding
 * where it pays, min/max statistics per column.
 *
 * @example
 * ```ts
 * import { openParquetOutput } from "./parquet_output.ts";
 * import { ParquetFile } from "./parquet_file.ts";
 * const file = new ParquetFile(openParquetOutput("data/out/t.parquet"), [["url", "string"], ["status", "int32"]]);
 * void file.writeRowGroup([["https://example.com/", null], [200, 404]]);
 * await file.close();
 * ```
 */
export class ParquetFile {
  readonly #output: ParquetOutput;
  readonly #names: string[];
  readonly #bytes: ByteWriter;
  readonly #writer: ParquetWriter;
  #queue: Promise<void> = Promise.resolve();

  constructor(output: ParquetOutput, columns: readonly (readonly [string, ParquetColumnType])[]) {
    this.#output = output;
    this.#names = columns.map(([name]) => name);
    const schema = [{ name: "root", num_children: columns.length }, ...columns.map(([name, type]) => parquetSchemaElement(name, type))];
    const { ByteWriter, ParquetWriter } = hyparquetWriter();
    this.#bytes = new ByteWriter();
    this.#writer = new ParquetWriter({ writer: this.#bytes, schema, createdBy: "rxcrawl" });
  }

  /** Writes one row group: `columns[i]` holds the values of column `i`, all of the same length, at least 1. */
  writeRowGroup(columns: ParquetValue[][]): Promise<void> {
    return this.#encode(() => {
      const columnData = this.#names.map((name, i) => ({ name, data: columns[i] ?? [] }));
      // With a ByteWriter, which has no flush(), hyparquet-writer encodes synchronously and returns nothing.
      void this.#writer.write({ columnData, rowGroupSize: columnData[0]?.data.length ?? 0 });
    });
  }

  /** Writes the footer after the row groups so far and closes the output: the file is complete. */
  close(): Promise<void> {
    const empty = this.#writer.row_groups.length === 0;
    const footer = this.#encode(() => void this.#writer.finish(), empty ? mendEmptyRowGroups : undefined);
    this.#queue = footer.then(() => this.#output.close());
    return this.#queue;
  }

  /** Stops writing and drops what was written (a file's `.partial`); waits for the write under way. Never rejects. */
  abort(): Promise<void> {
    const aborted = this.#queue.catch(() => {}).then(() => this.#output.abort());
    this.#queue = aborted.then(() => Promise.reject(new Error("The Parquet file was aborted")));
    this.#queue.catch(() => {});
    return aborted;
  }

  /**
   * Runs `encode` now, then queues the bytes it added (a copy: the ByteWriter's buffer is reused at once), after
   * `mend` if given.
   */
  #encode(encode: () => void, mend?: (bytes: Uint8Array) => void): Promise<void> {
    let bytes: Uint8Array;
    try {
      encode();
      bytes = this.#bytes.getBytes().slice();
      mend?.(bytes);
    } catch (error) {
      this.#queue = this.#queue.then(() => Promise.reject(error));
      return this.#queue;
    } finally {
      this.#bytes.index = 0;
    }
    this.#queue = this.#queue.then(() => this.#output.write(bytes));
    return this.#queue;
  }
}

const require = createRequire(import.meta.url);
let loaded: typeof import("hyparquet-writer") | undefined;

/** hyparquet-writer, loaded when the first Parquet file is opened: a crawl that writes none does not pay for it. */
function hyparquetWriter(): typeof import("hyparquet-writer") {
  loaded ??= require("hyparquet-writer") as typeof import("hyparquet-writer");
  return loaded;
}
