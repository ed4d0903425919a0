// Where writeParquet()'s bytes go. A Parquet file is readable only once its footer is written, at the very end, so a
// file target is written as `<path>.partial` and renamed over `<path>` when complete: whatever stops the process, a
// file at `<path>` is a whole Parquet file, the new one or the one it had before.
import { close, closeSync, fsync, mkdirSync, openSync, write } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { promisify } from "node:util";
import type { SinkTarget } from "./sink.ts";

/** The bytes of one Parquet file on their way out, in order, one call at a time. */
export interface ParquetOutput {
  /** Writes `bytes`; resolves once they are written, after which the caller may reuse the memory. */
  write(bytes: Uint8Array): Promise<void>;
  /** After the last bytes: a file is synced to disk, closed and renamed to its path; a caller's stream stays open. */
  close(): Promise<void>;
  /** Gives up after a failure: a file's `.partial` is closed and removed. Never rejects. */
  abort(): Promise<void>;
}

/**
 * Opens the output of a Parquet file: `<path>.partial` for a path (its folders created, an old `.partial` replaced),
 * or a caller's stream such as stdout. Throws at once, before any row, for a path that cannot be written: under a
 * regular file, a folder, no permission.
 *
 * @example
 * ```ts
 * import { openParquetOutput } from "./parquet_output.ts";
 * const output = openParquetOutput("data/out/pages.parquet");
 * await output.write(new TextEncoder().encode("PAR1"));
 * await output.abort(); // data/out/pages.parquet.partial is gone; data/out/pages.parquet was never touched
 * ```
 */
export function openParquetOutput(target: SinkTarget): ParquetOutput {
  return typeof target === "string" ? openFile(target) : toStream(target);
}

const closeFd = promisify(close);
const fsyncFd = promisify(fsync);

function openFile(path: string): ParquetOutput {
  mkdirSync(dirname(path), { recursive: true });
  // The rename at the end replaces whatever is at `path`: find out now if that cannot work (a folder, say), rather
  // than after the whole crawl. "r+" neither creates nor truncates it.
  try {
    closeSync(openSync(path, "r+"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const partial = `${path}.partial`;
  const fd = openSync(partial, "w");
  let open = true;
  return {
    write: (bytes) => writeAll(fd, bytes),
    close: async () => {
      await fsyncFd(fd); // so that after a power cut the renamed file has its bytes, not a hole
      open = false;
      await closeFd(fd);
      await rename(partial, path);
    },
    abort: async () => {
      if (open) {
        open = false;
        await closeFd(fd).catch(() => {});
      }
      await rm(partial, { force: true }).catch(() => {});
    },
  };
}

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number): void =>
      write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
        if (error !== null) reject(error);
        else if (offset + written < bytes.length) from(offset + written);
        else resolve();
      });
    from(0);
  });
}

function toStream(stream: Writable): ParquetOutput {
  // Without a listener, an error event (a closed pipe) would end the process; the failed write reports it instead.
  const ignore = (): void => {};
  stream.on("error", ignore);
  return {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        // A copy: the stream may hold the chunk (a PassThrough's readable side) after it calls back.
        stream.write(Buffer.from(bytes), (error) => (error == null ? resolve() : reject(error)));
      }),
    close: async () => {
      stream.off("error", ignore);
    },
    abort: async () => {
      stream.off("error", ignore);
    },
  };
}
