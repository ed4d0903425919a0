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
 * The memory of the processes together, in bytes: the sum of their proportional set sizes (`Pss` in
 * /proc/PID/smaps_rollup), where a page several of them share counts once, split among them. Chromium's processes
 * share much (its code is mapped in every one of them), so their resident sizes added up, as `ps` would, come to
 * about three times the memory they take: a browser that holds 550 MB shows 1.8 GB. Where smaps_rollup is missing
 * (Linux before 4.14), resident sizes (`VmRSS`) are summed instead.
 *
 * @example
 * ```ts
 * import { memoryOf, processesWith } from "./browser_processes.ts";
 * memoryOf(processesWith("/tmp/rxcrawl-browser-Ab12Cd")) / 2 ** 20; // 553.1
 * ```
 */
export function memoryOf(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += kilobytes(readFileSync(`/proc/${pid}/smaps_rollup`, "latin1"), "Pss") * 1024;
    } catch {
      try {
        total += kilobytes(readFileSync(`/proc/${pid}/status`, "latin1"), "VmRSS") * 1024;
      } catch {
        // Ended meanwhile: it holds no memory any more.
      }
    }
  }
  return total;
}

function kilobytes(text: string, field: string): number {
  const value = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text)?.[1];
  if (value === undefined) throw new Error(`no ${field}`);
  return Number(value);
}
