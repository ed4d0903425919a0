import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CrawlRequest } from "../records.ts";
import { decodeRequest, encodeRequest } from "./request_line.ts";

/** A run of requests written to a spill file, to be read back once. */
export interface Segment {
  readonly file: SpillFile;
  readonly offset: number;
  readonly length: number;
  /** Requests in it. */
  readonly count: number;
}

interface SpillFile {
  readonly path: string;
  readonly fd: number;
  /** Where the next segment goes. */
  end: number;
  /** Segments written and not read back yet. */
  live: number;
}

/** Options of {@linkcode SpillFiles}. */
export interface SpillFilesOptions {
  /** Where the temporary folder of the files goes. @default os.tmpdir() */
  dir?: string;
  /** The size past which a new file is started, so that a file whose segments have all been read can go. @default 64 MiB */
  rotateBytes?: number;
}

const ROTATE_BYTES = 64 * 1024 * 1024;

/**
 * The temporary files where a frontier's requests wait beyond its memory: segments of many queues share a file, which
 * grows until `rotateBytes`, then the next file starts. A file is deleted once every segment in it has been read back,
 * so a crawl that runs all night keeps on disk about what waits there, not everything that ever did.
 *
 * @example
 * ```ts
 * import { SpillFiles } from "./spill_files.ts";
 * const files = new SpillFiles();
 * const segment = files.write([{ url: "https://example.com/", depth: 0 }]);
 * files.read(segment); // [{ url: "https://example.com/", depth: 0 }]
 * files.close();
 * ```
 */
export class SpillFiles {
  readonly #parent: string;
  readonly #rotateBytes: number;
  #dir: string | undefined;
  #current: SpillFile | undefined;
  readonly #files = new Set<SpillFile>();
  #serial = 0;

  constructor(options: SpillFilesOptions = {}) {
    this.#parent = options.dir ?? tmpdir();
    this.#rotateBytes = options.rotateBytes ?? ROTATE_BYTES;
  }

  /** Files on disk now. */
  get files(): number {
    return this.#files.size;
  }

  /** Writes `requests[from, to)` as one segment. */
  write(requests: readonly CrawlRequest[], from = 0, to = requests.length): Segment {
    let text = "";
    for (let i = from; i < to; i++) text += `${encodeRequest(requests[i]!)}\n`;
    const bytes = Buffer.from(text);
    const file = this.#fileFor();
    writeSync(file.fd, bytes, 0, bytes.length, file.end);
    const segment: Segment = { file, offset: file.end, length: bytes.length, count: to - from };
    file.end += bytes.length;
    file.live++;
    return segment;
  }

  /** Reads a segment back, once: its place in the file is let go. */
  read(segment: Segment): CrawlRequest[] {
    const bytes = Buffer.allocUnsafe(segment.length);
    readSync(segment.file.fd, bytes, 0, segment.length, segment.offset);
    const requests: CrawlRequest[] = [];
    for (const line of bytes.toString().split("\n")) {
      const request = decodeRequest(line);
      if (request !== undefined) requests.push(request);
    }
    this.#release(segment.file);
    return requests;
  }

  /** Removes every file and the folder. The instance stays usable. */
  close(): void {
    for (const file of this.#files) closeSync(file.fd);
    this.#files.clear();
    this.#current = undefined;
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  #fileFor(): SpillFile {
    const current = this.#current;
    if (current !== undefined && current.end < this.#rotateBytes) return current;
    if (current !== undefined) {
      this.#current = undefined;
      if (current.live === 0) this.#delete(current);
    }
    this.#dir ??= mkdtempSync(join(this.#parent, "rxcrawl-frontier-"));
    const path = join(this.#dir, `spill-${++this.#serial}`);
    const file: SpillFile = { path, fd: openSync(path, "w+"), end: 0, live: 0 };
    this.#files.add(file);
    this.#current = file;
    return file;
  }

  #release(file: SpillFile): void {
    if (--file.live > 0) return;
    // The file being written starts over; another, all read, goes.
    if (file === this.#current) file.end = 0;
    else this.#delete(file);
  }

  #delete(file: SpillFile): void {
    closeSync(file.fd);
    unlinkSync(file.path);
    this.#files.delete(file);
  }
}
