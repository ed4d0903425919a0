import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

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
  const script = fileURLToPath(new URL("./site.ts", import.meta.url));
  const flags = [
    ["--pages", settings.pages],
    ["--links", settings.links],
    ["--body-kb", settings.bodyKb],
    ["--latency-ms", settings.latencyMs],
    ["--seed", settings.seed],
  ].flatMap(([flag, value]) => [String(flag), String(value)]);
  const child = spawn(process.execPath, ["--import", "tsx", script, ...flags], {
    cwd: fileURLToPath(new URL("..", import.meta.url)), // where `--import tsx` resolves
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  const ended = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`The demo site exited with code ${code}`)));
  });
  ended.catch(() => {}); // only a pending read turns an exit into an error
  lines.on("line", (line) => waiting.shift()?.(line));
  const nextLine = () => Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), ended]);

  const origin = await nextLine();
  return {
    origin,
    pid: child.pid,
    async takeStats() {
      const answer = nextLine();
      child.stdin!.write("stats\n");
      return JSON.parse(await answer) as SiteStats;
    },
    async close() {
      await stop(child);
    },
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
