// What a user would look at to see a browser's processes: /proc's command lines, and pgrep.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
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

/** What the browsers started with `TMPDIR` at `dir` left: their processes and their profile directories. */
export function leftBehind(dir: string): { processes: string[]; dirs: string[] } {
  return { processes: pgrep(dir), dirs: readdirSync(dir).filter((name) => name.startsWith("rxcrawl-browser-")) };
}

/** Polls until the browsers of `dir` left nothing behind; fails with what is left if that takes longer than `ms`. */
export async function untilNothingLeft(dir: string, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const left = leftBehind(dir);
    if (left.processes.length === 0 && left.dirs.length === 0) return;
    await sleep(50);
  }
  assert.deepEqual(leftBehind(dir), { processes: [], dirs: [] });
}
