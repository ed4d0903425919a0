import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { resolve } from "node:path";
import { map, type MonoTypeOperatorFunction, Observable } from "rxjs";
import { UsageError } from "../../errors.ts";
import type { RobotsFetch } from "../../fetch/robots.ts";
import type { CrawlRequest, PageRecord } from "../../records.ts";
import { completeRows } from "../../sinks/complete_rows.ts";
import { positiveInteger } from "../../validate.ts";
import { checkSameCrawl, type CrawlDefinition } from "../crawl_definition.ts";
import type { CommitResult, CrawlCounts, CrawlPlan, CrawlState, Lease, LeaseBatch, OpenedCrawl, Outcome } from "../crawl_state.ts";
import { decodeRequest, encodeRequest } from "../request_line.ts";
import { type CrawlKeys, crawlKeys, SEEN_BUCKET_BITS } from "./keys.ts";
import { type CommandSender, runScript } from "./script_runner.ts";
import * as scripts from "./scripts.ts";
import { sharedRobots } from "./shared_robots.ts";
import { isGone, thisWorker, type WorkerInfo, workerOutput } from "./worker_process.ts";

/** Options of {@linkcode RedisCrawlState.connect}. */
export interface RedisCrawlStateOptions {
  /** The server: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /** The crawl's name: every process connected with the same name shares the crawl. */
  crawlId: string;
  /**
   * The output this process writes rows to, CSV or JSONL. Each process writes its own file beside it, named with its
   * worker id (`books.csv` → `books.w3.csv`, see {@linkcode RedisCrawlState.output}), and a process on the same machine
   * completes the file of one that died. @default none: the records are only emitted
   */
  output?: string;
  /**
   * How long a lease lasts without a heartbeat, in milliseconds: a request held by a process that stops answering
   * (on another machine: a machine that dies, a pulled cable) goes back to the queue after that. Heartbeats come three
   * times per lease. @default 30000
   */
  leaseMs?: number;
}

/** The most records acknowledged in one call, and how long an acknowledgement may wait to be sent. */
const ACK_BATCH = 256;
const ACK_MS = 200;
/** How often, at most, a process looks for dead processes on its machine whose output it must complete. */
const TAKE_OVER_MS = 1000;

/**
 * A crawl state in Redis, shared by every process and machine connected with the same crawl id: they fetch from one
 * frontier, never fetch a URL twice, hold per-host limits and robots.txt together, and each finishes when the whole
 * crawl is over. Every change goes through one Lua script, so each step is atomic:
 *
 * - requests are **leased**, not popped: a lease has a deadline, kept alive by the holder's heartbeat, and a fencing
 *   token; a lease whose holder stops answering goes back to the queue, and a commit with a lease taken back is refused;
 * - a page's record is **committed** in the same step that checks its lease and admits its links, into its process's
 *   log; the process writes the record to its output and acknowledges it ({@linkcode acknowledge}), after which the log
 *   forgets it. When a process dies, another process on its machine counts the rows its file holds, cuts a torn last
 *   row, and takes over the records the file lacks: they reach the taker's output. So once every process has exited,
 *   the outputs together hold every page exactly once;
 * - the seen set keeps 48 bits of each URL's 64-bit hash in 2^16 buckets of integers (Redis intsets), about 9 bytes a
 *   URL, exact to 64 bits.
 *
 * @example
 * ```ts
 * import { lastValueFrom, map } from "rxjs";
 * import { crawl, pageRow, RedisCrawlState, writeCsv } from "rxcrawl";
 * const state = await RedisCrawlState.connect({ url: "redis://127.0.0.1:6379/0", crawlId: "books", output: "data/out/books.csv" });
 * try {
 *   await lastValueFrom(
 *     crawl({ start: "https://example.com/", state }).pipe(map((page) => pageRow(page)), writeCsv(state.output!), state.acknowledge()),
 *     { defaultValue: undefined },
 *   );
 * } finally {
 *   await state.disconnect();
 * }
 * ```
 */
export class RedisCrawlState implements CrawlState {
  /** This process's id in the crawl: `w1`, `w2`, … in the order they joined. */
  readonly worker: string;
  /** The crawl's name. */
  readonly crawlId: string;
  /** Commands this process sent to Redis so far: its round trips, as pipelined commands each count. */
  get calls(): number {
    return this.#calls;
  }
  /** The server, as the messages name it (its password hidden). */
  readonly where: string;
  /** The file this process writes to, `undefined` when it was given no output. */
  readonly output: string | undefined;
  readonly #client: Client;
  /** The client as the scripts see it: counting the calls. */
  readonly #sender: CommandSender;
  #calls = 0;
  readonly #keys: CrawlKeys;
  readonly #leaseMs: number;
  /** Lease tokens this process holds. */
  readonly #held = new Set<string>();
  #timers: NodeJS.Timeout[] = [];
  /** Commits sent and not answered yet. */
  readonly #committing = new Set<Promise<unknown>>();
  /** While a take-over runs, commits wait for it: see {@linkcode lease}. */
  #gate: Promise<void> | undefined;
  #lastTakeOver = 0;
  #lost: Error | undefined;
  #disconnected = false;

  private constructor(client: Client, crawlId: string, where: string, worker: string, output: string | undefined, leaseMs: number) {
    const keys = crawlKeys(crawlId);
    this.#client = client;
    this.#sender = { sendCommand: (args) => (this.#calls++, client.sendCommand(args)) };
    this.#keys = keys;
    this.crawlId = crawlId;
    this.where = where;
    this.worker = worker;
    this.output = output;
    this.#leaseMs = leaseMs;
  }

  /**
   * Connects to the server and joins crawl `crawlId` as a new worker. A server that cannot be reached is an error
   * naming it; the crawl itself is created or checked by `crawl()`, when it opens the state.
   */
  static async connect(options: RedisCrawlStateOptions): Promise<RedisCrawlState> {
    const { client, where } = await connectClient(options.url, options.crawlId);
    const leaseMs = positiveInteger("leaseMs", options.leaseMs ?? 30_000);
    const keys = crawlKeys(options.crawlId);
    try {
      const template = options.output;
      if (template !== undefined && !/\.(csv|jsonl|ndjson)$/i.test(template)) {
        throw new UsageError(
          `Expected the output of a shared crawl to end in .csv or .jsonl, got ${JSON.stringify(template)}: a process that dies must leave a file another can complete`,
        );
      }
      // The output's path around the worker id, which the registration hands out: resolved, for a taker to find it.
      const [before, after] = template === undefined ? ["", ""] : workerOutput(resolve(template), "\0").split("\0") as [string, string];
      const worker = String(
        await runScript(
          client,
          scripts.REGISTER,
          [keys.workerCount, keys.workers, keys.status, keys.alive],
          [JSON.stringify(thisWorker()), before, after],
        ),
      );
      const output = template === undefined ? undefined : workerOutput(template, worker);
      return new RedisCrawlState(client, options.crawlId, where, worker, output, leaseMs);
    } catch (error) {
      client.destroy();
      throw error instanceof UsageError ? error : lost(where, error);
    }
  }

  /**
   * The definition of crawl `crawlId` as stored: what a process that joins without start URLs crawls. Waits up to
   * `waitMs` for a crawl that does not exist yet (its first process may still be starting); `undefined` when none
   * came.
   */
  async definition(waitMs = 0): Promise<CrawlDefinition | undefined> {
    const until = Date.now() + waitMs;
    for (;;) {
      const stored = (await this.#call(() => this.#sender.sendCommand(["HGET", this.#keys.meta, "definition"]))) as string | null;
      if (stored !== null) return JSON.parse(stored) as CrawlDefinition;
      if (Date.now() >= until) return undefined;
      await sleep(Math.min(100, until - Date.now()));
    }
  }

  async open(plan: CrawlPlan): Promise<OpenedCrawl> {
    const starts = plan.start.map((request) => ({ request, seen: this.#keys.seen(request.url) }));
    const limit = (value: number) => (value === Infinity ? "inf" : String(value));
    const reply = (await this.#script(
      scripts.OPEN,
      [this.#keys.meta, this.#keys.queue, this.#keys.counts, ...starts.map(({ seen }) => seen.key)],
      [
        JSON.stringify(plan.definition),
        SEEN_BUCKET_BITS,
        limit(plan.maxPages),
        limit(plan.politeness.perHost),
        limit(plan.politeness.intervalMs === 0 ? Infinity : 1000 / plan.politeness.intervalMs),
        ...starts.flatMap(({ request, seen }) => [seen.member, encodeRequest(request)]),
      ],
    )) as [number, string, string, string, string, string];
    const [created, definition, bits] = reply;
    const where = `crawl "${this.crawlId}" in ${this.where}`;
    if (created === -1) throw new UsageError(`No ${where}: the first process of a crawl must give its start URLs`);
    if (created === 0) {
      checkSameCrawl(JSON.parse(definition) as CrawlDefinition, plan.definition, where);
      if (Number(bits) !== SEEN_BUCKET_BITS) {
        throw new UsageError(`Cannot continue the ${where}: its seen set has ${bits}-bit buckets, this version ${SEEN_BUCKET_BITS}`);
      }
    }
    const heartbeat = setInterval(() => this.#heartbeat(), Math.max(10, Math.floor(this.#leaseMs / 3)));
    heartbeat.unref();
    this.#timers.push(heartbeat);
    // The counts only: records taken over from a dead process go out with a lease of the crawl, so none here.
    const { counts } = await this.#lease(0);
    return { continued: created === 0, counts: counts! };
  }

  async lease(max: number): Promise<LeaseBatch> {
    const batch = await this.#lease(max);
    // A dead process on this machine may have committed records its output lacks. Looked for once a second, and
    // whenever the crawl looks over: it is not over for this process until they are taken over.
    if (batch.over || Date.now() - this.#lastTakeOver >= TAKE_OVER_MS) {
      this.#lastTakeOver = Date.now();
      const records = await this.#takeOverDead();
      if (records !== undefined) {
        batch.over = false;
        if (records.length > 0) (batch as LeaseBatch & { records?: PageRecord[] }).records = records;
      }
    }
    return batch;
  }

  async #lease(max: number): Promise<LeaseBatch> {
    const k = this.#keys;
    const reply = (await this.#script(
      scripts.LEASE,
      [k.queue, k.leases, k.leased, k.token, k.counts, k.held(this.worker)],
      [max, this.#leaseMs],
    )) as [number, number, number, number, number, string[]];
    const [queued, leased, admitted, done, errors, out] = reply;
    const leases = this.#leases(out);
    const readyIn = leases.length < max ? Infinity : 0;
    return { leases, over: queued === 0 && leased === 0, readyIn, counts: { admitted, done, errors, queued, leased } };
  }

  async claim(url: string): Promise<boolean> {
    const { key, member } = this.#keys.seen(url);
    return Number(await this.#script(scripts.CLAIM, [key], [member])) === 1;
  }

  async commit(lease: Lease, outcome: Outcome, next: number): Promise<CommitResult> {
    if (!("record" in outcome)) {
      // The request goes back to the queue with its progress, as a released one does.
      await this.#call(() => this.#sender.sendCommand(["HSET", this.#keys.leased, lease.token, encodeRequest(outcome.again)]));
      await this.release([lease]);
      const batch = await this.#lease(next);
      return { accepted: true, admitted: 0, leases: batch.leases, counts: batch.counts };
    }
    const { record, found } = outcome;
    // Checked again after each wait, and not awaited when open: from here to `#committing` nothing yields, so a
    // take-over that starts meanwhile sees this commit.
    while (this.#gate !== undefined) await this.#gate;
    const k = this.#keys;
    const seen = found.map((request) => ({ request, ...k.seen(request.url) }));
    const { links: _links, found: _found, ...kept } = record;
    const sent = this.#script(
      scripts.COMMIT,
      [k.leases, k.leased, k.queue, k.counts, k.meta, k.log(this.worker), k.held(this.worker), k.token, ...seen.map(({ key }) => key)],
      [
        lease.token,
        JSON.stringify(kept),
        record.error === "" ? "0" : "1",
        next,
        this.#leaseMs,
        ...seen.flatMap(({ request, member }) => [member, encodeRequest(request)]),
      ],
    );
    this.#committing.add(sent);
    const reply = (await sent.finally(() => this.#committing.delete(sent))) as unknown[];
    this.#held.delete(lease.token);
    if (reply[0] !== 1) return { accepted: false, admitted: 0, leases: [], counts: (await this.#lease(0)).counts };
    const [, added, admitted, done, errors, queued, leased, out] = reply as [number, number, number, number, number, number, number, string[]];
    return { accepted: true, admitted: added, leases: this.#leases(out), counts: { admitted, done, errors, queued, leased } };
  }

  /** The leases of a script's answer, { token, line, ... }, now held by this process. */
  #leases(out: readonly string[]): Lease[] {
    const leases: Lease[] = [];
    for (let i = 0; i < out.length; i += 2) {
      const request = decodeRequest(out[i + 1]!);
      if (request === undefined) continue;
      this.#held.add(out[i]!);
      leases.push({ ...request, token: out[i]! });
    }
    return leases;
  }

  async release(leases: readonly Lease[]): Promise<void> {
    if (leases.length === 0) return;
    const k = this.#keys;
    for (const lease of leases) this.#held.delete(lease.token);
    await this.#script(scripts.RELEASE, [k.leases, k.leased, k.queue, k.held(this.worker)], leases.map((lease) => lease.token));
  }

  sent(_lease: Lease): void {}

  reserve(_host: string): Promise<number> {
    return Promise.resolve(0);
  }

  shareRobots(fetch: RobotsFetch): RobotsFetch {
    return sharedRobots(this.#sender, this.#keys, this.worker)(fetch);
  }

  /**
   * Passes values on untouched and tells Redis, in batches, that that many more of this process's records are
   * written: put it right after the sink that writes every record of the crawl, one row each, in the order the crawl
   * emits them. Redis then forgets those records; without it they stay in the log until the crawl is removed.
   */
  acknowledge<T>(): MonoTypeOperatorFunction<T> {
    return (source) =>
      new Observable<T>((subscriber) => {
        let pending = 0;
        let timer: NodeJS.Timeout | undefined;
        let sending = Promise.resolve();
        const send = () => {
          clearTimeout(timer);
          timer = undefined;
          const count = pending;
          pending = 0;
          if (count === 0) return sending;
          const k = this.#keys;
          sending = sending.then(() =>
            this.#script(scripts.ACKNOWLEDGE, [k.log(this.worker), k.acked], [this.worker, count]).then(() => {}),
          );
          return sending;
        };
        const subscription = source
          .pipe(
            map((value) => {
              pending++;
              if (pending >= ACK_BATCH) void send().catch((error: unknown) => subscriber.error(error));
              else timer ??= setTimeout(() => void send().catch((error: unknown) => subscriber.error(error)), ACK_MS);
              return value;
            }),
          )
          .subscribe({
            next: (value) => subscriber.next(value),
            error: (error: unknown) => subscriber.error(error),
            complete: () =>
              send().then(
                () => subscriber.complete(),
                (error: unknown) => subscriber.error(error),
              ),
          });
        return () => {
          subscription.unsubscribe();
          clearTimeout(timer);
        };
      });
  }

  /** Stops the heartbeat; the connection stays open for the last acknowledgements until {@linkcode disconnect}. */
  close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    return Promise.resolve();
  }

  /**
   * Leaves the crawl and closes the connection: the worker is marked done when Redis holds nothing of it any more
   * (its records acknowledged, its leases given back); otherwise it stays, for another process on this machine to
   * complete its output. Safe to call twice.
   */
  async disconnect(): Promise<void> {
    if (this.#disconnected) return;
    this.#disconnected = true;
    await this.close();
    const k = this.#keys;
    try {
      if (this.#lost === undefined) {
        await runScript(this.#sender, scripts.LEAVE, [k.status, k.alive, k.log(this.worker), k.held(this.worker)], [this.worker]);
      }
      await this.#client.close();
    } catch {
      this.#client.destroy();
    }
  }

  /**
   * Removes every key of crawl `crawlId`: its frontier, seen set, counts, logs and workers. Resolves with the number
   * of keys removed.
   *
   * @example
   * ```ts
   * import { RedisCrawlState } from "rxcrawl";
   * await RedisCrawlState.remove("redis://127.0.0.1:6379/0", "books");
   * ```
   */
  static async remove(url: string, crawlId: string): Promise<number> {
    const { client, where } = await connectClient(url, crawlId);
    try {
      const keys = crawlKeys(crawlId);
      let removed = 0;
      let cursor = "0";
      do {
        const [next, found] = (await client.sendCommand(["SCAN", cursor, "MATCH", `${escapeGlob(keys.prefix)}*`, "COUNT", "1000"])) as [string, string[]];
        cursor = next;
        if (found.length > 0) removed += Number(await runScript(client, scripts.REMOVE, found, []));
      } while (cursor !== "0");
      return removed;
    } catch (error) {
      throw lost(where, error);
    } finally {
      await client.close().catch(() => client.destroy());
    }
  }

  #heartbeat(): void {
    const k = this.#keys;
    this.#script(scripts.HEARTBEAT, [k.leases, k.alive, k.status], [this.worker, this.#leaseMs, ...this.#held]).catch(() => {
      // A lost connection is reported by the next lease or commit.
    });
  }

  /**
   * Completes the output of every dead process on this machine: counts the rows its file holds (cutting a torn last
   * one), and takes over the records it committed that the file lacks, and its leases. Resolves with those records,
   * or `undefined` when no dead process was found.
   *
   * Records reach this process's output in the order they entered its log, which `acknowledge` relies on. So while a
   * take-over runs, commits wait (the gate), and it starts only once the commits in flight are answered and their
   * records emitted; the records it takes go out with the lease that ran it, before any later commit's answer.
   */
  async #takeOverDead(): Promise<PageRecord[] | undefined> {
    const k = this.#keys;
    const running = (await this.#script(scripts.RUNNING, [k.status, k.workers, k.alive], [])) as (string | number)[];
    const dead: [string, WorkerInfo][] = [];
    for (let i = 0; i < running.length; i += 3) {
      const worker = String(running[i]);
      const info = JSON.parse(String(running[i + 1])) as WorkerInfo;
      if (worker !== this.worker && isGone(info)) dead.push([worker, info]);
    }
    if (dead.length === 0) return undefined;
    let open!: () => void;
    this.#gate = new Promise((resolve) => (open = resolve));
    try {
      await Promise.allSettled([...this.#committing]);
      const taken: PageRecord[] = [];
      for (const [worker, info] of dead) {
        const rows = info.output !== null && existsSync(info.output) ? await completeRows(info.output) : 0;
        const records = (await this.#script(
          scripts.TAKE_OVER,
          [k.status, k.alive, k.acked, k.log(worker), k.log(this.worker), k.held(worker), k.leases, k.leased, k.queue],
          [worker, this.worker, rows, 0],
        )) as string[] | null;
        for (const record of records ?? []) taken.push({ ...(JSON.parse(record) as Omit<PageRecord, "links">), links: [] });
      }
      return taken;
    } finally {
      this.#gate = undefined;
      open();
    }
  }

  #script(script: scripts.Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.#call(() => runScript(this.#sender, script, keys, args));
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
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

type Client = CommandSender & { close(): Promise<void>; destroy(): void };

/** Connects, failing at once when the server cannot be reached or the connection drops (no silent reconnecting). */
async function connectClient(url: string, crawlId: string): Promise<{ client: Client; where: string }> {
  if (!/^[\w.:-]+$/.test(crawlId)) {
    throw new UsageError(`Expected the crawl id to be letters, digits, ".", "_", ":" or "-", got ${JSON.stringify(crawlId)}`);
  }
  let where: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new Error("not redis");
    parsed.password = parsed.password === "" ? "" : "***";
    where = parsed.href;
  } catch {
    throw new UsageError(`Expected a Redis URL like redis://host:6379/0, got ${JSON.stringify(url)}`);
  }
  // Loaded here, not with the module: a crawl that shares nothing does not pay for the client.
  const { createClient } = await import("@redis/client");
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 5000 }, disableOfflineQueue: true });
  client.on("error", () => {}); // every failure also rejects the command it breaks, which reports it
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw new Error(`Cannot reach Redis at ${where}: ${reason(error)}`, { cause: error });
  }
  return { client: client as unknown as Client, where };
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

/** An error the server answered with (a script's, a wrong type): not a lost connection. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && /^(ERR|WRONGTYPE|NOSCRIPT|BUSY|OOM|READONLY)\b/.test(error.message);
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
