import { UsageError } from "../../errors.ts";
import type { CommandSender } from "./scripts/run_script.ts";

/**
 * A connection to the Redis that holds a crawl: one server, or a Redis Cluster found from any of its nodes. A
 * command goes to the node that holds its key. It never reconnects by itself: the first failure is the connection
 * lost, and every call after it fails the same way, so that a process stops in one line and the same command,
 * run again, continues.
 */
export interface RedisConnection extends CommandSender {
  /** The server as the messages name it (its password hidden). */
  readonly where: string;
  /** Whether it is a Redis Cluster. */
  readonly cluster: boolean;
  /** Commands sent so far. */
  readonly calls: number;
  /** A sender of commands to each master (one server: to it), for what spans the key space (SCAN). */
  masters(): Promise<((command: string[]) => Promise<unknown>)[]>;
  close(): Promise<void>;
}

/** Options of {@linkcode connectRedis}. */
export interface ConnectOptions {
  /** Milliseconds to wait for a node to answer a connection. @default 5000 */
  connectTimeout?: number;
}

/**
 * Connects to the server `url` names, or, when it is a node of a Redis Cluster (`INFO cluster` says
 * `cluster_enabled:1`), to the whole cluster through it. A server that cannot be reached is an error naming it; a
 * URL that is not Redis's is a `UsageError`.
 *
 * @example
 * ```ts
 * import { connectRedis } from "./connection.ts";
 * const connection = await connectRedis("redis://127.0.0.1:7000/0"); // a cluster's node: the cluster
 * ```
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<RedisConnection> {
  const where = describe(url);
  const socket = { reconnectStrategy: false as const, connectTimeout: options.connectTimeout ?? 5000 };
  // Loaded here, not with the module: a crawl that shares nothing does not pay for the client.
  const { createClient, createCluster } = await import("@redis/client");
  const probe = createClient({ url, socket, disableOfflineQueue: true });
  probe.on("error", () => {}); // every failure also rejects the command it breaks, which reports it
  let clustered: boolean;
  try {
    await probe.connect();
    clustered = /^cluster_enabled:1\b/m.test(String(await probe.sendCommand(["INFO", "cluster"])));
  } catch (error) {
    probe.destroy();
    throw new Error(`Cannot reach Redis at ${where}: ${reason(error)}`, { cause: error });
  }
  if (!clustered) return new Connection(where, false, (_key, args) => probe.sendCommand(args), async () => [(command) => probe.sendCommand(command)], probe);
  probe.destroy();
  const { username, password } = new URL(url);
  const cluster = createCluster({
    rootNodes: [{ url }],
    defaults: {
      socket,
      disableOfflineQueue: true,
      ...(username === "" ? {} : { username: decodeURIComponent(username) }),
      ...(password === "" ? {} : { password: decodeURIComponent(password) }),
    },
  });
  cluster.on("error", () => {});
  try {
    await cluster.connect();
  } catch (error) {
    cluster.destroy();
    throw new Error(`Cannot reach Redis at ${where}: ${reason(error)}`, { cause: error });
  }
  const masters = () =>
    Promise.all(
      cluster.masters.map(async (master) => {
        const client = await cluster.nodeClient(master);
        return (command: string[]) => client.sendCommand(command);
      }),
    );
  return new Connection(where, true, (key, args) => cluster.sendCommand(key, false, args), masters, cluster);
}

class Connection implements RedisConnection {
  readonly where: string;
  readonly cluster: boolean;
  #calls = 0;
  #lost: Error | undefined;
  readonly #send: (key: string, args: string[]) => Promise<unknown>;
  readonly #masters: () => Promise<((command: string[]) => Promise<unknown>)[]>;
  readonly #client: { close(): Promise<unknown>; destroy(): unknown };

  constructor(
    where: string,
    cluster: boolean,
    send: (key: string, args: string[]) => Promise<unknown>,
    masters: () => Promise<((command: string[]) => Promise<unknown>)[]>,
    client: { close(): Promise<unknown>; destroy(): unknown },
  ) {
    this.where = where;
    this.cluster = cluster;
    this.#send = send;
    this.#masters = masters;
    this.#client = client;
  }

  get calls(): number {
    return this.#calls;
  }

  send(key: string, args: string[]): Promise<unknown> {
    this.#calls++;
    return this.#guard(() => this.#send(key, args));
  }

  async masters(): Promise<((command: string[]) => Promise<unknown>)[]> {
    const senders = await this.#guard(() => this.#masters());
    return senders.map((send) => (command) => this.#guard(() => send(command)));
  }

  async close(): Promise<void> {
    try {
      if (this.#lost !== undefined) throw this.#lost;
      await this.#client.close();
    } catch {
      this.#client.destroy();
    }
  }

  async #guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.#lost !== undefined) throw this.#lost;
    try {
      return await call();
    } catch (error) {
      if (isReplyError(error)) throw error;
      this.#lost ??= lost(this.where, error);
      throw this.#lost;
    }
  }
}

/** The URL as messages show it, its password hidden; a URL that is not Redis's is a usage error. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new Error("not redis");
    parsed.password = parsed.password === "" ? "" : "***";
    return parsed.href;
  } catch {
    throw new UsageError(`Expected a Redis URL like redis://host:6379/0, got ${JSON.stringify(url)}`);
  }
}

function lost(where: string, error: unknown): Error {
  return new Error(
    `Lost the connection to Redis at ${where}: ${reason(error)}. What was committed is kept; run the same command again to continue`,
    { cause: error },
  );
}

function reason(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(reason).join("; ");
  const { code, message } = error as { code?: string; message?: string };
  return code ?? message ?? String(error);
}

/**
 * An error the server answered with (a script's, a wrong type): not a lost connection. A cluster that is down or
 * moving its slots, or a server loading its data after a restart, counts as lost: the command, run again later,
 * continues.
 */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && /^(ERR|WRONGTYPE|NOSCRIPT|BUSY|OOM|READONLY|NOPERM|WRONGPASS)\b/.test(error.message);
}
