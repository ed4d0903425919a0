// What a user would look at to see a browser's processes: /proc's command lines, and pgrep.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { BrowserPool } from "../../src/render/browser_pool.ts";

/** The arguments of a process (Chromium's child processes rewrite theirs into one string, split here at spaces). */
export function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "latin1").split(/[\0 ]/);
}

/** The pool's browser's own process (the one of its processes with no `--type=`), and its profile directory. */
export async function mainProcess(pool: BrowserPool): Promise<{ pid: number; profile: string }> {
  for (const pid of await pool.processes()) {
    const args = commandLine(pid);
    const profile = args.find((arg) => arg.startsWith("--user-data-dir="))?.slice("--user-data-dir=".length);
    if (profile !== undefined && !args.some((arg) => arg.startsWith("--type="))) return { pid, profile };
  }
  throw new Error("no browser process");
}

/** What `pgrep -f` finds for `pattern`: a check independent of the pool's own reading of /proc. */
export function pgrep(pattern: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim().split("\n");
  } catch {
    return []; // pgrep exits with 1 when nothing matches
  }
}
