import { Worker } from "node:worker_threads";
import { CrawlError } from "./errors.ts";
import { isPortable, type Portable } from "./extractor.ts";
import type { PageSpec } from "./parse_page.ts";
import type { FetchedPage, PageRecord } from "./records.ts";
import { UsageError } from "./errors.ts";
import { parserWorkerBundle } from "./worker_bundle.ts";

const TS_WORKER = new URL("./ts_worker.mjs", import.meta.url);
const PARSE_WORKER = new URL("./parse_worker.ts", import.meta.url).href;
/**
 * A parser's young generation. A parsed page is garbage as soon as its record is out, so a small one loses no speed,
 * and V8's default (48 MB) let one worker's resident memory grow by about 40 MB more on 40 KB pages.
 */
const YOUNG_GENERATION_MB = 6;

/** A {@linkcode PageSpec} in the form that crosses to a worker thread: selectors, or the module of a function. */
export interface WorkerSpec {
  follow: string | false | { portable: Portable };
  extract: { fields: Record<string, string> } | { portable: Portable } | undefined;
}

interface Job {
  resolve: (record: PageRecord) => void;
  reject: (error: UsageError) => void;
  page: FetchedPage;
  worker: Worker;
}

/** What a worker sends: `ready` once it has loaded the spec, then one record per page. */
type WorkerMessage = { ready: true } | { id: number; record: PageRecord };

/**
 * Parses pages on worker threads, so the thread that fetches never waits for the parser. Jobs go to the worker with
 * the fewest in hand; bodies are handed over without a copy when they own their memory. A worker that dies turns its
 * pages into `EPARSE` error records and is replaced. A worker that dies before it has loaded the spec's functions is
 * not: the spec is wrong (a `defineExtractor()` module or export name that does not exist), so every worker would die
 * the same way, and the pool fails its pages with a `UsageError` instead of restarting threads forever. Workers run
 * the parser bundled as plain JavaScript (./worker_bundle.ts), which starts several times faster than parse_worker.ts
 * loaded through tsx and without tsx's loader thread; a spec with `defineExtractor()` functions, whose modules may be TypeScript, and
 * a machine where the bundle cannot be made use tsx.
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
  readonly #started: Promise<void>;
  #script: URL | undefined;
  #nextId = 0;
  #closed = false;
  #broken: UsageError | undefined;

  constructor(workers: number, spec: PageSpec) {
    this.#spec = toWorkerSpec(spec);
    this.#started = this.#start(workers);
  }

  /**
   * Parses one page on the least busy worker. Failures become error records; it rejects only, with a `UsageError`, when
   * the workers cannot load the spec's functions.
   */
  parse(page: FetchedPage): Promise<PageRecord> {
    if (this.#script === undefined) return this.#started.then(() => this.parse(page));
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    let worker = this.#workers[0]!;
    for (const candidate of this.#workers) {
      if (this.#load.get(candidate)! < this.#load.get(worker)!) worker = candidate;
    }
    const id = this.#nextId++;
    this.#load.set(worker, this.#load.get(worker)! + 1);
    if (this.#load.get(worker) === 1) worker.ref();
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, page, worker });
      const body = page.body;
      // A Buffer cut from Node's shared pool must be copied; one that owns its memory can be moved.
      const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.byteLength > 0;
      worker.postMessage({ id, page }, owns ? [body.buffer as ArrayBuffer] : []);
    });
  }

  /** Stops every worker; pages still being parsed become error records. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#started;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  /**
   * Starts the workers on the bundled parser (./worker_bundle.ts) when it can be made, else on parse_worker.ts through
   * tsx, which a spec with functions needs anyway: their modules may be TypeScript.
   */
  async #start(workers: number): Promise<void> {
    const { follow, extract } = this.#spec;
    const portable = typeof follow === "object" || (extract !== undefined && "portable" in extract);
    this.#script = (portable ? undefined : await parserWorkerBundle()) ?? TS_WORKER;
    if (this.#closed) return;
    for (let i = 0; i < workers; i++) this.#spawn();
  }

  #spawn(): void {
    const worker = new Worker(this.#script!, {
      workerData: { entry: PARSE_WORKER, spec: this.#spec },
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
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
    if (!this.#ready.has(worker) && !this.#closed) {
      this.#broken ??= new UsageError(`Parser workers cannot load the extract or follow function: ${cause.message}`, {
        cause,
      });
    }
    for (const [id, job] of this.#jobs) {
      if (job.worker !== worker) continue;
      this.#jobs.delete(id);
      if (this.#broken !== undefined) {
        job.reject(this.#broken);
        continue;
      }
      const { body: _body, ...meta } = job.page;
      const error = new CrawlError("EPARSE", `Parser worker failed: ${cause.message}`, { url: meta.url, cause });
      job.resolve({ ...meta, error: error.message, errorCode: error.code, title: "", fields: {}, links: [], charset: "" });
    }
    if (!this.#closed && this.#broken === undefined) this.#spawn();
  }
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
