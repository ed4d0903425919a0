import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Options of {@linkcode measure}. */
export interface MeasureOptions {
  /** Working directory of the child. @default process.cwd() */
  cwd?: string;
  /** Environment of the child. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before the child is killed (SIGKILL) and the run marked as timed out. @default 1800000 */
  timeout?: number;
  /** Milliseconds between two reads of the child's peak memory. @default 50 */
  pollInterval?: number;
}

/** What one child process did, and what it cost. */
export interface Measured {
  /** From spawn to exit, in seconds: start-up, the work and shutdown. */
  wallSeconds: number;
  /** The child's peak resident set (VmHWM), in MB; 0 where /proc cannot tell. */
  peakRssMb: number;
  /** CPU time the child used, user and system, all its threads; 0 where /proc cannot tell. */
  cpuSeconds: number;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  /** Whether it ran past `timeout` and was killed. */
  timedOut: boolean;
  stdout: string;
  /** The last 4 KB of stderr, enough for the error or the summary line. */
  stderrTail: string;
}

/**
 * Runs `file args` as a child process and measures it from outside, so every runner, whatever its language or
 * framework, is measured the same way: wall time from spawn to exit, and peak RSS and CPU time read from /proc every
 * `pollInterval` ms. VmHWM is the kernel's own high-water mark and CPU time only grows, so the last values read before
 * exit are the totals, give or take what the last few milliseconds add.
 *
 * @example
 * ```ts
 * import { measure } from "./measure.ts";
 * const run = await measure(process.execPath, ["-e", "new Array(1e6).fill(1)"]);
 * run.wallSeconds; run.peakRssMb;
 * ```
 */
export function measure(file: string, args: readonly string[], options: MeasureOptions = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let peakKb = 0;
    let cpuSeconds = 0;
    let wallSeconds = 0;
    let timedOut = false;
    const poll = () => {
      const kb = vmHwmKb(child.pid);
      if (kb !== undefined) peakKb = kb;
      cpuSeconds = processCpuSeconds(child.pid) ?? cpuSeconds;
    };
    const poller = setInterval(poll, options.pollInterval ?? 50);
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeout ?? 1_800_000);

    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    child.on("error", (error) => {
      clearInterval(poller);
      clearTimeout(killer);
      reject(error);
    });
    // "exit" ends the clock; "close" (all output read) ends the measurement.
    child.on("exit", () => {
      wallSeconds = (performance.now() - started) / 1000;
      clearInterval(poller);
      clearTimeout(killer);
    });
    child.on("close", (code) => {
      resolve({ wallSeconds, peakRssMb: peakKb / 1024, cpuSeconds, code, timedOut, stdout, stderrTail: stderr });
    });
    poll();
  });
}

/** The VmHWM line of /proc/<pid>/status in kB, or undefined once the process is gone (or on a system without /proc). */
function vmHwmKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** User and system CPU time of a process, all threads, from /proc/<pid>/stat; undefined once it is gone. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The name (field 2) may hold spaces and parentheses: count fields from the last ")". utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time the whole machine has spent busy since boot, all cores, from /proc/stat. Over a run, what this grows by
 * beyond the runner's, the site's and the harness's own tells whether other work on the machine disturbed it.
 */
export function machineBusySeconds(): number {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy
    const busy = ticks.reduce((sum, value, i) => (i === 3 || i === 4 || i > 7 ? sum : sum + value), 0);
    return busy / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The peak resident memory (VmHWM) of a running process, in MB; 0 where /proc cannot tell. */
export function peakRssMbOf(pid: number): number {
  return (vmHwmKb(pid) ?? 0) / 1024;
}
