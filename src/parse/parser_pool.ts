import { Worker } from "node:worker_threads";
import { CrawlError } from "../errors.ts";
import { isPortable, type Portable } from "./extractor.ts";
import type { PageSpec } from "./parse_page.ts";
import type { FetchedPage, PageRecord } from "../records.ts";
import { UsageError } from "../errors.ts";
import { parserWorkerBundle } from "./worker_bundle.ts";

/** Whether this is the compiled package (JavaScript beside this file) rather than the TypeScript sources. */
const COMPILED = import.meta.url.endsWith(".js");
const TS_WORKER = new URL("./ts_worker.mjs", import.meta.url);
const PARSE_WORKER = new URL(COMPILED ? "./parse_worker.js" : "./parse_worker.ts", import.meta.url);
/**
 * A parser's old generation. V8 lets a busy worker's heap grow to several times what it holds (to about 240 MB on 8 KB
 * pages, where 40 MB is enough); a cap makes it collect instead. A page whose document needs more (a few MB of dense
 * markup) is parsed again on a worker of its own without the cap.
 */
const OLD_GENERATION_MB = 128;

/** A {@linkcode PageSpec} in the form that crosses to a worker thread: selectors, or the module of a function. */
export interface WorkerSpec {
  follow: string | false | { portable: Portable };
  extract: { fields: Record<string, string> } | { portable: Portable } | undefined;
}

interface Job {
  id: number;
  resolve: (record: PageRecord) => void;
  reject: (error: UsageError) => void;
  page: FetchedPage;
  worker: Worker | undefined;
}

/** What a worker sends: `ready` once it has loaded the spec, then one record per page. */
type WorkerMessage = { ready: true } | { id: number; record: PageRecord };

/**
 * Parses pages on worker threads, so the thread that fetches never waits for the parser. Jobs go to the worker with
 * the fewest in hand. A worker parses its jobs in the order it gets them, so when one dies, the oldest of its jobs is
 * the page that killed it: that page becomes an `EPARSE` error record, or, when the worker ran out of memory, is parsed
 * again on a worker of its own with no old-generation cap; the worker's other jobs go to the others, and a new worker
 * takes its place. A worker that dies before it has loaded the spec's functions is not replaced: the spec is wrong (a
 * `defineExtractor()` module or export name that does not exist), so every worker would die the same way, and the
 * pool fails its pages with a `UsageError` instead of restarting threads forever. Workers run plain JavaScript: the
 * compiled parse_worker.js in the package, the parser bundled by esbuild from the sources (./worker_bundle.ts); either
 * starts several times faster than parse_worker.ts loaded through tsx, and without tsx's loader thread. Functions made
 * with `defineExtractor()` in TypeScript modules, and a source tree where the bundle cannot be made, use tsx.
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
  readonly #ready = new WeakSet<Worker>();
  /** Workers parsing one page each without the old-generation cap. */
  readonly #alone = new Set<Worker>();
  readonly #started: Promise<void>;
  #script: URL | undefined;
  #nextId = 0;
  #closed = false;
  #broken: UsageError | undefined;

  readonly #oldGenerationMb: number;

  /** `oldGenerationMb` caps each worker's old generation (default 128): the size past which a page is parsed alone. */
  constructor(workers: number, spec: PageSpec, { oldGenerationMb = OLD_GENERATION_MB }: { oldGenerationMb?: number } = {}) {
    this.#spec = toWorkerSpec(spec);
    this.#oldGenerationMb = oldGenerationMb;
    this.#started = this.#start(workers);
  }

  /**
   * Parses one page on the least busy worker. Failures become error records; it rejects only, with a `UsageError`, when
   * the workers cannot load the spec's functions.
   */
  parse(page: FetchedPage): Promise<PageRecord> {
    if (this.#script === undefined) return this.#started.then(() => this.parse(page));
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    if (this.#closed) return Promise.reject(new Error("The parser pool is closed"));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#nextId++, resolve, reject, page, worker: undefined };
      this.#jobs.set(job.id, job);
      this.#dispatch(job);
    });
  }

  /** Stops every worker; pages still being parsed become error records. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#started;
    await Promise.all([...this.#workers, ...this.#alone].map((worker) => worker.terminate()));
  }

  /**
   * Starts the workers. In the package, on the compiled parse_worker.js itself, plain JavaScript; from the sources, on
   * the bundled parser (./worker_bundle.ts) when it can be made. A spec whose functions live in TypeScript modules
   * (always assumed from the sources) needs tsx in the worker, through ./ts_worker.mjs; so does a machine where the
   * bundle cannot be made.
   */
  async #start(workers: number): Promise<void> {
    const { follow, extract } = this.#spec;
    const modules = [follow, extract].flatMap((part) =>
      typeof part === "object" && part !== null && "portable" in part ? [part.portable.module] : [],
    );
    const typescript = modules.some((module) => !/\.[cm]?js$/.test(module));
    if (COMPILED) this.#script = typescript ? TS_WORKER : PARSE_WORKER;
    else this.#script = (modules.length > 0 ? undefined : await parserWorkerBundle()) ?? TS_WORKER;
    if (this.#closed) return;
    for (let i = 0; i < workers; i++) this.#spawn();
  }

  #dispatch(job: Job): void {
    let worker = this.#workers[0]!;
    for (const candidate of this.#workers) {
      if (this.#load.get(candidate)! < this.#load.get(worker)!) worker = candidate;
    }
    job.worker = worker;
    this.#load.set(worker, this.#load.get(worker)! + 1);
    if (this.#load.get(worker) === 1) worker.ref();
    // Copied, not moved: should the worker die, the page is still here to be parsed elsewhere.
    worker.postMessage({ id: job.id, page: job.page });
  }

  #newWorker(oldGenerationMb: number | undefined): Worker {
    return new Worker(this.#script!, {
      workerData: { entry: PARSE_WORKER.href, spec: this.#spec },
      ...(oldGenerationMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: oldGenerationMb } }),
    });
  }

  #spawn(): void {
    const worker = this.#newWorker(this.#oldGenerationMb);
    this.#workers.push(worker);
    this.#load.set(worker, 0);
    worker.unref(); // an idle pool must not keep the process alive
    worker.on("message", (message: WorkerMessage) => {
      if ("ready" in message) {
        this.#ready.add(worker);
        return;
      }
      const { id, record } = message;
      const job = this.#jobs.get(id);
      if (job?.worker !== worker) return; // a page this worker had when it died, since given to another
      this.#jobs.delete(id);
      const load = this.#load.get(worker)! - 1;
      this.#load.set(worker, load);
      if (load === 0) worker.unref();
      job.resolve(record);
    });
    worker.on("error", (error: unknown) => this.#fail(worker, asError(error)));
    worker.on("exit", (code) => this.#fail(worker, new Error(`Parser worker exited with code ${code}`)));
  }

  #fail(worker: Worker, cause: Error): void {
    const index = this.#workers.indexOf(worker);
    if (index === -1) return;
    this.#workers.splice(index, 1);
    this.#load.delete(worker);
    if (!this.#ready.has(worker) && !this.#closed) {
      this.#broken ??= new UsageError(`Parser workers cannot load the extract or follow function: ${cause.message}`, {
        cause,
      });
    }
    const jobs = [...this.#jobs.values()].filter((job) => job.worker === worker); // oldest first
    if (this.#broken !== undefined) {
      for (const job of jobs) {
        this.#jobs.delete(job.id);
        job.reject(this.#broken);
      }
      return;
    }
    if (this.#closed) {
      for (const job of jobs) this.#failed(job, cause);
      return;
    }
    this.#spawn();
    const [culprit, ...others] = jobs;
    for (const job of others) this.#dispatch(job);
    if (culprit === undefined) return;
    if ((cause as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") this.#parseAlone(culprit);
    else this.#failed(culprit, cause);
  }

  /** Parses one page on a worker of its own, without the old-generation cap, and stops that worker. */
  #parseAlone(job: Job): void {
    const worker = this.#newWorker(undefined);
    this.#alone.add(worker);
    job.worker = worker;
    const settle = (record: PageRecord | Error) => {
      if (!this.#alone.delete(worker)) return;
      void worker.terminate();
      if (record instanceof Error) this.#failed(job, record);
      else {
        this.#jobs.delete(job.id);
        job.resolve(record);
      }
    };
    worker.on("message", (message: WorkerMessage) => {
      if ("ready" in message) worker.postMessage({ id: job.id, page: job.page });
      else settle(message.record);
    });
    worker.on("error", (error: unknown) => settle(asError(error)));
    worker.on("exit", (code) => settle(new Error(`Parser worker exited with code ${code}`)));
  }

  /** Ends a job with an `EPARSE` error record. */
  #failed(job: Job, cause: Error): void {
    this.#jobs.delete(job.id);
    const { body: _body, ...meta } = job.page;
    const error = new CrawlError("EPARSE", `Parser worker failed: ${cause.message}`, { url: meta.url, cause });
    const bytes = job.page.body.byteLength;
    job.resolve({ ...meta, bytes, error: error.message, errorCode: error.code, title: "", fields: {}, links: [], charset: "" });
  }
}

/** A worker's `error` event carries what its code threw: an Error as a rule, though JavaScript can throw anything. */
function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/**
 * The form of `spec` that crosses to a worker thread. Throws a {@linkcode UsageError} for a plain function, which
 * cannot be sent to another thread; {@linkcode parseHtml} calls it up front so that the mistake surfaces before any
 * request is made, not when the stream is subscribed.
 *
 * @example
 * ```ts
 * import { toWorkerSpec } from "./parser_pool.ts";
 * toWorkerSpec({ follow: "a[href]" }); // { follow: "a[href]", extract: undefined }
 * ```
 */
export function toWorkerSpec(spec: PageSpec): WorkerSpec {
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
