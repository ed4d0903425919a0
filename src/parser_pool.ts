import { Worker } from "node:worker_threads";
import { CrawlError } from "./errors.ts";
import { isPortable, type Portable } from "./extractor.ts";
import type { PageSpec } from "./parse_page.ts";
import type { FetchedPage, PageRecord } from "./records.ts";
import { UsageError } from "./errors.ts";

/** A {@linkcode PageSpec} in the form that crosses to a worker thread: selectors, or the module of a function. */
export interface WorkerSpec {
  follow: string | false | { portable: Portable };
  extract: { fields: Record<string, string> } | { portable: Portable } | undefined;
}

interface Job {
  resolve: (record: PageRecord) => void;
  page: FetchedPage;
  worker: Worker;
}

/**
 * Parses pages on worker threads, so the thread that fetches never waits for the parser. Jobs go to the worker with
 * the fewest in hand; bodies are handed over without a copy when they own their memory. A worker that dies turns its
 * pages into `EPARSE` error records and is replaced.
 *
 * @example
 * ```ts
 * import { ParserPool } from "./parser_pool.ts";
 * const pool = new ParserPool(2, { follow: "a[href]" });
 * const record = await pool.parse(fetchedPage);
 * await pool.close();
 * ```
 */
export class ParserPool {
  readonly #spec: WorkerSpec;
  readonly #workers: Worker[] = [];
  readonly #load = new Map<Worker, number>();
  readonly #jobs = new Map<number, Job>();
  #nextId = 0;
  #closed = false;

  constructor(workers: number, spec: PageSpec) {
    this.#spec = toWorkerSpec(spec);
    for (let i = 0; i < workers; i++) this.#spawn();
  }

  /** Parses one page on the least busy worker. Never rejects: failures become error records. */
  parse(page: FetchedPage): Promise<PageRecord> {
    let worker = this.#workers[0]!;
    for (const candidate of this.#workers) {
      if (this.#load.get(candidate)! < this.#load.get(worker)!) worker = candidate;
    }
    const id = this.#nextId++;
    this.#load.set(worker, this.#load.get(worker)! + 1);
    if (this.#load.get(worker) === 1) worker.ref();
    return new Promise((resolve) => {
      this.#jobs.set(id, { resolve, page, worker });
      const body = page.body;
      // A Buffer cut from Node's shared pool must be copied; one that owns its memory can be moved.
      const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.byteLength > 0;
      worker.postMessage({ id, page }, owns ? [body.buffer as ArrayBuffer] : []);
    });
  }

  /** Stops every worker; pages still being parsed become error records. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #spawn(): void {
    const entry = new URL("./parse_worker.ts", import.meta.url).href;
    const worker = new Worker(new URL("./ts_worker.mjs", import.meta.url), { workerData: { entry, spec: this.#spec } });
    this.#workers.push(worker);
    this.#load.set(worker, 0);
    worker.unref(); // an idle pool must not keep the process alive
    worker.on("message", ({ id, record }: { id: number; record: PageRecord }) => {
      const job = this.#jobs.get(id);
      if (job === undefined) return;
      this.#jobs.delete(id);
      const load = this.#load.get(worker)! - 1;
      this.#load.set(worker, load);
      if (load === 0) worker.unref();
      job.resolve(record);
    });
    worker.on("error", (error) => this.#fail(worker, error));
    worker.on("exit", (code) => this.#fail(worker, new Error(`Parser worker exited with code ${code}`)));
  }

  #fail(worker: Worker, cause: Error): void {
    const index = this.#workers.indexOf(worker);
    if (index === -1) return;
    this.#workers.splice(index, 1);
    this.#load.delete(worker);
    for (const [id, job] of this.#jobs) {
      if (job.worker !== worker) continue;
      this.#jobs.delete(id);
      const { body: _body, ...meta } = job.page;
      const error = new CrawlError("EPARSE", `Parser worker failed: ${cause.message}`, { url: meta.url, cause });
      job.resolve({ ...meta, error: error.message, errorCode: error.code, title: "", fields: {}, links: [], charset: "" });
    }
    if (!this.#closed) this.#spawn();
  }
}

function toWorkerSpec(spec: PageSpec): WorkerSpec {
  const portable = (value: unknown, what: string) => {
    if (isPortable(value)) return { portable: { module: value.module, exportName: value.exportName } };
    throw new UsageError(
      `Expected ${what} to be CSS or a function made with defineExtractor() to run in worker threads; use workers: 0 for a plain function`,
    );
  };
  const follow = spec.follow ?? "a[href]";
  const extract = spec.extract;
  return {
    follow: typeof follow === "function" ? portable(follow, "follow") : follow,
    extract:
      typeof extract === "function" ? portable(extract, "extract") : extract === undefined ? undefined : { fields: extract },
  };
}
