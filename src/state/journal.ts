import { closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { UsageError } from "../errors.ts";
import type { CrawlRequest } from "../records.ts";
import { completeRows, lastNewline } from "../sinks/complete_rows.ts";
import type { CrawlDefinition } from "./crawl_definition.ts";
import { decodeRequest, encodeRequest } from "./request_line.ts";
import { SeenSet } from "./seen_set.ts";

/** What a crawl picks up from a journal: every URL it had seen, and those whose rows are not in the output yet. */
export interface JournalState {
  /** Every URL admitted or reached by a redirect before: never admitted again. */
  seen: SeenSet;
  /** URLs admitted so far, with or without a row. */
  admitted: number;
  /**
   * Admitted URLs without a row in the output, in the order they were admitted: those an interruption left unfinished,
   * and those `maxPages` left waiting. Fetched on resume, at their depth, as the resumed run's `maxPages` allows.
   */
  pending: CrawlRequest[];
  /** Rows kept in the output: requests the earlier runs started and finished, which a resumed `maxPages` counts. */
  rows: number;
  /** What defined the crawl that wrote the journal; `undefined` for a journal written before definitions were kept. */
  definition: CrawlDefinition | undefined;
}

/** Options of {@linkcode CrawlJournal.open}. */
export interface CrawlJournalOptions {
  /** Continue from the journal and the output left by an earlier run instead of starting afresh. @default false */
  resume?: boolean;
}

/**
 * The journal that makes a crawl resumable: a file beside the output (`<output>.journal`) listing every URL the crawl
 * admitted, with its depth (every link in scope: those `maxPages` left waiting too, so that a resume with a larger one
 * fetches them), and every redirect target it saw. A URL is written there, with `write(2)`, before the row of the page
 * that found it can reach the output; so whatever kills the process, each row in the output has its
 * links in the journal. On resume, the output's complete rows say which URLs are done, a torn last row or journal
 * line is cut off, and the admitted URLs without a row are fetched again: each URL ends up in the output once.
 *
 * @example
 * ```ts
 * import { lastValueFrom } from "rxjs";
 * import { CrawlJournal, crawl, writeCsv } from "../mod.ts";
 * const journal = await CrawlJournal.open("data/out/site.csv", { resume: true });
 * await lastValueFrom(crawl({ start: "https://example.com/", journal }).pipe(writeCsv("data/out/site.csv", { append: journal.resumed })));
 * journal.close();
 * ```
 */
export class CrawlJournal {
  /** The journal's path. */
  readonly path: string;
  /** The state read back on resume; empty on a fresh start. */
  readonly state: JournalState;
  /** Whether an earlier run's output is being continued: append to it, without a second header. */
  readonly resumed: boolean;
  readonly #output: string;
  #fd: number;
  #buffer = "";
  #complete = false;

  private constructor(output: string, fd: number, state: JournalState, resumed: boolean) {
    this.path = journalPath(output);
    this.#output = output;
    this.#fd = fd;
    this.state = state;
    this.resumed = resumed;
  }

  /**
   * Opens the journal of `output`. Without `resume` it starts empty (an earlier journal is replaced); with it, the
   * output's torn last row is cut off and the earlier state read back. Resuming an output that has no journal is a
   * usage error; resuming with neither is a fresh start.
   */
  static async open(output: string, options: CrawlJournalOptions = {}): Promise<CrawlJournal> {
    const path = journalPath(output);
    const empty = (): JournalState => ({ seen: new SeenSet(), admitted: 0, pending: [], rows: 0, definition: undefined });
    if (options.resume !== true || (!existsSync(path) && !existsSync(output))) {
      return new CrawlJournal(output, openFile(path, "w"), empty(), false);
    }
    if (!existsSync(path)) {
      throw new UsageError(
        `Cannot resume ${output}: its journal ${path} is missing, as it is once a crawl ends with nothing left to fetch (run without --resume to start over)`,
      );
    }
    const done = new SeenSet();
    const rows = existsSync(output) ? await completeRows(output, (row) => typeof row.url === "string" && done.add(row.url)) : 0;
    const state = await readJournal(path, done);
    state.rows = rows;
    return new CrawlJournal(output, openFile(path, "a"), state, existsSync(output));
  }

  /** Notes what defines the crawl, so that a resume can refuse a different one; written at the next {@linkcode flush}. */
  define(definition: CrawlDefinition): void {
    this.#buffer += `d\t${JSON.stringify(definition)}\n`;
  }

  /** Notes an admitted request; written at the next {@linkcode flush}. */
  admitted(request: CrawlRequest): void {
    this.#buffer += `${encodeRequest(request)}\n`;
  }

  /** Notes a URL reached by a redirect, so a resumed crawl does not fetch it again. */
  redirected(url: string): void {
    this.#buffer += `r\t${url}\n`;
  }

  /** Hands what was noted to the OS, synchronously: call it before the row that found those URLs is written. */
  flush(): void {
    if (this.#buffer === "" || this.#fd < 0) return;
    writeSync(this.#fd, this.#buffer);
    this.#buffer = "";
  }

  /**
   * Whether the crawl ended with nothing left to fetch: nothing waiting or in flight, nothing left by `maxPages`.
   * Once its output holds every row, the journal is of no more use: {@linkcode discard} it.
   */
  get complete(): boolean {
    return this.#complete;
  }

  /** Notes that the crawl ended with nothing left to fetch; its state calls it. */
  markComplete(): void {
    this.#complete = true;
  }

  /** Closes the journal, as {@linkcode close} does, and removes its file: for an output that holds the whole crawl. */
  discard(): void {
    this.close();
    rmSync(this.path, { force: true });
  }

  /** Flushes, syncs the journal and the output to disk, and closes the journal. Safe to call twice. */
  close(): void {
    if (this.#fd < 0) return;
    this.flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = -1;
    if (existsSync(this.#output)) {
      const fd = openSync(this.#output, "r+");
      fsyncSync(fd);
      closeSync(fd);
    }
  }
}

/** Where the journal of `output` lives. */
export function journalPath(output: string): string {
  return `${output}.journal`;
}

function openFile(path: string, flags: "w" | "a"): number {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, flags);
  } catch (error) {
    throw new UsageError(`Cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The journal's state, given the URLs already done; a torn last line is cut off the file. */
async function readJournal(path: string, done: SeenSet): Promise<JournalState> {
  const end = lastNewline(path);
  const state: JournalState = { seen: new SeenSet(), admitted: 0, pending: [], rows: 0, definition: undefined };
  if (end > 0) {
    const input = createReadStream(path, { end: end - 1 });
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (line.startsWith("d\t")) {
        state.definition ??= JSON.parse(line.slice(2)) as CrawlDefinition;
      } else if (line.startsWith("r\t")) {
        state.seen.add(line.slice(2));
      } else {
        // A "b" line is a link an older version journaled as found beyond maxPages without admitting it: admitted now.
        const request = decodeRequest(line.startsWith("b\t") ? line.slice(2) : line);
        if (request === undefined || !state.seen.add(request.url)) continue;
        state.admitted++;
        if (!done.has(request.url)) state.pending.push(request);
      }
    }
  }
  if (statSync(path).size > end) truncateSync(path, end);
  return state;
}
