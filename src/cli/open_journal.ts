import { type CrawlOptions, crawlConfig } from "../crawl_options.ts";
import { UsageError } from "../errors.ts";
import { type CrawlDefinition, crawlDifference } from "../state/crawl_definition.ts";
import { CrawlJournal } from "../state/journal.ts";
import { checkOutputPath, isParquetPath } from "../sinks/write_rows.ts";
import { programName } from "./program.ts";

/**
 * Opens the journal that makes a crawl to `out` resumable (none for rows on stdout), continuing an earlier run's with
 * `--resume`, and says on stderr what a resume picks up. Close it when the crawl is over.
 *
 * Given the crawl's `options`, a resume of a different crawl (other start URLs, `--follow`, `--extract`, ...) is a
 * `UsageError` that names the flag and both values, raised before anything is written: rows of two crawls must not
 * share a file.
 *
 * @example
 * ```ts
 * import { openJournal } from "./open_journal.ts";
 * const options = { start: "https://example.com/", follow: "main a" };
 * const journal = await openJournal("data/out/site.csv", true, options);
 * // crawl({ ...options, journal }) ... writeRows(out, { append: journal?.resumed })
 * journal?.close();
 * ```
 */
export async function openJournal(
  out: string | undefined,
  resume: boolean,
  options?: CrawlOptions,
): Promise<CrawlJournal | undefined> {
  if (out === undefined) {
    if (resume) throw new UsageError("Expected --out with --resume: rows written to stdout cannot be resumed");
    return undefined;
  }
  checkOutputPath(out);
  if (isParquetPath(out)) {
    // A Parquet file is written whole at the end: there is nothing to continue, so no journal to keep.
    if (resume) throw new UsageError(`Cannot resume ${out}: a Parquet file is written whole at the end of a crawl, so an interrupted one holds no rows to continue from (write CSV or JSONL to resume)`);
    return undefined;
  }
  const given = options === undefined ? undefined : crawlConfig(options).definition;
  const journal = await CrawlJournal.open(out, { resume });
  const stored = journal.state.definition;
  if (journal.resumed && stored !== undefined && given !== undefined) {
    const difference = describeDifference(stored, given);
    if (difference !== undefined) {
      journal.close();
      throw new UsageError(`Cannot resume ${out} with a different crawl: ${difference} (run without --resume to start over)`);
    }
  }
  if (resume) {
    const { rows, pending } = journal.state;
    process.stderr.write(`${programName()}: resuming ${out}: ${rows} rows kept, ${pending.length} URLs found and not fetched yet\n`);
  }
  return journal;
}

/**
 * How `given` differs from the `stored` definition of a crawl, in the terms of the command line (`--extract was none,
 * now "h1=h1"`), or `undefined` when they define the same crawl.
 *
 * @example
 * ```ts
 * import { describeDifference } from "./open_journal.ts";
 * describeDifference(stored, given); // '--follow was "a[href]", now "main a"'
 * ```
 */
export function describeDifference(stored: CrawlDefinition, given: CrawlDefinition): string | undefined {
  const part = crawlDifference(stored, given);
  if (part === undefined) return undefined;
  const [name, was] = FLAG_TERMS[part];
  return `${name} ${was} ${shown(part, stored)}, now ${shown(part, given)}`;
}

/** Each part of a crawl's definition as the command line sets it, with the verb that agrees with it. */
const FLAG_TERMS: Record<keyof CrawlDefinition, [name: string, was: string]> = {
  start: ["the start URLs", "were"],
  follow: ["--follow", "was"],
  extract: ["--extract", "was"],
  hosts: ["the hosts (--any-host)", "were"],
  allow: ["--allow", "was"],
  deny: ["--deny", "was"],
  maxDepth: ["--max-depth", "was"],
  sitemap: ["the sitemap option", "was"],
  skipExtensions: ["the extensions skipped (--skip-ext, --keep-files)", "were"],
  render: ["--render", "was"],
  columns: ["the output's columns", "were"],
};

/** A part of a definition as a user would write it: `h1=h1 image=img@src`, `"a[href]"`, `no limit`. */
function shown(part: keyof CrawlDefinition, definition: CrawlDefinition): string {
  const quote = (text: string) => JSON.stringify(text);
  const list = (items: readonly string[] | undefined) => (items === undefined || items.length === 0 ? "none" : items.map(quote).join(" "));
  const named = (value: unknown) => `the function ${(value as { function: string }).function}`;
  switch (part) {
    case "follow": {
      const { follow } = definition;
      return follow === false ? "no link" : "selector" in follow ? quote(follow.selector) : named(follow);
    }
    case "extract": {
      const { extract } = definition;
      if (extract === null) return "none";
      if ("function" in extract) return named(extract);
      return Object.entries(extract.fields).map(([name, css]) => quote(`${name}=${css}`)).join(" ");
    }
    case "hosts":
      return definition.hosts === "any" ? "any host" : list(definition.hosts);
    case "maxDepth":
      return definition.maxDepth === null ? "no limit" : String(definition.maxDepth);
    case "sitemap":
      return definition.sitemap ? "on" : "off";
    case "skipExtensions": {
      const skipped = definition.skipExtensions;
      return skipped === undefined ? "the default list" : skipped.length === 0 ? "none (--keep-files)" : list(skipped);
    }
    case "render":
      return definition.render ?? "never";
    default:
      return list(definition[part]);
  }
}
