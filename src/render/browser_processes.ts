import { readdirSync, readFileSync } from "node:fs";

/**
 * The live processes whose command line contains `marker`, read from /proc: for a browser started with its own profile
 * directory, every process it runs (the browser, its zygotes, renderers, GPU and utility processes all carry
 * `--user-data-dir`; its crash handlers, which leave the tree, carry their database's path in the same directory).
 * Zombies have no command line and are not counted. Empty where there is no /proc.
 *
 * @example
 * ```ts
 * import { processesWith } from "./browser_processes.ts";
 * processesWith("/tmp/rxcrawl-browser-Ab12Cd"); // [41022, 41025, 41026, ...]
 * ```
 */
export function processesWith(marker: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      // Arguments are NUL-separated; the marker never spans two of them.
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(marker)) pids.push(pid);
    } catch {
      // The process ended while the list was read, or is not ours to read.
    }
  }
  return pids;
}

/**
 * The resident memory of the processes, summed, in bytes (from `VmRSS` in /proc/PID/status). Memory that several of
 * them share (the browser's code) counts once per process, as `ps` would add it up: the figure is an upper bound,
 * steady enough to see growth.
 *
 * @example
 * ```ts
 * import { processesWith, residentBytes } from "./browser_processes.ts";
 * residentBytes(processesWith("/tmp/rxcrawl-browser-Ab12Cd")) / 2 ** 20; // 930.4
 * ```
 */
export function residentBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1];
      if (kb !== undefined) total += Number(kb) * 1024;
    } catch {
      // Ended meanwhile: it holds no memory any more.
    }
  }
  return total;
}
