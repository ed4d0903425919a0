// Real proxies for the tests of proxy support: Debian's tinyproxy (HTTP, CONNECT) and microsocks (SOCKS5), started on
// 127.0.0.1 with free ports and stopped after. Each sends its outgoing connections from a loopback address of its
// own, so that a test site sees, request by request, which proxy a request came through. Nothing stands in for them.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redis.ts";

function which(command: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where the two proxies are. `.ci/run` installs them (apt-get install -y tinyproxy microsocks). */
export const TINYPROXY = which("tinyproxy");
export const MICROSOCKS = which("microsocks");

/** Options of {@linkcode startTinyproxy} and {@linkcode startMicrosocks}. */
export interface ProxyOptions {
  /** The loopback address its connections to sites come from. @default 127.0.0.2 (tinyproxy), 127.0.0.3 (microsocks) */
  egress?: string;
  /** Credentials the proxy asks for (HTTP Basic for tinyproxy, username/password for microsocks). @default none */
  user?: string;
  password?: string;
}

/** A running proxy. */
export interface TestProxy {
  /** What to give `--proxy`: `http://127.0.0.1:PORT`, `socks5://127.0.0.1:PORT`, with `user:password@` if it asks. */
  url: string;
  port: number;
  /** The address sites see its requests come from. */
  egress: string;
  pid: number;
  /** What it logged so far. */
  log(): string;
  /** Stops it and waits until it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Every proxy started and not yet stopped: killed if a test process exits without stopping them. */
const RUNNING = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of RUNNING) child.kill("SIGKILL");
});

/**
 * Starts tinyproxy in the foreground (`tinyproxy -d -c <conf>`) with a config of its own in a temporary folder: it
 * listens on 127.0.0.1, takes clients from 127.0.0.1 only, and logs each connection and request at level Info.
 *
 * @example
 * ```ts
 * import { startTinyproxy } from "./proxies.ts";
 * const proxy = await startTinyproxy();
 * // crawl({ start, proxy: [proxy.url] }) ...
 * await proxy.stop();
 * ```
 */
export async function startTinyproxy(options: ProxyOptions = {}): Promise<TestProxy> {
  if (TINYPROXY === undefined) throw new Error("tinyproxy is not installed (apt-get install -y tinyproxy)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-tinyproxy-"));
  const egress = options.egress ?? "127.0.0.2";
  const logFile = join(dir, "tinyproxy.log");
  const conf = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Allow 127.0.0.1",
    `Bind ${egress}`,
    `LogFile "${logFile}"`,
    "LogLevel Info",
    "MaxClients 100",
    "Timeout 30",
    ...(options.user === undefined ? [] : [`BasicAuth ${options.user} ${options.password ?? ""}`]),
  ];
  writeFileSync(join(dir, "tinyproxy.conf"), `${conf.join("\n")}\n`);
  const child = spawn(TINYPROXY, ["-d", "-c", join(dir, "tinyproxy.conf")], { stdio: "ignore" });
  const credentials = options.user === undefined ? "" : `${options.user}:${options.password ?? ""}@`;
  return started(child, port, egress, `http://${credentials}127.0.0.1:${port}`, () => readText(logFile), () => {
    rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Starts microsocks (`microsocks -i 127.0.0.1 -p PORT -b <egress>`), which writes a line on its stdout for each
 * connection it makes for a client ("client[5] 127.0.0.1: connected to 127.0.0.1:8080").
 *
 * @example
 * ```ts
 * import { startMicrosocks } from "./proxies.ts";
 * const proxy = await startMicrosocks({ user: "alice", password: "s3cret" });
 * await proxy.stop();
 * ```
 */
export async function startMicrosocks(options: ProxyOptions = {}): Promise<TestProxy> {
  if (MICROSOCKS === undefined) throw new Error("microsocks is not installed (apt-get install -y microsocks)");
  const port = await freePort();
  const egress = options.egress ?? "127.0.0.3";
  const auth = options.user === undefined ? [] : ["-u", options.user, "-P", options.password ?? ""];
  const child = spawn(MICROSOCKS, ["-i", "127.0.0.1", "-p", String(port), "-b", egress, ...auth], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (log += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (log += chunk));
  const credentials = options.user === undefined ? "" : `${options.user}:${options.password ?? ""}@`;
  return started(child, port, egress, `socks5://${credentials}127.0.0.1:${port}`, () => log, () => {});
}

/** A port of 127.0.0.1 where nothing listens: a proxy that is down. */
export async function deadProxyUrl(scheme = "http"): Promise<string> {
  return `${scheme}://127.0.0.1:${await freePort()}`;
}

async function started(
  child: ChildProcess,
  port: number,
  egress: string,
  url: string,
  log: () => string,
  cleanup: () => void,
): Promise<TestProxy> {
  RUNNING.add(child);
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    RUNNING.delete(child);
    cleanup();
  };
  try {
    await waitForPort(port, child);
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}; it logged: ${log()}`);
  }
  return { url, port, egress, pid: child.pid!, log, stop };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) throw new Error(`the proxy exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the proxy did not listen on port ${port}`);
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
