import type { RedisConnection } from "./connection.ts";
import type { CrawlShards } from "./crawl_shards.ts";
import type { CrawlKeys } from "./keys.ts";
import { SWAP_STATUS, WORKERS } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";
import { ACKNOWLEDGE, FORGET, LEFT, RECLAIM } from "./scripts/shard_scripts.ts";

/** A worker of the crawl, as the crawl's registry holds it. */
export interface WorkerEntry {
  worker: string;
  /** `running`, `done`, or `taking <worker>` while another completes what it left. */
  status: string;
  /** What it told about itself (see {@linkcode WorkerRecords.describe}). */
  about: Record<string, unknown>;
}

/**
 * The records a shared crawl keeps for its workers' outputs, and the registry of workers: what an output that must
 * hold every page exactly once needs of the state (`SharedOutput`), and no more. A commit keeps its page's record in
 * its shard, in a log of the worker's, until the worker's output acknowledges it written; a worker that died leaves
 * its log for a process on its machine to complete its output with.
 *
 * @example
 * ```ts
 * const records = state.records;
 * await records.describe({ host: "crawler-1", pid: 4242 });
 * await records.acknowledge(["https://example.com/"]);
 * ```
 */
export class WorkerRecords {
  readonly #connection: RedisConnection;
  readonly #keys: CrawlKeys;
  readonly #worker: string;
  readonly #shards: () => CrawlShards | undefined;
  /** The shard each record not acknowledged yet was committed in, by URL. */
  readonly #committedIn = new Map<string, number>();

  constructor(connection: RedisConnection, keys: CrawlKeys, worker: string, shards: () => CrawlShards | undefined) {
    this.#connection = connection;
    this.#keys = keys;
    this.#worker = worker;
    this.#shards = shards;
  }

  /** This process's worker id. */
  get worker(): string {
    return this.#worker;
  }

  /** Notes that the record of `url` was committed in shard `shard`. */
  committed(url: string, shard: number): void {
    this.#committedIn.set(url, shard);
  }

  /** Stores what this worker tells the others about itself (its machine, process and output: see `SharedOutput`). */
  async describe(about: Record<string, unknown>): Promise<void> {
    await this.#connection.send(this.#keys.workers, ["HSET", this.#keys.workers, this.#worker, JSON.stringify(about)]);
  }

  /** Forgets the records of these URLs, written to this worker's output. */
  async acknowledge(urls: readonly string[]): Promise<void> {
    const shards = this.#shards();
    if (shards === undefined || urls.length === 0) return;
    const byShard = new Map<number, string[]>();
    for (const url of urls) {
      const shard = this.#committedIn.get(url);
      if (shard === undefined) continue;
      this.#committedIn.delete(url);
      byShard.set(shard, [...(byShard.get(shard) ?? []), url]);
    }
    await Promise.all([...byShard].map(([shard, some]) => shards.run(shard, ACKNOWLEDGE, [this.#worker, ...some])));
  }

  /** Every worker the crawl has had. */
  async workers(): Promise<WorkerEntry[]> {
    const flat = (await runScript(this.#connection, WORKERS, [this.#keys.workers, this.#keys.status], [])) as string[];
    const entries: WorkerEntry[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      entries.push({ worker: flat[i]!, status: flat[i + 1]!, about: JSON.parse(flat[i + 2]!) as Record<string, unknown> });
    }
    return entries;
  }

  /**
   * Takes over a dead worker, if its status is still `status` (no other process took it since): marks it `taking`
   * by this one, and gives the leases it held back to their hosts. Resolves with false when another took it first.
   */
  async takeOver(worker: string, status: string): Promise<boolean> {
    const taken = await runScript(this.#connection, SWAP_STATUS, [this.#keys.status], [worker, status, `taking ${this.#worker}`]);
    if (Number(taken) !== 1) return false;
    await this.#everyShard((shards, shard) => shards.step(shard, RECLAIM, [worker]));
    return true;
  }

  /** The records worker `worker` committed and did not acknowledge, over every shard, each as JSON (without links). */
  async unwritten(worker: string): Promise<string[]> {
    const left = (await this.#everyShard((shards, shard) => shards.run(shard, LEFT, [worker]))) as [string[], number, number][];
    return left.flatMap(([records]) => records);
  }

  /** Forgets what worker `worker` left, now that this process completed its output, and marks it done. */
  async completed(worker: string): Promise<void> {
    await this.#everyShard((shards, shard) => shards.run(shard, FORGET, [worker]));
    await runScript(this.#connection, SWAP_STATUS, [this.#keys.status], [worker, `taking ${this.#worker}`, "done"]);
  }

  /**
   * Marks this worker done if Redis holds nothing of it any more: its records acknowledged, its leases given back.
   * Otherwise it stays running, for a process on its machine to complete its output.
   */
  async leave(): Promise<void> {
    const left = (await this.#everyShard((shards, shard) => shards.run(shard, LEFT, [this.#worker]))) as [string[], number, number][];
    if (left.some(([records, , held]) => records.length > 0 || Number(held) > 0)) return;
    await runScript(this.#connection, SWAP_STATUS, [this.#keys.status], [this.#worker, "running", "done"]);
  }

  async #everyShard(call: (shards: CrawlShards, shard: number) => Promise<unknown>): Promise<unknown[]> {
    const shards = this.#shards();
    if (shards === undefined) return [];
    return Promise.all(Array.from({ length: shards.count }, (_, shard) => call(shards, shard)));
  }
}
