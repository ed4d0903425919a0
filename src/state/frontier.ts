import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../defaults.ts";
import type { CrawlRequest } from "../records.ts";
import { positiveInteger } from "../validate.ts";
import { decodeRequest, encodeRequest } from "./request_line.ts";

/** Options of {@linkcode Frontier}. */
export interface FrontierOptions {
  /** Requests kept in memory; beyond that, new ones wait in a temporary file. @default 100000 */
  memoryLimit?: number;
  /** Where the temporary file goes. @default os.tmpdir() */
  dir?: string;
}

/** Requests per chunk, the unit kept in memory or written to disk in one go, unless the memory limit is smaller. */
const CHUNK = 4096;

/**
 * The crawl's queue of URLs to fetch, first in first out, with a bounded memory: past `memoryLimit` requests, whole
 * chunks of the newest go to a temporary file and come back, in order, when the requests before them have left. A
 * plain array would cost O(n) per `shift()` once large, and hold every URL of a million-page frontier in memory.
 *
 * @example
 * ```ts
 * import { Frontier } from "./frontier.ts";
 * const frontier = new Frontier({ memoryLimit: 10_000 });
 * frontier.push({ url: "https://example.com/", depth: 0 });
 * frontier.shift(); // { url: "https://example.com/", depth: 0 }
 * frontier.close();
 * ```
 */
export class Frontier {
  readonly #memoryLimit: number;
  readonly #chunkSize: number;
  readonly #dir: string;
  /** The oldest requests, in chunks; `#head` indexes the first chunk. */
  #chunks: CrawlRequest[][] = [];
  #head = 0;
  /** Chunks on disk, oldest first, each as its byte range in the file; all newer than `#chunks`, older than `#tail`. */
  #spilled: { offset: number; length: number }[] = [];
  #spilledFirst = 0;
  #tail: CrawlRequest[] = [];
  #inMemory = 0;
  #size = 0;
  #file: { path: string; fd: number; end: number } | undefined;

  constructor(options: FrontierOptions = {}) {
    this.#memoryLimit = positiveInteger("memoryLimit", options.memoryLimit ?? DEFAULTS.frontierMemory);
    this.#chunkSize = Math.min(CHUNK, this.#memoryLimit);
    this.#dir = options.dir ?? tmpdir();
  }

  /** Requests waiting. */
  get size(): number {
    return this.#size;
  }

  /** Requests waiting on disk. */
  get spilled(): number {
    return this.#size - this.#inMemory;
  }

  push(request: CrawlRequest): void {
    this.#tail.push(request);
    this.#size++;
    this.#inMemory++;
    if (this.#tail.length < this.#chunkSize) return;
    if (this.#spilledFirst < this.#spilled.length || this.#inMemory > this.#memoryLimit) this.#spill(this.#tail);
    else this.#chunks.push(this.#tail);
    this.#tail = [];
  }

  /** The oldest request, or `undefined` when none waits. */
  shift(): CrawlRequest | undefined {
    if (this.#size === 0) return undefined;
    let chunk = this.#chunks[0];
    if (chunk === undefined) {
      chunk = this.#spilledFirst < this.#spilled.length ? this.#unspill() : this.#tail;
      if (chunk === this.#tail) this.#tail = [];
      this.#chunks.push(chunk);
    }
    const request = chunk[this.#head]!;
    chunk[this.#head++] = undefined as unknown as CrawlRequest; // let it be collected
    if (this.#head === chunk.length) {
      this.#chunks.shift();
      this.#head = 0;
    }
    this.#size--;
    this.#inMemory--;
    return request;
  }

  /** Drops every waiting request and removes the temporary file. The frontier stays usable. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#tail = [];
    this.#spilled = [];
    this.#spilledFirst = 0;
    this.#size = 0;
    this.#inMemory = 0;
    this.close();
  }

  /** Removes the temporary file, if any. */
  close(): void {
    if (this.#file === undefined) return;
    closeSync(this.#file.fd);
    rmSync(join(this.#file.path, ".."), { recursive: true, force: true });
    this.#file = undefined;
  }

  #spill(chunk: CrawlRequest[]): void {
    if (this.#file === undefined) {
      const path = join(mkdtempSync(join(this.#dir, "rxcrawl-frontier-")), "frontier");
      this.#file = { path, fd: openSync(path, "w+"), end: 0 };
    }
    let text = "";
    for (const request of chunk) text += `${encodeRequest(request)}\n`;
    const bytes = Buffer.from(text);
    writeSync(this.#file.fd, bytes, 0, bytes.length, this.#file.end);
    this.#spilled.push({ offset: this.#file.end, length: bytes.length });
    this.#file.end += bytes.length;
    this.#inMemory -= chunk.length;
  }

  #unspill(): CrawlRequest[] {
    const { offset, length } = this.#spilled[this.#spilledFirst++]!;
    const bytes = Buffer.allocUnsafe(length);
    readSync(this.#file!.fd, bytes, 0, length, offset);
    const chunk: CrawlRequest[] = [];
    for (const line of bytes.toString().split("\n")) {
      const request = decodeRequest(line);
      if (request !== undefined) chunk.push(request);
    }
    this.#inMemory += chunk.length;
    if (this.#spilledFirst === this.#spilled.length) {
      // Everything on disk is back: start the file over rather than let it grow for the whole crawl.
      this.#spilled = [];
      this.#spilledFirst = 0;
      this.#file!.end = 0;
    }
    return chunk;
  }
}
