// Support for the runnable pipelines: flags, usage errors, signals. Unlike the rest of src/, this module talks to
// the terminal, because that is its job: a pipeline's messages and exit codes are its interface.
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";
import { CrawlJournal } from "../state/journal.ts";
import { checkOutputPath } from "../sinks/write_rows.ts";

/** What a pipeline's command line accepts. */
export interface CliSpec {
  /** The full `--help` text. */
  help: string;
  /** Flags, as `util.parseArgs` takes them. */
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Whether positional arguments (URLs, files) are accepted. @default false */
  positionals?: boolean;
}

/** The parsed command line. */
export interface Cli {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * Parses the command line; prints the help and exits 0 on `--help`; turns every problem into a
 * {@linkcode UsageError} that {@linkcode runPipeline} reports in one line with exit status 2.
 *
 * @example
 * ```ts
 * import { parseCli } from "./cli.ts";
 * const { values } = parseCli({ help: "usage: x.ts [--n N]", options: { n: { type: "string" } } });
 * ```
 */
export function parseCli(spec: CliSpec, argv: string[] = process.argv.slice(2)): Cli {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(spec.help.endsWith("\n") ? spec.help : `${spec.help}\n`);
    process.exit(0);
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: spec.options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    // parseArgs' messages are clear but long-winded; the first sentence says it.
    const message = error instanceof Error ? error.message.split(/\.\s/)[0]!.replace(/\.$/, "") : String(error);
    throw new UsageError(message);
  }
}

/**
 * Reads an integer flag: `undefined` when absent, else a whole number of at least `min`, or a usage error that names
 * the flag and the value ("Expected --concurrency to be an integer of at least 1, got \"abc\"").
 *
 * @example
 * ```ts
 * import { integerFlag } from "./cli.ts";
 * integerFlag({ concurrency: "8" }, "concurrency"); // 8
 * ```
 */
export function integerFlag(values: Cli["values"], name: string, min = 1): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`Expected --${name} to be an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Reads a positive number flag (a rate): `undefined` when absent.
 *
 * @example
 * ```ts
 * import { numberFlag } from "./cli.ts";
 * numberFlag({ rate: "0.5" }, "rate"); // 0.5
 * ```
 */
export function numberFlag(values: Cli["values"], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`Expected --${name} to be a positive number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Parses `--header "name: value"` flags into a headers object.
 *
 * @example
 * ```ts
 * import { headerFlags } from "./cli.ts";
 * headerFlags(["Referer: https://book.douban.com/"]); // { Referer: "https://book.douban.com/" }
 * ```
 */
export function headerFlags(flags: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const flag of flags) {
    const colon = flag.indexOf(":");
    const name = flag.slice(0, colon).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~\w-]+$/.test(name)) {
      throw new UsageError(`Expected --header to be "name: value", got ${JSON.stringify(flag)}`);
    }
    headers[name] = flag.slice(colon + 1).trim();
  }
  return headers;
}

/** Parsing threads to use by default: one per core beside the fetching thread, at least one. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** A pipeline's graceful stop: aborted by the first SIGINT or SIGTERM. */
export interface Stop {
  /** Pass to `crawl({ signal })`: aborted on the first signal. */
  signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM, 0 when no signal came. */
  exitCode(): number;
}

/**
 * Installs the stop protocol of the pipelines: the first SIGINT or SIGTERM aborts `signal` (the crawl stops admitting
 * URLs, lets requests in flight finish and flushes its files); a second one exits at once.
 *
 * @example
 * ```ts
 * import { stopOnSignals } from "./cli.ts";
 * const stop = stopOnSignals();
 * // crawl({ ..., signal: stop.signal }) ...
 * process.exitCode = stop.exitCode();
 * ```
 */
export function stopOnSignals(): Stop {
  const controller = new AbortController();
  let code = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const exit = signal === "SIGINT" ? 130 : 143;
    if (code !== 0) process.exit(exit);
    code = exit;
    const clear = process.stderr.isTTY ? "\r\x1b[K" : ""; // the live progress line, if any, gives way
    process.stderr.write(`${clear}${script()}: ${signal}: stopping; finishing requests in flight (again to quit now)\n`);
    controller.abort(new Error(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { signal: controller.signal, exitCode: () => code };
}

/**
 * Opens the journal that makes a crawl to `out` resumable (none for rows on stdout), continuing an earlier run's with
 * `--resume`, and says on stderr what a resume picks up. Close it when the crawl is over.
 *
 * @example
 * ```ts
 * import { openJournal } from "./cli.ts";
 * const journal = await openJournal("data/out/site.csv", true);
 * // crawl({ ..., journal }) ... writeRows(out, { append: journal?.resumed })
 * journal?.close();
 * ```
 */
export async function openJournal(out: string | undefined, resume: boolean): Promise<CrawlJournal | undefined> {
  if (out === undefined) {
    if (resume) throw new UsageError("Expected --out with --resume: rows written to stdout cannot be resumed");
    return undefined;
  }
  checkOutputPath(out);
  const journal = await CrawlJournal.open(out, { resume });
  if (resume) {
    const { rows, pending } = journal.state;
    process.stderr.write(`${script()}: resuming ${out}: ${rows} rows kept, ${pending.length} URLs to fetch again\n`);
  }
  return journal;
}

/**
 * Runs a pipeline's body and turns its failures into the pipelines' contract: a {@linkcode UsageError} prints one
 * line and exits 2; any other error prints one line and exits 1; never a stack trace (set `RXCRAWL_DEBUG=1` for one).
 *
 * @example
 * ```ts
 * import { runPipeline } from "./cli.ts";
 * await runPipeline(async () => {
 *   // parse flags, crawl, write
 * });
 * ```
 */
export async function runPipeline(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (process.env.RXCRAWL_DEBUG) console.error(error);
    // The reader of our output went away (`| head`): like any Unix filter, stop quietly.
    if ((error as { cause?: { code?: string } } | undefined)?.cause?.code === "EPIPE") process.exit(0);
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      process.stderr.write(`${script()}: ${message} (see --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`${script()}: ${message}\n`);
    process.exit(1);
  }
}

function script(): string {
  return basename(process.argv[1] ?? "rxcrawl");
}
