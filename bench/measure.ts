import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Options of {@linkcode measure} and {@linkcode measureGroup}. */
export interface MeasureOptions {
  /** Working directory of the children. @default process.cwd() */
  cwd?: string;
  /** Environment of the children. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before the children are killed (SIGKILL, each with its process tree) and the run marked as timed out. @default 1800000 */
  timeout?: number;
  /** Milliseconds between two reads of the processes' memory and CPU time. @default 50 */
  pollInterval?: number;
  /** Milliseconds between two looks for the children's own child processes (a browser, a helper). @default 1000 */
  treeInterval?: number;
  /** Told every read, of the memory of all the processes' trees together (read as `peakRssMb` is), in kB. @default nobody */
  onSample?: (sample: { seconds: number; kb: number }) => void;
}

/** A process to start: `file args`. */
export interface Command {
  file: string;
  args: readonly string[];
}

/** What one child process and its descendants did, and what they cost. */
export interface Measured {
  /** From spawn to exit, in seconds: start-up, the work and shutdown. */
  wallSeconds: number;
  /**
   * The peak memory of the process and its descendants, in MB: the process's own peak resident set (VmHWM) while it
   * runs alone, and while it has children, the largest sum of their proportional set sizes (Pss: a page shared by n
   * processes counts 1/n in each) seen in a read; 0 where /proc cannot tell.
   */
  peakRssMb: number;
  /** CPU time the process and its descendants used, user and system, all threads; 0 where /proc cannot tell. */
  cpuSeconds: number;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  /** Whether it ran past `timeout` and was killed. */
  timedOut: boolean;
  stdout: string;
  /** The last 4 KB of stderr, enough for the error or the summary line. */
  stderrTail: string;
}

/** What a group of child processes, started at once, did together. */
export interface MeasuredGroup {
  /** From the first spawn to the last exit, in seconds. */
  wallSeconds: number;
  /** The peak memory of all the processes' trees together, in MB, read as {@linkcode Measured.peakRssMb} is. */
  peakRssMb: number;
  /** CPU time of all of them. */
  cpuSeconds: number;
  timedOut: boolean;
  /** Each process, in the order of the commands. */
  processes: Measured[];
}

/**
 * Runs `file args` as a child process and measures it from outside, so every runner, whatever its language or
 * framework, is measured the same way: wall time from spawn to exit, and peak memory and CPU time read from /proc
 * every `pollInterval` ms, its descendants included (see {@linkcode measureGroup}).
 *
 * @example
 * ```ts
 * import { measure } from "./measure.ts";
 * const run = await measure(process.execPath, ["-e", "new Array(1e6).fill(1)"]);
 * run.wallSeconds; run.peakRssMb;
 * ```
 */
export async function measure(file: string, args: readonly string[], options: MeasureOptions = {}): Promise<Measured> {
  const group = await measureGroup([{ file, args }], options);
  return group.processes[0]!;
}

/**
 * Starts every command at once and measures them from outside until the last exits: each process with its
 * descendants (found by their parent ids every `treeInterval` ms), and the group as a whole. VmHWM is the kernel's
 * own high-water mark and CPU time only grows (a child's moves into its parent's once it is reaped), so the last
 * values read before an exit are the totals, give or take the last few milliseconds; a sum of Pss over a tree is a
 * sample, and a child that lives less than `treeInterval` may be missed in it (not in the CPU time, once reaped).
 *
 * @example
 * ```ts
 * import { measureGroup } from "./measure.ts";
 * const run = await measureGroup([
 *   { file: process.execPath, args: ["-e", "setTimeout(() => {}, 200)"] },
 *   { file: process.execPath, args: ["-e", "setTimeout(() => {}, 400)"] },
 * ]);
 * run.wallSeconds; // about 0.4 and start-up
 * run.processes[0]!.peakRssMb;
 * ```
 */
export function measureGroup(commands: readonly Command[], options: MeasureOptions = {}): Promise<MeasuredGroup> {
  const started = performance.now();
  const trees = commands.map((command) => new Tree(spawn(command.file, command.args, {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  })));
  let groupPeakKb = 0;
  let timedOut = false;
  let polls = 0;
  const treeEvery = Math.max(1, Math.round((options.treeInterval ?? 1000) / (options.pollInterval ?? 50)));
  const poll = () => {
    const running = trees.filter((tree) => tree.running);
    if (polls++ % treeEvery === 0 && running.some((tree) => tree.pid !== undefined)) {
      const parents = parentIds();
      for (const tree of running) tree.findDescendants(parents);
    }
    let totalKb = 0;
    for (const tree of trees) totalKb += tree.running ? tree.read() : 0;
    groupPeakKb = Math.max(groupPeakKb, totalKb);
    options.onSample?.({ seconds: (performance.now() - started) / 1000, kb: totalKb });
  };
  const poller = setInterval(poll, options.pollInterval ?? 50);
  const killer = setTimeout(() => {
    timedOut = true;
    for (const tree of trees) tree.kill();
  }, options.timeout ?? 1_800_000);
  poll();

  return Promise.all(trees.map((tree) => tree.done(started))).then(
    (processes) => {
      clearInterval(poller);
      clearTimeout(killer);
      return {
        wallSeconds: Math.max(...processes.map((run) => run.wallSeconds)),
        // A group of one is the process's own figure: its VmHWM is exact where the sampled sums are not.
        peakRssMb: Math.max(groupPeakKb / 1024, ...(processes.length === 1 ? processes.map((run) => run.peakRssMb) : [])),
        cpuSeconds: processes.reduce((sum, run) => sum + run.cpuSeconds, 0),
        timedOut,
        processes: processes.map((run) => ({ ...run, timedOut })),
      };
    },
    (error: unknown) => {
      clearInterval(poller);
      clearTimeout(killer);
      for (const tree of trees) tree.kill();
      throw error;
    },
  );
}

/** One child process and what has been read of it and its descendants. */
class Tree {
  readonly #child: ChildProcess;
  #descendants: number[] = [];
  #peakKb = 0;
  #cpuSeconds = 0;
  #stdout = "";
  #stderr = "";
  #exited: number | undefined;
  running = true;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.#stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.#stderr = (this.#stderr + chunk).slice(-4096)));
    // "exit" ends the clock; "close" (all output read) ends the measurement.
    child.once("exit", () => {
      this.#exited = performance.now();
      this.running = false;
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Takes the descendants from a map of every process's parent. */
  findDescendants(parents: Map<number, number>): void {
    const root = this.#child.pid;
    if (root === undefined) return;
    const children = new Map<number, number[]>();
    for (const [pid, parent] of parents) children.set(parent, [...(children.get(parent) ?? []), pid]);
    const found: number[] = [];
    for (let queue = [root]; queue.length > 0; ) {
      const pid = queue.pop()!;
      for (const child of children.get(pid) ?? []) {
        found.push(child);
        queue.push(child);
      }
    }
    this.#descendants = found;
  }

  /** Reads memory and CPU time now; returns the tree's memory in kB. */
  read(): number {
    const root = this.#child.pid;
    if (root === undefined) return 0;
    const status = readStatus(root);
    if (status === undefined) return 0;
    let cpu = processCpuSeconds(root, { children: true }) ?? 0;
    let kb = status.rssKb;
    this.#peakKb = Math.max(this.#peakKb, status.hwmKb);
    if (this.#descendants.length > 0) {
      kb = pssKb(root) ?? status.rssKb;
      for (const pid of this.#descendants) {
        kb += pssKb(pid) ?? 0;
        cpu += processCpuSeconds(pid, { children: true }) ?? 0;
      }
      this.#peakKb = Math.max(this.#peakKb, kb);
    }
    this.#cpuSeconds = Math.max(this.#cpuSeconds, cpu);
    return kb;
  }

  kill(): void {
    for (const pid of this.#descendants) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    this.#child.kill("SIGKILL");
  }

  done(started: number): Promise<Measured> {
    return new Promise((resolve, reject) => {
      this.#child.once("error", reject);
      this.#child.once("close", (code: number | null) =>
        resolve({
          wallSeconds: ((this.#exited ?? performance.now()) - started) / 1000,
          peakRssMb: this.#peakKb / 1024,
          cpuSeconds: this.#cpuSeconds,
          code,
          timedOut: false,
          stdout: this.#stdout,
          stderrTail: this.#stderr,
        }),
      );
    });
  }
}

/** Every process's parent id, from /proc/<pid>/stat. */
function parentIds(): Map<number, number> {
  const parents = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return parents;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== undefined) parents.set(Number(entry), Number(fields[1]));
  }
  return parents;
}

/** The fields of /proc/<pid>/stat after the name (the state is [0], the parent id [1]); undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The name (field 2) may hold spaces and parentheses: count fields from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** VmHWM and VmRSS of /proc/<pid>/status in kB, or undefined once the process is gone (or on a system without /proc). */
function readStatus(pid: number): { hwmKb: number; rssKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? 0);
    return { hwmKb: kb("VmHWM"), rssKb: kb("VmRSS") };
  } catch {
    return undefined;
  }
}

/** The proportional set size of a process in kB, from /proc/<pid>/smaps_rollup; undefined once it is gone. */
function pssKb(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
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

/**
 * User and system CPU time of a process, all threads, from /proc/<pid>/stat; with `children`, that of its children
 * that have exited and been waited for too. Undefined once it is gone.
 */
export function processCpuSeconds(pid: number | undefined, { children = false } = {}): number | undefined {
  if (pid === undefined) return undefined;
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // utime, stime, cutime and cstime are fields 14 to 17 of the line: 11 to 14 from the state.
  const ticks = Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
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
  return (readStatus(pid)?.hwmKb ?? 0) / 1024;
}
