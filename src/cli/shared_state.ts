import type { CrawlOptions } from "../crawl_options.ts";
import { UsageError } from "../errors.ts";
import { SharedOutput } from "../sinks/shared_output.ts";
import type { CrawlDefinition } from "../state/crawl_definition.ts";
import { RedisCrawlState } from "../state/redis/redis_state.ts";
import { type Cli, integerFlag } from "./parse_cli.ts";
import { programName } from "./program.ts";

/** The flags of a shared crawl, for a command's `flags` list. */
export const SHARED_FLAGS = ["redis", "crawl-id", "reset", "lease", "shards"] as const;

/** How long a process joining a shared crawl waits for its first process to create it. */
const JOIN_WAIT_MS = 30_000;

/**
 * Connects a pipeline to the shared crawl that `--redis` and `--crawl-id` name, or resolves with `undefined` when they
 * are not given. `--reset` removes the crawl first; given alone (`start` empty), it removes the crawl and exits.
 *
 * @example
 * ```ts
 * import { sharedState } from "./shared_state.ts";
 * const state = await sharedState(values, "data/out/books.csv", positionals.length > 0);
 * ```
 */
export async function sharedState(values: Cli["values"], out: string | undefined, hasStart: boolean): Promise<RedisCrawlState | undefined> {
  const url = values.redis as string | undefined;
  const crawlId = values["crawl-id"] as string | undefined;
  const leaseMs = integerFlag(values, "lease");
  const shards = integerFlag(values, "shards");
  if (url === undefined && crawlId === undefined) {
    if (values.reset === true || leaseMs !== undefined || shards !== undefined) {
      throw new UsageError("Expected --redis and --crawl-id with --reset, --lease or --shards");
    }
    return undefined;
  }
  if (url === undefined) throw new UsageError("Expected --redis with --crawl-id: the Redis server that holds the crawl");
  if (crawlId === undefined) throw new UsageError("Expected --crawl-id with --redis: the name every process of the crawl gives");
  if (values.resume === true) {
    throw new UsageError("Expected --resume without --redis: a shared crawl continues by itself when the same command runs again");
  }
  if (values.reset === true) {
    const removed = await RedisCrawlState.remove(url, crawlId);
    process.stderr.write(`${programName()}: removed crawl "${crawlId}" (${removed} keys)\n`);
    if (!hasStart) process.exit(0);
  }
  if (out === undefined) throw new UsageError("Expected --out with --redis: each process writes its rows to a file of its own");
  return RedisCrawlState.connect({
    url,
    crawlId,
    keepRecords: true,
    ...(leaseMs === undefined ? {} : { leaseMs }),
    ...(shards === undefined ? {} : { shards }),
  });
}

/**
 * This process's file of a shared crawl, named after `out` (see `SharedOutput`); says on stderr which worker this
 * process is and where it writes.
 *
 * @example
 * ```ts
 * import { sharedOutput } from "./shared_state.ts";
 * const output = await sharedOutput(state, "data/out/books.csv", columns);
 * ```
 */
export async function sharedOutput(state: RedisCrawlState, out: string, columns: readonly string[]): Promise<SharedOutput> {
  const output = await SharedOutput.open(state.records, out, { columns });
  process.stderr.write(`${programName()}: worker ${state.worker} of crawl "${state.crawlId}"; writing ${output.path}\n`);
  return output;
}

/**
 * For a process joining a shared crawl without start URLs: waits for the crawl to exist (its first process may still
 * be starting), and returns the options that define it, so that this process crawls what the first one set out to
 * crawl. A function (a pipeline's `extract`) is the pipeline's own and is not restored. Without a shared state, or
 * with start URLs, there is nothing to join: `{}`.
 *
 * @example
 * ```ts
 * import { joinedOptions } from "./shared_state.ts";
 * const options = { ...(await joinedOptions(state, positionals)), ...crawlFlags(values) };
 * ```
 */
export async function joinedOptions(state: RedisCrawlState | undefined, start: readonly string[]): Promise<Partial<CrawlOptions>> {
  if (state === undefined || start.length > 0) return {};
  const definition = await state.definition(JOIN_WAIT_MS);
  if (definition === undefined) {
    throw new UsageError(
      `No crawl "${state.crawlId}" in ${state.where} after ${JOIN_WAIT_MS / 1000} s: the first process of a crawl must give its start URLs`,
    );
  }
  return definitionOptions(definition);
}

function definitionOptions(definition: CrawlDefinition): Partial<CrawlOptions> {
  const options: Partial<CrawlOptions> = { hosts: definition.hosts, allow: definition.allow, deny: definition.deny };
  const { follow, extract } = definition;
  if (follow === false || "selector" in follow) options.follow = follow === false ? false : follow.selector;
  if (extract !== null && "fields" in extract) options.extract = extract.fields;
  if (definition.maxDepth !== null) options.maxDepth = definition.maxDepth;
  if (definition.sitemap) options.sitemap = true;
  if (definition.render !== undefined) options.render = definition.render;
  return options;
}
