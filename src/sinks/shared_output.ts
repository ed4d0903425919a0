import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { from, lastValueFrom, map, Observable, type OperatorFunction } from "rxjs";
import { UsageError } from "../errors.ts";
import type { PageRecord } from "../records.ts";
import { completeRows } from "./complete_rows.ts";
import { isGone, thisWorker, type WorkerInfo, workerOutput } from "./worker_process.ts";
import { writeRows } from "./write_rows.ts";

/**
 * What a shared output needs of a shared crawl state (`RedisCrawlState.records`): the records it committed for this
 * process, kept until written, and the crawl's workers, to complete the output of one that died.
 */
export interface SharedRecords {
  /** This process's worker id. */
  readonly worker: string;
  /** Stores what this worker tells the others about itself. */
  describe(about: Record<string, unknown>): Promise<void>;
  /** Forgets the records of these URLs: written. */
  acknowledge(urls: readonly string[]): Promise<void>;
  /** Every worker, with its status (`running`, `done`, `taking <worker>`) and what it told about itself. */
  workers(): Promise<{ worker: string; status: string; about: Record<string, unknown> }[]>;
  /** Takes over a dead worker whose status is still `status`; false when another took it first. */
  takeOver(worker: string, status: string): Promise<boolean>;
  /** The records a worker committed and did not acknowledge, as JSON. */
  unwritten(worker: string): Promise<string[]>;
  /** Forgets what a worker taken over left, its output complete. */
  completed(worker: string): Promise<void>;
}

/** Options of {@linkcode SharedOutput.open}. */
export interface SharedOutputOptions {
  /** The output's columns, in order; they must include `url`, by which rows are told apart. */
  columns: readonly string[];
}

/**
 * The most records acknowledged in one call, and how long an acknowledgement may wait to be sent. A record not
 * acknowledged yet costs only its room in Redis: should the process die, the one completing its file finds the row in
 * the file and does not write it again. A second's rows go in one call per shard.
 */
const ACK_BATCH = 256;
const ACK_MS = 1000;
/** How often a process looks for dead processes on its machine whose output it must complete. */
const COMPLETE_MS = 1000;
/** A worker that never told where it runs: never certainly gone. */
const NOWHERE: WorkerInfo = { host: "", pid: 0, started: 0, output: null };

/**
 * The output of one process of a shared crawl: its own CSV or JSONL file beside the crawl's (`books.csv` →
 * `books.w3.csv`), where it writes its pages' rows and tells the crawl which are written, so that the crawl forgets
 * their records. Together, the processes' files hold every page of the crawl exactly once, whatever process died
 * when: a process that dies leaves its records in the crawl, and another process of the same command on its machine
 * completes its file ({@linkcode completeDead}): it cuts a torn last row, reads which of those records the file
 * holds, by URL, and appends the others. A process taking over marks it in the crawl first, so no other takes it at
 * the same time; if it dies too, another takes over again, and what the first appended is found in the file.
 *
 * @example
 * ```ts
 * import { lastValueFrom } from "rxjs";
 * import { crawl, pageColumns, pageRow, RedisCrawlState, SharedOutput } from "rxcrawl";
 * const state = await RedisCrawlState.connect({ url: "redis://127.0.0.1:6379/0", crawlId: "books", keepRecords: true });
 * const output = await SharedOutput.open(state.records, "data/out/books.csv", { columns: pageColumns() });
 * await lastValueFrom(crawl({ start: "https://example.com/", state }).pipe(output.write((page) => pageRow(page))), { defaultValue: undefined });
 * await output.finish();
 * await state.disconnect();
 * ```
 */
export class SharedOutput {
  /** This process's file. */
  readonly path: string;
  readonly #records: SharedRecords;
  readonly #columns: readonly string[];
  #row: ((page: PageRecord) => object) | undefined;
  #completing: Promise<number> = Promise.resolve(0);

  private constructor(records: SharedRecords, path: string, columns: readonly string[]) {
    this.#records = records;
    this.path = path;
    this.#columns = columns;
  }

  /** Names this process's file from `template` and its worker id, and tells the crawl where it writes. */
  static async open(records: SharedRecords, template: string, options: SharedOutputOptions): Promise<SharedOutput> {
    if (!/\.(csv|jsonl|ndjson)$/i.test(template)) {
      throw new UsageError(
        `Expected the output of a shared crawl to end in .csv or .jsonl, got ${JSON.stringify(template)}: a process that dies must leave a file another can complete`,
      );
    }
    if (!options.columns.includes("url")) throw new UsageError("Expected the rows of a shared crawl to have a url column: rows are told apart by it");
    const path = workerOutput(template, records.worker);
    await records.describe({ ...thisWorker(resolve(path)) });
    return new SharedOutput(records, path, options.columns);
  }

  /**
   * Makes each page's row with `row` (the same function in every process of the crawl), writes it to this process's
   * file, and passes it on once the file has it, acknowledging it to the crawl in batches. Meanwhile, once a second,
   * completes the files of dead processes of this machine.
   */
  write<T extends object>(row: (page: PageRecord) => T): OperatorFunction<PageRecord, T> {
    this.#row = row;
    return (source) =>
      new Observable<T>((subscriber) => {
        const written: string[] = []; // the URLs of the rows handed to the file, in order
        let pending: string[] = [];
        let timer: NodeJS.Timeout | undefined;
        let sending = Promise.resolve();
        const send = () => {
          clearTimeout(timer);
          timer = undefined;
          const urls = pending;
          pending = [];
          if (urls.length > 0) sending = sending.then(() => this.#records.acknowledge(urls));
          return sending;
        };
        const fail = (error: unknown) => subscriber.error(error);
        const sweep = setInterval(() => void this.completeDead().catch(fail), COMPLETE_MS);
        const subscription = source
          .pipe(
            map((page) => {
              written.push(page.url);
              return row(page);
            }),
            writeRows<T>(this.path, { columns: this.#columns }),
          )
          .subscribe({
            next: (value) => {
              pending.push(written.shift()!);
              if (pending.length >= ACK_BATCH) void send().catch(fail);
              else timer ??= setTimeout(() => void send().catch(fail), ACK_MS);
              subscriber.next(value);
            },
            error: fail,
            complete: () => send().then(() => subscriber.complete(), fail),
          });
        return () => {
          subscription.unsubscribe();
          clearInterval(sweep);
          clearTimeout(timer);
        };
      });
  }

  /**
   * Completes the files of the processes of this machine that died: each is taken over once, by one process.
   * Resolves with the rows appended. Runs one at a time.
   */
  completeDead(): Promise<number> {
    this.#completing = this.#completing.then(() => this.#completeDead());
    return this.#completing;
  }

  /** Completes what dead processes left, one last time; call it once the crawl is over, before leaving it. */
  finish(): Promise<number> {
    return this.completeDead();
  }

  async #completeDead(): Promise<number> {
    const row = this.#row;
    if (row === undefined) return 0;
    const workers = await this.#records.workers();
    const about = new Map(workers.map(({ worker, about }) => [worker, about as unknown as WorkerInfo]));
    let appended = 0;
    for (const { worker, status, about: info } of workers) {
      if (worker === this.#records.worker || !isGone(info as unknown as WorkerInfo)) continue;
      // A worker another process was completing, when that one died too.
      const taker = status.startsWith("taking ") ? status.slice("taking ".length) : undefined;
      if (status !== "running" && (taker === undefined || (taker !== this.#records.worker && !isGone(about.get(taker) ?? NOWHERE)))) continue;
      if (!(await this.#records.takeOver(worker, status))) continue;
      appended += await this.#complete(worker, (info as unknown as WorkerInfo).output, row);
      await this.#records.completed(worker);
    }
    return appended;
  }

  /** Appends to `path` the rows of the records `worker` left that the file lacks. Resolves with their number. */
  async #complete(worker: string, path: string | null, row: (page: PageRecord) => object): Promise<number> {
    const records = (await this.#records.unwritten(worker)).map((json) => ({ ...(JSON.parse(json) as Omit<PageRecord, "links">), links: [] }));
    if (path === null || records.length === 0) return 0;
    // The rows not acknowledged are among the file's last ones: at most those records, and a batch acknowledged in part.
    const window = records.length + ACK_BATCH;
    const last: string[] = [];
    if (existsSync(path)) {
      await completeRows(path, (written) => {
        last.push(String(written.url));
        if (last.length > 2 * window) last.splice(0, last.length - window);
      });
    }
    const inFile = new Set(last.slice(-window));
    const missing = records.filter((record) => !inFile.has(record.url));
    if (missing.length > 0) {
      await lastValueFrom(from(missing.map(row)).pipe(writeRows(path, { columns: this.#columns, append: true })), { defaultValue: undefined });
    }
    return missing.length;
  }
}
