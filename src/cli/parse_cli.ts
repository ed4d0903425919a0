import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

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
 * Parses the command line; prints the help and exits 0 on `--help`; turns every problem into a `UsageError` that
 * `runPipeline` reports in one line with exit status 2. A flag that takes a value takes the next argument even when
 * it starts with a dash (`--concurrency -3`), so that the value, not the flag, is what the error is about.
 *
 * @example
 * ```ts
 * import { parseCli } from "./parse_cli.ts";
 * const { values } = parseCli({ help: "usage: x.ts [--n N]", options: { n: { type: "string" } } });
 * ```
 */
export function parseCli(spec: CliSpec, argv: string[] = process.argv.slice(2)): Cli {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(spec.help.endsWith("\n") ? spec.help : `${spec.help}\n`);
    process.exit(0);
  }
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name !== undefined && spec.options[name]?.type === "string" && next !== undefined && /^-./.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  try {
    const { values, positionals } = parseArgs({
      args,
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
 * import { integerFlag } from "./parse_cli.ts";
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
 * import { numberFlag } from "./parse_cli.ts";
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
 * Reads a repeatable flag of comma-separated items (`--skip-ext pdf,zip --skip-ext +md`): `undefined` when absent, else
 * every item, trimmed; an empty item is a usage error naming the flag.
 *
 * @example
 * ```ts
 * import { listFlag } from "./parse_cli.ts";
 * listFlag({ "skip-ext": ["pdf, zip", "+md"] }, "skip-ext"); // ["pdf", "zip", "+md"]
 * ```
 */
export function listFlag(values: Cli["values"], name: string): string[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw : [raw]).map(String).flatMap((value) => {
    const items = value.split(",").map((item) => item.trim());
    if (items.includes("")) {
      throw new UsageError(`Expected --${name} to be a comma-separated list without empty items, got ${JSON.stringify(value)}`);
    }
    return items;
  });
}

/**
 * Parses `--header "name: value"` flags into a headers object.
 *
 * @example
 * ```ts
 * import { headerFlags } from "./parse_cli.ts";
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
