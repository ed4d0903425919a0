import type { CrawlRequest } from "../records.ts";
import type { Segment, SpillFiles } from "./spill_files.ts";

/** The empty head or tail, shared: never pushed to. */
const NONE: CrawlRequest[] = [];

/**
 * One first-in-first-out line of a frontier (a host's requests of one depth) in three parts: the oldest requests in
 * memory (the head), then segments in the spill files, then the newest in memory again (the tail, a write buffer).
 * Once anything of it is on disk or buffered, new requests go to the tail, which is written out whole when it reaches
 * `chunk`; the head is read back a segment at a time when it runs empty. The frontier decides when memory is short
 * and calls {@linkcode spill}.
 *
 * @example
 * ```ts
 * import { RequestQueue } from "./request_queue.ts";
 * import { SpillFiles } from "./spill_files.ts";
 * const files = new SpillFiles();
 * const queue = new RequestQueue(files, 4096);
 * queue.push({ url: "https://example.com/", depth: 0 });
 * queue.shift(); // { url: "https://example.com/", depth: 0 }
 * files.close();
 * ```
 */
export class RequestQueue {
  readonly #files: SpillFiles;
  readonly #chunk: number;
  #head: CrawlRequest[] = NONE;
  /** The index of the head's first request: shifting an array is O(n). */
  #first = 0;
  // Made when first needed: a frontier over many hosts holds many lines that never spill.
  #segments: Segment[] | undefined;
  #tail: CrawlRequest[] = NONE;
  #size = 0;

  constructor(files: SpillFiles, chunk: number) {
    this.#files = files;
    this.#chunk = chunk;
  }

  /** Requests waiting. */
  get size(): number {
    return this.#size;
  }

  /** Requests waiting in memory. */
  get inMemory(): number {
    return this.#head.length - this.#first + this.#tail.length;
  }

  push(request: CrawlRequest): void {
    this.#size++;
    if (this.#segments === undefined && this.#tail.length === 0) {
      // A line of one request (most, on a crawl of many hosts) holds an array of one, not one grown for many.
      if (this.#head.length === 0) this.#head = [request];
      else this.#head.push(request);
      return;
    }
    if (this.#tail === NONE) this.#tail = [];
    this.#tail.push(request);
    if (this.#tail.length >= this.#chunk) this.#spillTail();
  }

  /** The oldest request, read back from disk when its turn has come; `undefined` when none waits. */
  shift(): CrawlRequest | undefined {
    if (this.#first === this.#head.length) {
      const segment = this.#segments?.shift();
      if (this.#segments?.length === 0) this.#segments = undefined;
      if (segment !== undefined) this.#head = this.#files.read(segment);
      else if (this.#tail.length > 0) [this.#head, this.#tail] = [this.#tail, NONE];
      else return undefined;
      this.#first = 0;
    }
    const request = this.#head[this.#first]!;
    this.#head[this.#first++] = undefined as unknown as CrawlRequest; // let it be collected
    if (this.#first === this.#head.length) {
      this.#head = NONE;
      this.#first = 0;
    }
    this.#size--;
    return request;
  }

  /**
   * Writes what it holds in memory to disk, up to about `wanted` requests: the tail first (the newest, needed last),
   * then the back of the head. Resolves with how many left memory.
   */
  spill(wanted: number): number {
    let moved = this.#spillTail();
    const chunk = this.#chunk;
    while (moved < wanted && this.#first < this.#head.length) {
      // The back of the head goes before the segments already on disk, a chunk at a time.
      const end = this.#head.length;
      const start = Math.max(this.#first, end - chunk);
      (this.#segments ??= []).unshift(this.#files.write(this.#head, start, end));
      this.#head.length = start;
      moved += end - start;
    }
    if (this.#first === this.#head.length) {
      this.#head = NONE;
      this.#first = 0;
    }
    return moved;
  }

  #spillTail(): number {
    const tail = this.#tail;
    let moved = 0;
    for (let start = 0; start < tail.length; start += this.#chunk) {
      const end = Math.min(tail.length, start + this.#chunk);
      (this.#segments ??= []).push(this.#files.write(tail, start, end));
      moved += end - start;
    }
    this.#tail = NONE;
    return moved;
  }
}
