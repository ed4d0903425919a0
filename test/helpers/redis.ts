// A real Redis server for the tests of the shared crawl state: Debian's redis-server, started on 127.0.0.1 with a free
// port and a folder of its own, stopped after. Nothing stands in for it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where redis-server is, or `undefined` when it is not installed (tests then skip, saying how to install it). */
export const REDIS_SERVER = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

/** Why the Redis tests are skipped here, or `false` when they run. */
export const NO_REDIS = REDIS_SERVER === undefined ? "redis-server is not installed (apt-get install -y redis-server)" : false;

/** Options of {@linkcode startRedis}. */
export interface RedisOptions {
  /** Append-only file, fsynced at every write: what a crawl that must survive a Redis crash runs with. @default false */
  aof?: boolean;
  /** The port; a free one by default. A restarted server takes its predecessor's port and folder. */
  port?: number;
  /** The folder for its files. @default a new temporary folder, removed by stop() */
  dir?: string;
  /** More arguments of redis-server (`--cluster-enabled yes`). @default none */
  extra?: readonly string[];
}

/** A running redis-server. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>/0`. */
  url: string;
  port: number;
  dir: string;
  pid: number;
  /** Runs redis-cli with these arguments against it and returns its output. */
  cli(...args: string[]): string;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Shuts it down and removes its folder, unless the folder was given. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server on 127.0.0.1 and waits until it answers.
 *
 * @example
 * ```ts
 * import { startRedis } from "./redis.ts";
 * const redis = await startRedis({ aof: true });
 * // RedisCrawlState.connect({ url: redis.url, crawlId: "t" }) ...
 * await redis.stop();
 * ```
 */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  if (REDIS_SERVER === undefined) throw new Error(String(NO_REDIS));
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "rxcrawl-redis-"));
  const aof = options.aof === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...aof, "--dir", dir, "--daemonize", "no", "--logfile", join(dir, "redis.log")],
      ...(options.extra ?? []),
    ],
    { stdio: "ignore" },
  );
  const exited = once(child, "exit");
  await waitForPort(port, child);
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    dir,
    pid: child.pid!,
    cli: (...args) => execFileSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" }),
    kill: () => stop("SIGKILL"),
    async stop() {
      await stop("SIGTERM");
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port of 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ready = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1", () => {
        socket.write("PING\r\n");
        socket.once("data", (data) => {
          socket.destroy();
          resolve(data.toString().startsWith("+PONG"));
        });
      });
    });
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}
