import { availableParallelism } from "node:os";
import type { CrawlOptions } from "../crawl_options.ts";
import { DEFAULTS } from "../defaults.ts";
import { UsageError } from "../errors.ts";
import { BROWSER_USER_AGENT } from "../fetch/fetcher.ts";
import { checkProxyUrl } from "../fetch/proxy_settings.ts";
import { checkSelector, parseFieldFlags } from "../parse/extractor.ts";
import { skipExtensions } from "../parse/file_links.ts";
import { RESOURCE_TYPES, type ResourceType } from "../render/render_options.ts";
import type { RenderingOptions } from "../render/render_stage.ts";
import { type CliSpec, headerFlags, integerFlag, listFlag, numberFlag, type Cli } from "./parse_cli.ts";
import { programName } from "./program.ts";

/** One flag of the pipelines: how `util.parseArgs` reads it and how `--help` describes it. */
export interface Flag {
  type: "string" | "boolean";
  multiple?: boolean;
  /** How the value is shown in `--help` (`N`, `<css>`). */
  arg?: string;
  help: string;
  /** The default, as `--help` shows it; none for a switch. */
  default?: string;
}

/**
 * Every flag the pipelines share, defined once: the same flag means the same thing, with the same default, in every
 * pipeline that takes it. Defaults come from the library's own (`DEFAULTS`).
 */
export const FLAGS = {
  demo: { type: "boolean", help: "crawl the bundled Douban-like site on a free loopback port instead (offline)" },
  follow: { type: "string", arg: "<css>", help: "links to follow", default: `"${DEFAULTS.follow}"` },
  extract: {
    type: "string",
    multiple: true,
    arg: "name=<css>",
    help: 'a field: the text of the first match, or its attribute with "css@attr" (repeatable)',
  },
  out: {
    type: "string",
    multiple: true,
    arg: "<file>",
    help: "file.csv, file.jsonl or file.parquet; repeat it to write several",
    default: "JSONL on stdout",
  },
  stats: { type: "string", arg: "<file.json>", help: "write the crawl's statistics there, as JSON, at its end" },
  report: { type: "string", arg: "<file.html>", help: "write an HTML report of the crawl there, at its end" },
  sitemap: {
    type: "boolean",
    help: "start from the sitemaps too: those robots.txt names and /sitemap.xml (their URLs at depth 0, with lastmod)",
  },
  concurrency: { type: "string", arg: "N", help: "requests in flight at once", default: String(DEFAULTS.concurrency) },
  "per-host": { type: "string", arg: "N", help: "requests in flight per host, retries and robots.txt included", default: "no limit beyond --concurrency" },
  rate: { type: "string", arg: "N", help: "requests started per second per host: any two at least 1/N s apart", default: "no limit" },
  "max-pages": {
    type: "string",
    arg: "N",
    help: "requests to start at most, over the whole crawl (hosts in turn); links beyond are kept for a larger N (--resume, --redis)",
    default: "no limit",
  },
  "max-depth": {
    type: "string",
    arg: "N",
    help: "links to follow from a start URL; 0 crawls the start URLs only",
    default: "no limit",
  },
  timeout: {
    type: "string",
    arg: "<ms>",
    help: "time one request may take, body included (and a rendered page, to settle)",
    default: String(DEFAULTS.timeout),
  },
  retries: {
    type: "string",
    arg: "N",
    help: "retries of a network error, timeout, block, 408 or 5xx, with backoff",
    default: String(DEFAULTS.retries),
  },
  "max-bytes": { type: "string", arg: "N", help: "largest body accepted, after decompression", default: String(DEFAULTS.maxBytes) },
  "no-robots": { type: "boolean", help: "do not fetch or obey robots.txt" },
  resume: { type: "boolean", help: "continue the crawl that left --out (and its .journal) behind, without repeating a row" },
  "user-agent": {
    type: "string",
    arg: "<s>",
    help: 'the User-Agent header; "browser" sends a desktop Firefox one',
    default: DEFAULTS.userAgent.split(" ")[0]!,
  },
  header: { type: "string", multiple: true, arg: '"k: v"', help: "an extra request header (repeatable)" },
  "no-cookies": { type: "boolean", help: "keep no cookies (by default the crawl keeps them as a browser does)" },
  cookie: {
    type: "string",
    multiple: true,
    arg: "<set-cookie>",
    help: 'a cookie to start with, as a Set-Cookie value naming its Domain: "sid=x; Domain=example.com" (repeatable)',
  },
  cookies: { type: "string", arg: "<cookies.txt>", help: "start with the cookies of a Netscape cookies.txt file" },
  proxy: {
    type: "string",
    multiple: true,
    arg: "<url>",
    help: "send requests through this proxy: http://, https://, socks5://[user:pass@]host:port (repeat for a pool)",
    default: "HTTP_PROXY, HTTPS_PROXY and NO_PROXY",
  },
  "proxy-rotate": {
    type: "string",
    arg: "<how>",
    help: 'with several proxies: "host" keeps each host on one, "request" takes the next for each request',
    default: DEFAULTS.proxyRotate,
  },
  "block-status": {
    type: "string",
    arg: "<codes>",
    help: 'statuses that mean a block, comma-separated, or "none"',
    default: DEFAULTS.blockStatus.join(","),
  },
  "block-marker": {
    type: "string",
    multiple: true,
    arg: "<text>",
    help: 'text that marks a challenge page, in a body of any status (repeatable; replaces the defaults; "none")',
    default: "Cloudflare, DataDome and PerimeterX challenges",
  },
  allow: { type: "string", multiple: true, arg: "<regex>", help: "follow only links matching one of these (repeatable)" },
  deny: { type: "string", multiple: true, arg: "<regex>", help: "never follow links matching one of these (repeatable)" },
  "any-host": { type: "boolean", help: "follow links to any host, not only the start URLs' hosts" },
  "skip-ext": {
    type: "string",
    multiple: true,
    arg: "<list>",
    help: 'extensions of links to files not to follow, comma-separated: "pdf,zip" replaces the list, "+md,-svg" changes it',
    default: "images, audio, video, archives, documents, fonts, executables, source and data files",
  },
  "keep-files": { type: "boolean", help: "follow links to files too (their bodies are still not downloaded)" },
  workers: { type: "string", arg: "N", help: "parser threads; 0 parses on the fetching thread", default: "cores - 1, at least 1" },
  render: {
    type: "string",
    arg: "<mode>",
    help: 'read pages in headless Chromium too: "always" every page, "auto" the hosts whose pages need it, "never"',
    default: "never",
  },
  browser: { type: "string", arg: "<path>", help: "the Chromium to render with", default: "chromium, chromium-browser or google-chrome on PATH" },
  "render-block": {
    type: "string",
    multiple: true,
    arg: "<types>",
    help: 'resource types a rendered page may not load, comma-separated, or "none"',
    default: DEFAULTS.renderBlock.join(","),
  },
  "wait-for": {
    type: "string",
    arg: "<css>",
    help: "read a rendered page once this matches, instead of once its network has settled (within --timeout)",
  },
  redis: {
    type: "string",
    arg: "<url>",
    help: "share the crawl through Redis (redis://host:6379/0) with every process given the same --crawl-id",
  },
  "crawl-id": { type: "string", arg: "<name>", help: "the shared crawl's name; a process joining it needs no start URL" },
  reset: { type: "boolean", help: "remove the shared crawl --crawl-id first (alone: remove it and exit)" },
  lease: {
    type: "string",
    arg: "<ms>",
    help: "how long a shared crawl waits for a silent worker before others fetch what it held",
    default: "30000",
  },
  shards: {
    type: "string",
    arg: "N",
    help: "shards a new shared crawl is spread over, by site (the first process sets it)",
    default: "16 on a Redis Cluster, 1 on one server",
  },
} as const satisfies Record<string, Flag>;

/** The flags of rendering pages in a browser. */
export const RENDER_FLAGS = ["render", "browser", "render-block", "wait-for"] as const;

/** The name of a shared flag. */
export type FlagName = keyof typeof FLAGS;

/** The flags of how a crawl meets the real web: its cookies, its proxies, and what it takes for a block. */
export const SESSION_FLAGS = ["no-cookies", "cookie", "cookies", "proxy", "proxy-rotate", "block-status", "block-marker"] as const;

/** A pipeline's command line: its usage, what it does, and the shared flags it takes, with its own defaults. */
export interface CommandSpec {
  /** What follows the program's name in the usage line: `<start-url>... [options]`. */
  usage: string;
  /** What the command does, a paragraph. */
  about: string;
  /** The flags it takes, in the order `--help` lists them. */
  flags: readonly FlagName[];
  /** Defaults of this command that differ from the shared ones, as `--help` shows them. @default {} */
  defaults?: Partial<Record<FlagName, string>>;
  /** Other flags of this command alone. @default {} */
  extra?: Record<string, Flag>;
  /** Text after the flags: columns, examples. @default "" */
  footer?: string;
  /** Whether positional arguments are accepted. @default false */
  positionals?: boolean;
}

/**
 * The `CliSpec` of a command: `util.parseArgs` options for its flags, and a `--help` text listing each with its
 * default.
 *
 * @example
 * ```ts
 * import { commandSpec } from "./flags.ts";
 * import { parseCli } from "./parse_cli.ts";
 * const { values } = parseCli(commandSpec({ usage: "[options]", about: "Crawls.", flags: ["concurrency", "out"] }));
 * ```
 */
export function commandSpec(spec: CommandSpec): CliSpec {
  const flags: [string, Flag][] = [...spec.flags.map((name): [string, Flag] => [name, FLAGS[name]]), ...Object.entries(spec.extra ?? {})];
  const lines = flags.map(([name, flag]) => {
    const left = `  --${name}${flag.arg === undefined ? "" : ` ${flag.arg}`}`;
    const shown = spec.defaults?.[name as FlagName] ?? flag.default;
    return `${left.padEnd(26)}${flag.help}${shown === undefined ? "" : ` (default: ${shown})`}`;
  });
  lines.push(`${"  -h, --help".padEnd(26)}this help`);
  const help = [`usage: ${programName()} ${spec.usage}`, "", spec.about, "", ...lines];
  if (spec.footer) help.push("", spec.footer);
  const options = Object.fromEntries(
    flags.map(([name, flag]) => [name, { type: flag.type, ...(flag.multiple === true ? { multiple: true } : {}) }]),
  );
  return { help: help.join("\n"), options, ...(spec.positionals === true ? { positionals: true } : {}) };
}

/**
 * The crawl options that the shared flags on the command line set, and only those: a command spreads them over its
 * own defaults. A bad value is a `UsageError` naming the flag.
 *
 * @example
 * ```ts
 * import { crawlFlags } from "./flags.ts";
 * crawlFlags({ concurrency: "4", "no-robots": true }); // { concurrency: 4, robots: false }
 * ```
 */
export function crawlFlags(values: Cli["values"]): Partial<CrawlOptions> {
  const userAgent = values["user-agent"] as string | undefined;
  const options: Partial<CrawlOptions> = {
    follow: values.follow as string | undefined,
    extract: values.extract === undefined ? undefined : parseFieldFlags(values.extract as string[]),
    concurrency: integerFlag(values, "concurrency"),
    perHost: integerFlag(values, "per-host"),
    rate: numberFlag(values, "rate"),
    maxPages: integerFlag(values, "max-pages"),
    maxDepth: integerFlag(values, "max-depth", 0),
    timeout: integerFlag(values, "timeout"),
    retries: integerFlag(values, "retries", 0),
    maxBytes: integerFlag(values, "max-bytes"),
    robots: values["no-robots"] === true ? false : undefined,
    userAgent: userAgent === "browser" ? BROWSER_USER_AGENT : userAgent,
    headers: values.header === undefined ? undefined : headerFlags(values.header as string[]),
    cookies: values["no-cookies"] === true ? false : undefined,
    startCookies: values.cookie,
    cookiesFile: values.cookies,
    proxy: (values.proxy as string[] | undefined)?.map((url) => checkProxyUrl(url, "--proxy")),
    proxyRotate: choiceFlag(values, "proxy-rotate", ["host", "request"]),
    blockStatus: blockStatusFlag(values["block-status"] as string | undefined),
    blockMarkers: noneOr(values["block-marker"] as string[] | undefined),
    allow: values.allow as string[] | undefined,
    deny: values.deny as string[] | undefined,
    hosts: values["any-host"] === true ? "any" : undefined,
    keepFiles: values["keep-files"] === true ? true : undefined,
    skipExtensions: listFlag(values, "skip-ext"),
    workers: integerFlag(values, "workers", 0),
    render: choiceFlag(values, "render", ["never", "auto", "always"]),
    rendering: renderingFlags(values),
  } as Partial<CrawlOptions>;
  if (options.skipExtensions !== undefined) skipExtensions(options.skipExtensions, "--skip-ext"); // checked in its terms
  if (options.keepFiles === true && options.skipExtensions !== undefined) {
    throw new UsageError("Expected --keep-files or --skip-ext, not both: --keep-files follows the links to every file");
  }
  for (const key of Object.keys(options) as (keyof CrawlOptions)[]) if (options[key] === undefined) delete options[key];
  return options;
}

/** A flag that takes one of `choices`: `undefined` when absent. */
function choiceFlag<T extends string>(values: Cli["values"], name: string, choices: readonly T[]): T | undefined {
  const raw = values[name];
  if (raw === undefined || choices.includes(raw as T)) return raw as T | undefined;
  throw new UsageError(`Expected --${name} to be ${choices.map((choice) => `"${choice}"`).join(" or ")}, got ${JSON.stringify(raw)}`);
}

/**
 * The browser's options that `--browser`, `--render-block` and `--wait-for` set, checked in their terms; they ask for
 * `--render auto` or `always`.
 */
function renderingFlags(values: Cli["values"]): RenderingOptions | undefined {
  const rendering: RenderingOptions = {};
  const browser = values.browser as string | undefined;
  if (browser !== undefined) rendering.browser = browser;
  const block = listFlag(values, "render-block");
  if (block !== undefined) {
    const types = block.length === 1 && block[0] === "none" ? [] : block;
    for (const type of types) {
      if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
        throw new UsageError(`Expected --render-block to list resource types (${RESOURCE_TYPES.join(", ")}) or "none", got "${type}"`);
      }
    }
    rendering.block = types as ResourceType[];
  }
  const waitFor = values["wait-for"] as string | undefined;
  if (waitFor !== undefined) rendering.waitFor = checkSelector(waitFor, "--wait-for");
  const given = Object.keys(rendering);
  if (given.length === 0) return undefined;
  if (values.render !== "auto" && values.render !== "always") {
    const flag = { browser: "--browser", block: "--render-block", waitFor: "--wait-for" }[given[0] as "browser" | "block" | "waitFor"];
    throw new UsageError(`Expected --render auto or --render always with ${flag}: it sets how pages are rendered`);
  }
  return rendering;
}

/** `--block-status 429,403`: statuses, or none at all with `none`. */
function blockStatusFlag(raw: string | undefined): number[] | undefined {
  if (raw === undefined || raw.trim() === "none") return raw === undefined ? undefined : [];
  const statuses = raw.split(",").map((part) => (/^\s*[1-5]\d\d\s*$/.test(part) ? Number(part) : NaN));
  if (statuses.some(Number.isNaN)) {
    throw new UsageError(`Expected --block-status to be HTTP statuses separated by commas, or "none", got ${JSON.stringify(raw)}`);
  }
  return statuses;
}

/** A repeatable flag whose single value `none` means an empty list. */
function noneOr(list: string[] | undefined): string[] | undefined {
  return list !== undefined && list.length === 1 && list[0] === "none" ? [] : list;
}

/**
 * Parsing threads to use by default: one per core beside the fetching thread, at least one.
 *
 * @example
 * ```ts
 * import { defaultWorkers } from "./flags.ts";
 * defaultWorkers(); // 1 on a 2-core machine
 * ```
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}
