// A real Redis Cluster for the tests of a crawl spread over one: three masters of Debian's redis-server on 127.0.0.1,
// each with its append-only file in a folder of its own, joined by `redis-cli --cluster create`, stopped after.
import { after, before } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, NO_REDIS, startRedis, type TestRedis } from "./redis.ts";

/** A running three-master cluster. */
export interface TestCluster {
  /** `redis://127.0.0.1:<port>/0` of its first master: any node finds the whole cluster. */
  url: string;
  /** Its masters, in the order of their slots. */
  nodes: TestRedis[];
  /** Kills master `i` at once (SIGKILL), as a crash would. */
  kill(i: number): Promise<void>;
  /** Starts master `i` again, on its port, from its folder (its append-only file and nodes.conf), and waits for the cluster to be ok. */
  restart(i: number): Promise<void>;
  /** Shuts every master down and removes their folders. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startCluster}. */
export interface ClusterOptions {
  /** Append-only files fsynced at every write, which a restarted master reloads. @default true */
  aof?: boolean;
}

/**
 * Starts three cluster-enabled redis-servers (with their append-only files fsynced at every write, by default),
 * creates a cluster of them with no replica, and waits until it answers `cluster_state:ok`.
 *
 * @example
 * ```ts
 * import { startCluster } from "./redis_cluster.ts";
 * const cluster = await startCluster();
 * // RedisCrawlState.connect({ url: cluster.url, crawlId: "t" }) ...
 * await cluster.stop();
 * ```
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  if (NO_REDIS !== false) throw new Error(NO_REDIS);
  const root = mkdtempSync(join(tmpdir(), "rxcrawl-cluster-"));
  const nodes: TestRedis[] = [];
  const start = async (port: number | undefined, dir: string) =>
    startRedis({
      aof: options.aof ?? true,
      dir,
      ...(port === undefined ? {} : { port }),
      extra: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
    });
  try {
    for (let i = 0; i < 3; i++) {
      const dir = join(root, `node${i}`);
      mkdirSync(dir);
      nodes.push(await start(await freePort(), dir));
    }
    execFileSync(
      "redis-cli",
      ["--cluster", "create", ...nodes.map((node) => `127.0.0.1:${node.port}`), "--cluster-replicas", "0", "--cluster-yes"],
      { stdio: "ignore" },
    );
    await clusterOk(nodes);
  } catch (error) {
    for (const node of nodes) await node.stop();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url: nodes[0]!.url,
    nodes,
    kill: (i) => nodes[i]!.kill(),
    async restart(i) {
      const node = nodes[i]!;
      nodes[i] = await start(node.port, node.dir);
      await clusterOk(nodes);
    },
    async stop() {
      for (const node of nodes) await node.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Waits until every node says `cluster_state:ok`. */
async function clusterOk(nodes: readonly TestRedis[]): Promise<void> {
  for (let tries = 0; tries < 400; tries++) {
    if (nodes.every((node) => /^cluster_state:ok\b/m.test(node.cli("CLUSTER", "INFO")))) return;
    await sleep(50);
  }
  throw new Error("the cluster did not reach cluster_state:ok in 20 s");
}

/**
 * Starts a Redis server and a three-master cluster before the file's tests, and stops both after (neither where
 * redis-server is missing): the servers a file that runs its cases on both uses.
 */
export function redisAndCluster(): { readonly redis: TestRedis | undefined; readonly cluster: TestCluster | undefined } {
  const servers: { redis: TestRedis | undefined; cluster: TestCluster | undefined } = { redis: undefined, cluster: undefined };
  before(async () => {
    if (NO_REDIS !== false) return;
    [servers.redis, servers.cluster] = await Promise.all([startRedis(), startCluster()]);
  });
  after(async () => {
    await Promise.all([servers.redis?.stop(), servers.cluster?.stop()]);
  });
  return servers;
}
