import { UsageError } from "../errors.ts";

/**
 * What makes a crawl the crawl it is, as plain JSON: where it starts, what it follows and extracts, where it may go,
 * and what its output's columns are. A crawl continued from a journal (`--resume`) or shared through a crawl state
 * must have the same definition, or its output would mix rows of two crawls. Options that only change the pace
 * (concurrency, rate, timeouts) or the budget (`maxPages`) are not part of it.
 */
export interface CrawlDefinition {
  /** The start URLs, normalized. */
  start: string[];
  /** The links followed: a CSS selector, the name of a function, or `false` for none. */
  follow: { selector: string } | { function: string } | false;
  /** The fields extracted: selectors by name, or the name of a function; `null` for none. */
  extract: { fields: Record<string, string> } | { function: string } | null;
  /** The hosts the crawl may enter, or `"any"`. */
  hosts: string[] | "any";
  /** The patterns a followed URL must match one of, and those that exclude it. */
  allow: string[];
  deny: string[];
  /** The most links followed from a start URL; `null` for no limit. */
  maxDepth: number | null;
  /** Whether the crawl starts from the sites' sitemaps too. */
  sitemap: boolean;
  /**
   * The extensions of links not followed because they lead to files, sorted; `[]` when every file is followed
   * (`keepFiles`); absent for the default list.
   */
  skipExtensions?: string[];
  /** How pages are read in a browser, `"auto"` or `"always"`; absent when they are not (`"never"`). */
  render?: "auto" | "always";
  /** The columns of the output, when the caller writes rows (the pipelines do). */
  columns?: string[];
}

/** The names of the definition's parts, as a user sets them. */
const LABELS: Record<keyof CrawlDefinition, string> = {
  start: "the start URLs",
  follow: "follow",
  extract: "extract",
  hosts: "hosts",
  allow: "allow",
  deny: "deny",
  maxDepth: "maxDepth",
  sitemap: "sitemap",
  skipExtensions: "skipExtensions",
  render: "render",
  columns: "the output columns",
};

/**
 * Throws a {@linkcode UsageError} naming the first part in which `given` differs from the `stored` definition of the
 * crawl being continued, with both values. `start` is not compared when `given` has none: a process joining a shared
 * crawl brings no start URL.
 *
 * @example
 * ```ts
 * import { checkSameCrawl } from "./crawl_definition.ts";
 * checkSameCrawl(stored, given, "the crawl of data/out/site.csv.journal");
 * // throws: Cannot continue the crawl of data/out/site.csv.journal: follow differs (it has {"selector":"a[href]"}, got {"selector":"h1 a"})
 * ```
 */
export function checkSameCrawl(stored: CrawlDefinition, given: CrawlDefinition, where: string): void {
  const part = crawlDifference(stored, given);
  if (part !== undefined) {
    const [before, now] = [canonical(stored[part]), canonical(given[part])];
    throw new UsageError(`Cannot continue ${where}: ${LABELS[part]} differs (it has ${before}, got ${now})`);
  }
}

/**
 * The first part, in the order of {@linkcode CrawlDefinition}'s fields, in which `given` differs from `stored`, or
 * `undefined` when they define the same crawl; `start` is not compared when `given` has none. For a caller that
 * names the parts in its own terms (a command line's flags).
 *
 * @example
 * ```ts
 * import { crawlDifference } from "./crawl_definition.ts";
 * crawlDifference(stored, { ...stored, follow: "h1 a" }); // "follow"
 * ```
 */
export function crawlDifference(stored: CrawlDefinition, given: CrawlDefinition): keyof CrawlDefinition | undefined {
  for (const key of Object.keys(LABELS) as (keyof CrawlDefinition)[]) {
    if (key === "start" && given.start.length === 0) continue;
    if (canonical(stored[key]) !== canonical(given[key])) return key;
  }
  return undefined;
}

/** JSON with object keys sorted, so that two equal definitions give the same string. */
function canonical(value: unknown): string {
  if (value === undefined) return "none";
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
