import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { UsageError } from "../errors.ts";
import type { CrawlRequest } from "../records.ts";
import { SeenSet } from "./seen_set.ts";
import { isCsvPath } from "../sinks/write_rows.ts";

/** What a crawl picks up from a journal: every URL it had seen, and those whose rows are not in the output yet. */
export interface JournalState {
  /** Every URL admitted or reached by a redirect before: never admitted again. */
  seen: SeenSet;
  /** URLs admitted so far, with or without a row: counted against `maxPages`. */
  admitted: number;
  /** Admitted URLs without a row in the output: fetched again, at their depth. */
  pending: CrawlRequest[];
  /** Rows kept in the output. */
  rows: number;
}

/** Options of {@linkcode CrawlJournal.open}. */
export interface CrawlJournalOptions {
  /** Continue from the journal and the output left by an earlier run instead of starting afresh. @default false */
  resume?: boolean;
}

/**
 * The journal that makes a crawl resumable: a file beside the output (`<output>.journal`) listing every URL the crawl
 * admitted, with its depth, and every redirect target it saw. A URL is written there, with `write(2)`, before the row
 * of the page that found it can reach the output; so whatever kills the process, each row in the output has its
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
    const empty = (): JournalState => ({ seen: new SeenSet(), admitted: 0, pending: [], rows: 0 });
    if (options.resume !== true || (!existsSync(path) && !existsSync(output))) {
      return new CrawlJournal(output, openFile(path, "w"), empty(), false);
    }
    if (!existsSync(path)) {
      throw new UsageError(`Cannot resume ${output}: its journal ${path} is missing (run without --resume to start over)`);
    }
    const done = existsSync(output) ? await completeRows(output) : { urls: new SeenSet(), rows: 0 };
    const state = await readJournal(path, done.urls);
    state.rows = done.rows;
    return new CrawlJournal(output, openFile(path, "a"), state, existsSync(output));
  }

  /** Notes an admitted URL; written at the next {@linkcode flush}. */
  admitted(url: string, depth: number): void {
    this.#buffer += `${depth}\t${url}\n`;
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

/** The URLs of the output's complete rows; a torn or unreadable tail is cut off the file. */
async function completeRows(output: string): Promise<{ urls: SeenSet; rows: number }> {
  const urls = new SeenSet();
  let rows = 0;
  const end = lastNewline(output);
  let good = 0; // bytes up to the end of the last complete row
  if (end > 0) {
    const input = createReadStream(output, { end: end - 1 });
    try {
      if (isCsvPath(output)) {
        // Rows are counted as the parser meets them: a parse error discards the rows it had buffered for us.
        const onRecord = (record: Record<string, string>, context: { bytes: number }) => {
          if (record.url !== undefined) urls.add(record.url);
          rows++;
          good = context.bytes;
          return null;
        };
        for await (const _ of input.pipe(parse({ columns: true, bom: true, relax_column_count: true, on_record: onRecord })));
        if (rows === 0) good = end; // a header alone
      } else {
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          const row = JSON.parse(line) as { url?: unknown };
          if (typeof row.url === "string") urls.add(row.url);
          rows++;
          good += Buffer.byteLength(line) + 1;
        }
      }
    } catch {
      // A row cut inside a quoted field, or a line that is not JSON: everything from there on is redone.
    } finally {
      input.destroy();
    }
  }
  if (statSync(output).size > good) truncateSync(output, good);
  return { urls, rows };
}

/** The journal's state, given the URLs already done; a torn last line is cut off the file. */
async function readJournal(path: string, done: SeenSet): Promise<JournalState> {
  const end = lastNewline(path);
  const state: JournalState = { seen: new SeenSet(), admitted: 0, pending: [], rows: 0 };
  if (end > 0) {
    const input = createReadStream(path, { end: end - 1 });
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      const tab = line.indexOf("\t");
      const url = line.slice(tab + 1);
      if (tab < 0 || !state.seen.add(url)) continue;
      if (line.startsWith("r\t")) continue;
      state.admitted++;
      if (!done.has(url)) state.pending.push({ url, depth: Number(line.slice(0, tab)) });
    }
  }
  if (statSync(path).size > end) truncateSync(path, end);
  return state;
}

/** The length of the file up to and including its last `\n`, 0 when it has none. */
function lastNewline(path: string): number {
  const fd = openSync(path, "r");
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let position = statSync(path).size; position > 0; ) {
      const start = Math.max(0, position - block.length);
      const read = readSync(fd, block, 0, position - start, start);
      const index = block.subarray(0, read).lastIndexOf(10);
      if (index >= 0) return start + index + 1;
      position = start;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
