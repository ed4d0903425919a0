import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ArrivalSpan, GapCount } from "../src/demo/mod.ts";

/** How a demo site is built; see `bench/site.ts --help`. */
export interface SiteSettings {
  pages: number;
  links: number;
  bodyKb: number;
  latencyMs: number;
  seed: number;
}

/** What the site answers to "stats". */
export interface SiteStats {
  /** Every request, robots.txt and 404s included. */
  requests: number;
  /** Requests for a book page already requested since the last reset. */
  duplicates: number;
  /** Distinct book pages answered with 200. */
  served: number;
  /** Most requests in flight at once: the concurrency the crawler really reached. */
  maxInFlight: number;
}

/** A demo site running in its own process; see {@linkcode startSiteProcess}. */
export interface SiteProcess {
  /** `"http://127.0.0.1:PORT"`. */
  origin: string;
  /** The site's process id, to read its CPU time. */
  pid: number | undefined;
  /** The requests seen since the last call (or since start), and the counts restart. */
  takeStats(): Promise<SiteStats>;
  /** Stops the site and waits for its process to exit. */
  close(): Promise<void>;
}

/**
 * Starts `bench/site.ts` as a child process and talks to it over stdin and stdout: its first line is the origin,
 * and each "stats" line sent is answered with one JSON line.
 *
 * @example
 * ```ts
 * import { startSiteProcess } from "./site_process.ts";
 * const site = await startSiteProcess({ pages: 100, links: 10, bodyKb: 8, latencyMs: 0, seed: 1 });
 * // crawl site.origin + "/subject/0/" ...
 * const { duplicates } = await site.takeStats();
 * await site.close();
 * ```
 */
export async function startSiteProcess(settings: SiteSettings): Promise<SiteProcess> {
  const child = await startLineProcess("site.ts", [
    ["--pages", settings.pages],
    ["--links", settings.links],
    ["--body-kb", settings.bodyKb],
    ["--latency-ms", settings.latencyMs],
    ["--seed", settings.seed],
  ]);
  return {
    origin: child.firstLine,
    pid: child.pid,
    takeStats: async () => JSON.parse(await child.ask("stats")) as SiteStats,
    close: child.close,
  };
}

/** How a broad site is built; see `bench/broad_site.ts --help`. */
export interface BroadSiteSettings {
  hosts: number;
  pagesPerHost: number;
  /** Links from a page to its own host's pages, and to other hosts'. */
  ownLinks: number;
  otherLinks: number;
  bodyKb: number;
  latencyMs: number;
  seed: number;
  /** Every host's robots.txt: none (a 404), allow all, or a Crawl-delay in seconds. */
  robots: "none" | "allow" | number;
  /** The fraction of hosts whose pages a script builds from JSON. */
  scriptHosts: number;
}

/** What the broad site answers to "stats <ms>": what it saw since the last time. */
export interface BroadSiteStats {
  /** Every request, robots.txt, JSON, 404s and strays included. */
  requests: number;
  /** Requests for a page. */
  pageRequests: number;
  /** Page requests beyond the first for each page. */
  duplicates: number;
  /** Distinct pages requested. */
  pagesRequested: number;
  /** Requests for an address that is not one of the site's hosts. */
  strays: number;
  /** Most requests in flight at once, at all hosts, and at one host. */
  maxInFlight: number;
  maxInFlightPerHost: number;
  /** Gaps between consecutive arrivals at each host, and those shorter than the interval asked. */
  gaps: GapCount;
  /** First and last page request's arrival, in ms of the site's clock; null when none came. */
  span: ArrivalSpan | null;
}

/** A broad site running in its own process; see {@linkcode startBroadSiteProcess}. */
export interface BroadSiteProcess {
  /** Page 0 of host 0: `"http://127.0.0.2:PORT/page/0"`. */
  startUrl: string;
  port: number;
  /** The site's process id, to read its CPU time. */
  pid: number | undefined;
  /** What the site saw since the last call (or since start), gaps counted against `minGapMs`; the log restarts. */
  takeStats(minGapMs: number): Promise<BroadSiteStats>;
  /** Stops the site and waits for its process to exit. */
  close(): Promise<void>;
}

/**
 * Starts `bench/broad_site.ts` as a child process and talks to it over stdin and stdout: its first line is the start
 * URL, and each "stats <ms>" line sent is answered with one JSON line.
 *
 * @example
 * ```ts
 * import { startBroadSiteProcess } from "./site_process.ts";
 * const site = await startBroadSiteProcess({
 *   hosts: 100, pagesPerHost: 50, ownLinks: 8, otherLinks: 2, bodyKb: 4, latencyMs: 50, seed: 1, robots: "allow", scriptHosts: 0,
 * });
 * // crawl site.startUrl with --any-host --rate 2 ...
 * const { gaps } = await site.takeStats(500); // gaps.below: requests less than 500 ms after their host's previous one
 * await site.close();
 * ```
 */
export async function startBroadSiteProcess(settings: BroadSiteSettings): Promise<BroadSiteProcess> {
  const child = await startLineProcess("broad_site.ts", [
    ["--hosts", settings.hosts],
    ["--pages-per-host", settings.pagesPerHost],
    ["--own-links", settings.ownLinks],
    ["--other-links", settings.otherLinks],
    ["--body-kb", settings.bodyKb],
    ["--latency-ms", settings.latencyMs],
    ["--seed", settings.seed],
    ["--robots", settings.robots],
    ["--script-hosts", settings.scriptHosts],
  ]);
  return {
    startUrl: child.firstLine,
    port: Number(new URL(child.firstLine).port),
    pid: child.pid,
    takeStats: async (minGapMs) => JSON.parse(await child.ask(`stats ${minGapMs}`)) as BroadSiteStats,
    close: child.close,
  };
}

/** A bench script in a child process that prints one line when ready and answers each line sent with one line. */
interface LineProcess {
  firstLine: string;
  pid: number | undefined;
  ask(line: string): Promise<string>;
  close(): Promise<void>;
}

async function startLineProcess(script: string, flags: [string, string | number][]): Promise<LineProcess> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", path, ...flags.flatMap(([flag, value]) => [flag, String(value)])], {
    cwd: fileURLToPath(new URL("..", import.meta.url)), // where `--import tsx` resolves
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  const ended = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bench/${script} exited with code ${code}`)));
  });
  ended.catch(() => {}); // only a pending read turns an exit into an error
  lines.on("line", (line) => waiting.shift()?.(line));
  const nextLine = () => Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), ended]);

  const firstLine = await nextLine();
  return {
    firstLine,
    pid: child.pid,
    async ask(line) {
      const answer = nextLine();
      child.stdin!.write(`${line}\n`);
      return answer;
    },
    close: () => stop(child),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.stdin!.end(); // the site stops when its stdin ends; a signal is the fallback
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
