// Runs the pipelines as a user does, as child processes started by their paths, and reads what they write.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  exit: Promise<Exit>;
}

/** How {@linkcode start} runs a pipeline. */
export interface StartOptions {
  /** The working directory. @default the repository root */
  cwd?: string;
  /**
   * Run without the rights by which root writes a read-only file (util-linux's setpriv drops them from the process's
   * capability bounding set), so that a test run as root sees what any other user sees. @default false
   */
  withoutOverride?: boolean;
  /** Killed if it outlives this. @default 45000 */
  ms?: number;
  /** Variables added to the environment. @default none */
  env?: Record<string, string>;
}

/** The proxy variables a command honours: a test's own site is on loopback, and the machine's proxy is not for it. */
export const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"].flatMap((name) => [name, name.toLowerCase()]);

/**
 * Starts `pipelines/<script> ...args` as a user does, by its path (its first lines run node with the repository's
 * tsx), from the repository root unless told otherwise.
 */
export function start(script: string, args: readonly string[], options: StartOptions = {}): Running {
  const { cwd = ROOT, ms = 45_000 } = options;
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A stack trace on demand, or the test runner's own protocol, must not leak into what is asserted.
  delete env.RXCRAWL_DEBUG;
  delete env.NODE_TEST_CONTEXT;
  for (const name of PROXY_VARIABLES) delete env[name];
  Object.assign(env, options.env);
  const path = join(ROOT, "pipelines", script);
  const [command, argv] =
    options.withoutOverride === true && process.getuid?.() === 0
      ? ["setpriv", ["--bounding-set=-dac_override,-dac_read_search", "--", path, ...args]]
      : [path, args];
  const child = spawn(command, argv, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = new Promise<Exit>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")} ran longer than ${ms} ms; stderr: ${stderr}`));
    }, ms);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exit };
}

export function run(script: string, args: readonly string[], options: StartOptions = {}): Promise<Exit> {
  return start(script, args, options).exit;
}

export interface Csv {
  header: string[];
  rows: Record<string, string>[];
}

/** Parses CSV strictly: every record must have as many cells as the header. */
export function parseCsv(text: string): Csv {
  const [header, ...records] = parse(text) as string[][];
  assert.ok(header !== undefined, "the CSV has a header row");
  return { header, rows: records.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]))) };
}

export async function readCsv(path: string): Promise<Csv> {
  return parseCsv(await readFile(path, "utf8"));
}

