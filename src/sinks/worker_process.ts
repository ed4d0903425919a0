import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, extname, join } from "node:path";

/** What a worker tells the others about itself, so that one on the same machine can complete its output if it dies. */
export interface WorkerInfo {
  /** The machine's host name. */
  host: string;
  pid: number;
  /** When the process started, in clock ticks since boot (`/proc/<pid>/stat`); 0 where that cannot be read. */
  started: number;
  /** The absolute path of its output file, or `null` when it writes none. */
  output: string | null;
}

/**
 * What this process tells about itself, writing to `output`.
 *
 * @example
 * ```ts
 * import { thisWorker } from "./worker_process.ts";
 * thisWorker("/data/out/books.w3.csv"); // { host: "crawler-1", pid: 4242, started: 123456, output: "/data/out/books.w3.csv" }
 * ```
 */
export function thisWorker(output: string | null): WorkerInfo {
  return { host: hostname(), pid: process.pid, started: startTime(process.pid), output };
}

/**
 * Whether the worker described by `info` is certainly gone: it ran on this machine, and no process with its pid and
 * start time runs now. A worker on another machine is never certainly gone from here.
 *
 * @example
 * ```ts
 * import { isGone } from "./worker_process.ts";
 * isGone({ host: hostname(), pid: 999999, started: 1, output: null }); // true
 * ```
 */
export function isGone(info: WorkerInfo): boolean {
  if (info.host !== hostname()) return false;
  if (info.started !== 0 && existsSync("/proc/self/stat")) return startTime(info.pid) !== info.started;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * The output file of `worker` for an output named `path`: the worker's id before the extension, so that the workers of
 * a crawl write side by side and one glob reads them all (`books.csv` → `books.w3.csv`).
 *
 * @example
 * ```ts
 * import { workerOutput } from "./worker_process.ts";
 * workerOutput("data/out/books.csv", "w3"); // "data/out/books.w3.csv"
 * ```
 */
export function workerOutput(path: string, worker: string): string {
  const extension = extname(path);
  return join(dirname(path), `${basename(path, extension)}.${worker}${extension}`);
}

/** A process's start time in clock ticks since boot, 0 when unknown (no /proc, or no such process). */
function startTime(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]) || 0;
  } catch {
    return 0;
  }
}
