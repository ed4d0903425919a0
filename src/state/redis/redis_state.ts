import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../../errors.ts";
import type { RobotsFetch } from "../../fetch/robots.ts";
import { type CrawlRequest, nextUrl, type PageRecord } from "../../records.ts";
import { hostOf } from "../../url.ts";
import { positiveInteger } from "../../validate.ts";
import type { CrawlDefinition } from "../crawl_definition.ts";
import type { CommitResult, CrawlPlan, CrawlState, Lease, LeaseBatch, OpenedCrawl, Outcome } from "../crawl_state.ts";
import { decodeRequest, encodeRequest } from "../request_line.ts";
import type { Budget } from "./budget.ts";
import { connectRedis, type RedisConnection } from "./connection.ts";
import { RedisCookieStore } from "./cookie_store.ts";
import { crawlIsOver } from "./crawl_end.ts";
import type { CrawlShards } from "./crawl_shards.ts";
import { type CrawlKeys, crawlKeys, seenEntry } from "./keys.ts";
import { leaseQuotas, readyIn, staleShards } from "./lease_plan.ts";
import { openCrawl } from "./open_crawl.ts";
import { type Outbox, pairs, routeFound } from "./outbox.ts";
import { removeCrawl } from "./remove_crawl.ts";
import { CRAWL_STATUS, REGISTER } from "./scripts/crawl_scripts.ts";
import { runScript } from "./scripts/run_script.ts";
import { CLAIM, COMMIT, HEARTBEAT, LEASE, PACE, RELEASE, RENDER, RESERVE, SENT } from "./scripts/shard_scripts.ts";
import { sharedRobots } from "./shared_robots.ts";
import { WorkerRecords } from "./worker_records.ts";

/** Options of {@linkcode RedisCrawlState.connect}. */
export interface RedisCrawlStateOptions {
  /**
   * The server, `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS); or any node of a Redis
   * Cluster, through which the crawl finds the whole cluster.
   */
  url: string;
  /** The crawl's name: every process connected with the same name shares the crawl. */
  crawlId: string;
  /**
   * How long a lease lasts without a heartbeat, in milliseconds: a request held by a process that stops answering
   * (on another machine: a machine that dies, a pulled cable) goes back to its host's queue after that. Heartbeats
   * come three times per lease. @default 30000
   */
  leaseMs?: number;
  /**
   * The shards a new crawl is spread over, by site (a host's registrable domain, see `siteOf`): each shard's keys
   * share a hash tag, so a Redis Cluster spreads the shards over its masters. Fixed when the crawl is created; a
   * process that joins takes the crawl's.
   * @default 16 on a Redis Cluster, 1 on one server
   */
  shards?: number;
  /**
   * Keeps each committed page's record in Redis until this process's output acknowledges it written (see
   * `SharedOutput`), so that the output of a process that dies can be completed. @default false
   */
  keepRecords?: boolean;
}

/** A start this process was given: a lease's, or a reservation. */
interface Given {
  shard: number;
  host: string;
  /** When the call that gave it was sent (`performance.now()`), and its grant on the shard's clock. */
  asked: number;
  at: number;
}

/** What this process knows of a lease it holds. */
interface Held extends Given {
  /** Its host's interval, ms: with one, its start is open until its request leaves. */
  interval: number;
}

/** A start whose request has not left yet (a reservation, or a paced lease's), and its id, which closes it. */
interface OpenStart extends Given {
  id: string;
}

/**
 * The least wait before asking again for a start on a host whose last start is open: the shard says an interval,
 * the soonest its next start can be.
 */
const OPEN_LOOK_MS = 5;

/**
 * A crawl state in Redis, shared by every process and machine connected with the same crawl id: they lease from one
 * frontier, never fetch a URL twice, keep every host's pace together, fetch each robots.txt once, and each finishes
 * when the whole crawl is over. Every change is one Lua script, so each step is atomic:
 *
 * - the frontier is per host: a host's requests wait in its own queues (a fetch under way first, then shallower
 *   pages, then first come), and the hosts wait in a sorted set by their next start on Redis's clock; a lease takes
 *   the hosts ready now in turn, so no host takes every slot; on a host with an interval, a start is open until its
 *   request has left, and the host gives no other to any process meanwhile;
 * - requests are **leased**, not popped: a lease has a deadline, kept alive by the holder's heartbeat, and a fencing
 *   token; a lease whose holder stops answering goes back to the front of its host, and a commit with a lease taken
 *   back is refused;
 * - a page's record is **committed** in the step that checks its lease and admits its links, and kept (with
 *   `keepRecords`) until its process's output says it is written: see `SharedOutput`;
 * - the crawl is spread over **shards** by site, each one hash tag (a Redis Cluster spreads them over its masters);
 *   a page's links to hosts of other shards leave through an outbox in its own shard and are applied to theirs once
 *   each, and the starts `maxPages` allows are shared out by grants (see `budget.ts`);
 * - the **seen set** keeps each URL's 64-bit hash as an integer in buckets that split before they outgrow an intset:
 *   about 9 bytes a URL at any size, exact;
 * - the crawl's **cookie jar** is in the shards too, by site (see `RedisCookieStore`), so a cookie one process
 *   receives is sent by all.
 *
 * @example
 * ```ts
 * import { lastValueFrom } from "rxjs";
 * import { crawl, RedisCrawlState } from "rxcrawl";
 * const state = await RedisCrawlState.connect({ url: "redis://127.0.0.1:6379/0", crawlId: "books" });
 * try {
 *   await lastValueFrom(crawl({ start: "https://example.com/", state }), { defaultValue: undefined });
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
  /** The server, as the messages name it (its password hidden). */
  readonly where: string;
  /** What this process's output needs of the crawl: its records, and the workers that died (see `SharedOutput`). */
  readonly records: WorkerRecords;
  readonly #connection: RedisConnection;
  readonly #keys: CrawlKeys;
  readonly #leaseMs: number;
  readonly #shardsWanted: number | undefined;
  readonly #keepRecords: boolean;
  #shards: CrawlShards | undefined;
  #budget: Budget | undefined;
  #outbox: Outbox | undefined;
  #cookies: RedisCookieStore | undefined;
  readonly #held = new Map<string, Held>();
  /** Starts reserved here whose request has not left yet, by host, in the order taken. */
  readonly #reserved = new Map<string, OpenStart[]>();
  #timers: NodeJS.Timeout[] = [];
  #turn = 0;
  #disconnected = false;

  private constructor(connection: RedisConnection, options: RedisCrawlStateOptions, worker: string) {
    this.#connection = connection;
    this.#keys = crawlKeys(options.crawlId);
    this.crawlId = options.crawlId;
    this.where = connection.where;
    this.worker = worker;
    this.#leaseMs = positiveInteger("leaseMs", options.leaseMs ?? 30_000);
    this.#shardsWanted = options.shards;
    this.#keepRecords = options.keepRecords ?? false;
    this.records = new WorkerRecords(connection, this.#keys, worker, () => this.#shards);
  }

  /** Commands this process sent to Redis so far: its round trips, as pipelined commands each count. */
  get calls(): number {
    return this.#connection.calls;
  }

  /**
   * Connects to the server, or the cluster, and joins crawl `crawlId` as a new worker. A server that cannot be
   * reached is an error naming it; the crawl itself is created or checked by `crawl()`, when it opens the state.
   */
  static async connect(options: RedisCrawlStateOptions): Promise<RedisCrawlState> {
    checkCrawlId(options.crawlId);
    positiveInteger("leaseMs", options.leaseMs ?? 30_000);
    if (options.shards !== undefined) positiveInteger("shards", options.shards);
    const connection = await connectRedis(options.url);
    try {
      const keys = crawlKeys(options.crawlId);
      const worker = String(await runScript(connection, REGISTER, [keys.workerCount, keys.workers, keys.status], ["{}"]));
      return new RedisCrawlState(connection, options, worker);
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Whether the server is a Redis Cluster. */
  get cluster(): boolean {
    return this.#connection.cluster;
  }

  /**
   * The definition of crawl `crawlId` as stored: what a process that joins without start URLs crawls. Waits up to
   * `waitMs` for a crawl that does not exist yet (its first process may still be starting); `undefined` when none
   * came.
   */
  async definition(waitMs = 0): Promise<CrawlDefinition | undefined> {
    const until = Date.now() + waitMs;
    for (;;) {
      const stored = (await this.#connection.send(this.#keys.meta, ["HGET", this.#keys.meta, "definition"])) as string | null;
      if (stored !== null) return JSON.parse(stored) as CrawlDefinition;
      if (Date.now() >= until) return undefined;
      await sleep(Math.min(100, until - Date.now()));
    }
  }

  async open(plan: CrawlPlan): Promise<OpenedCrawl> {
    const opened = await openCrawl(this.#connection, this.crawlId, this.worker, plan, this.#shardsWanted);
    this.#shards = opened.shards;
    this.#budget = opened.budget;
    this.#outbox = opened.outbox;
    const heartbeat = setInterval(() => this.#heartbeat(), Math.max(10, Math.floor(this.#leaseMs / 3)));
    heartbeat.unref();
    this.#timers.push(heartbeat);
    return { continued: opened.continued, counts: opened.shards.counts() };
  }

  async lease(max: number): Promise<LeaseBatch> {
    const shards = this.#open();
    const leases = shards.count === 1 ? await this.#leaseFrom(0, max) : await this.#leaseAcross(max);
    const over = leases.length === 0 && (await crawlIsOver(this.#connection, this.#keys, shards, this.#outbox!, this.#budget!));
    const waitFor = leases.length >= max ? 0 : readyIn(shards.summaries, this.#budget!.mayStart());
    return { leases, over, readyIn: waitFor, counts: shards.counts() };
  }

  /**
   * Leases from the shards whose hosts are ready, as their last answers say; if fewer came than asked for, once more
   * from the shards that gave all they were asked for and those not heard from lately (another process's links may
   * have come), in turn.
   */
  async #leaseAcross(max: number): Promise<Lease[]> {
    const shards = this.#open();
    const ask = async (quotas: readonly number[]) => {
      const got = await Promise.all(quotas.map((quota, shard) => (quota > 0 ? this.#leaseFrom(shard, quota) : [])));
      return { got, leases: got.flat() };
    };
    const mayStart = this.#budget!.mayStart();
    const first = leaseQuotas(shards.summaries, max, performance.now(), this.#turn++ % shards.count, mayStart);
    const { got, leases } = await ask(first);
    if (leases.length >= max) return leases;
    const more = new Set(staleShards(shards.summaries, performance.now(), mayStart));
    first.forEach((quota, shard) => quota > 0 && got[shard]!.length === quota && more.add(shard));
    if (more.size === 0) return leases;
    const second = shards.summaries.map(() => 0);
    const order = [...more].sort((a, b) => a - b);
    for (let left = max - leases.length, i = this.#turn; left > 0; left--, i++) second[order[i % order.length]!]!++;
    return [...leases, ...(await ask(second)).leases];
  }

  async #leaseFrom(shard: number, max: number): Promise<Lease[]> {
    const starts = await this.#budget!.take(max);
    const asked = performance.now();
    const [out, time, made] = (await this.#open().step(shard, LEASE, [max, this.#leaseMs], starts)) as [(string | number)[], number, number];
    this.#budget!.made(starts, Number(made));
    return this.#take(shard, out, Number(time), asked);
  }

  async claim(url: string): Promise<boolean> {
    const shards = this.#open();
    const { top, low } = seenEntry(url);
    return Number(await shards.run(shards.of(hostOf(url)), CLAIM, [top, low])) === 1;
  }

  async commit(lease: Lease, outcome: Outcome, next: number): Promise<CommitResult> {
    const shards = this.#open();
    const shard = this.#held.get(lease.token)?.shard ?? Number(lease.token.split(".")[0]);
    this.#held.delete(lease.token);
    const finished = "record" in outcome;
    const again = finished ? undefined : { request: outcome.again, delayMs: outcome.delayMs };
    const { local, outgoing } = routeFound(shards, shard, outcome.found ?? [], again);
    const pace = outcome.pace;
    const paceHere = pace !== undefined && shards.of(pace.host) === shard;
    // A page decides for its lease's host, in the lease's shard, in the same step; a host elsewhere is told next.
    const render = finished ? outcome.render : undefined;
    const renderHere = render !== undefined && shards.of(render.host) === shard;
    const ending = finished ? this.#finishedArgs(outcome.record) : continuedArgs(shards.of.bind(shards), shard, outcome.again, outcome.delayMs);
    const starts = await this.#budget!.take(next);
    const asked = performance.now();
    const reply = await shards.step(shard, COMMIT, [
      lease.token,
      next,
      this.#leaseMs,
      finished ? "f" : "c",
      paceHere ? pace.host : "",
      paceHere ? Math.ceil(pace.intervalMs) : 0,
      renderHere ? render.host : "",
      renderHere && render.render ? "1" : "0",
      ...ending,
      local.length / 5,
      ...local,
      outgoing.size,
      ...[...outgoing].flatMap(([target, lines]) => [target, lines.join("\n")]),
    ], starts);
    this.#budget!.made(starts, reply[0] === 1 ? Number(reply[5]) : 0);
    if (pace !== undefined && !paceHere) await shards.run(shards.of(pace.host), PACE, [pace.host, Math.ceil(pace.intervalMs)]);
    if (reply[0] !== 1) return { accepted: false, admitted: 0, leases: [], counts: shards.counts() };
    if (render !== undefined && !renderHere) await shards.run(shards.of(render.host), RENDER, [render.host, render.render ? "1" : "0"]);
    const [, admittedHere, entries, out, time] = reply as [number, number, string[], (string | number)[], number];
    const leases = this.#take(shard, out, Number(time), asked);
    const admitted = Number(admittedHere) + (await this.#outbox!.deliver(shard, pairs(entries)));
    // The page's shard may have no host ready: the slots it frees are filled from the others.
    if (shards.count > 1 && leases.length < next) leases.push(...(await this.#leaseAcross(next - leases.length)));
    if (finished && this.#keepRecords) this.records.committed(outcome.record.url, shard);
    return { accepted: true, admitted, leases, counts: shards.counts() };
  }

  /** The commit arguments of a finished page: its URL, its record to keep ("" for none), whether it failed. */
  #finishedArgs(record: PageRecord): string[] {
    const { links: _links, found: _found, ...kept } = record;
    return [record.url, this.#keepRecords ? JSON.stringify(kept) : "", record.error === "" ? "0" : "1"];
  }

  async release(leases: readonly Lease[]): Promise<void> {
    if (leases.length === 0) return;
    const shards = this.#open();
    const byShard = new Map<number, string[]>();
    for (const { token } of leases) {
      const shard = this.#held.get(token)?.shard ?? Number(token.split(".")[0]);
      this.#held.delete(token);
      byShard.set(shard, [...(byShard.get(shard) ?? []), token]);
    }
    await Promise.all([...byShard].map(([shard, tokens]) => shards.step(shard, RELEASE, tokens)));
  }

  /**
   * A start given on a host with an interval is open until its request leaves: the host gives no other start, to
   * any process, and this closes it, so that the next counts from when the request left. When it left is taken on the
   * shard's clock, from the start's grant plus the time since it was asked for: never earlier than it was. One call a
   * request, sent without waiting, and only where a host has an interval: there the pace, not Redis, sets how fast the
   * crawl goes.
   */
  sent(request: CrawlRequest): void {
    const start = "token" in request ? this.#pacedLease((request as Lease).token) : this.#reservedStart(hostOf(nextUrl(request)));
    if (start === undefined) return;
    const late = Math.ceil(performance.now() - start.asked);
    this.#open()
      .run(start.shard, SENT, [start.host, start.at + late, start.id])
      .catch(() => {}); // a lost connection is reported by the next lease or commit
  }

  /** The start of a lease held here on a host with an interval, which its request closes. */
  #pacedLease(token: string): OpenStart | undefined {
    const held = this.#held.get(token);
    return held === undefined || held.interval <= 0 ? undefined : { ...held, id: token };
  }

  /** The oldest start reserved here on `host` whose request has not left, no longer waiting for it. */
  #reservedStart(host: string): OpenStart | undefined {
    const reserved = this.#reserved.get(host);
    const start = reserved?.shift();
    if (reserved?.length === 0) this.#reserved.delete(host);
    return start;
  }

  /** Waits while the host's last start is open (given, its request not left yet), then takes the next. */
  async reserve(host: string): Promise<number> {
    const shards = this.#open();
    const shard = shards.of(host);
    for (;;) {
      const asked = performance.now();
      const reply = (await shards.run(shard, RESERVE, [host, this.#leaseMs])) as [number, number, string?, number?];
      const wait = Number(reply[1]);
      if (reply[0] !== 1) {
        await sleep(Math.max(OPEN_LOOK_MS, wait));
        continue;
      }
      const id = String(reply[2]);
      if (id !== "") {
        const reserved = this.#reserved.get(host) ?? [];
        reserved.push({ shard, host, asked, at: Number(reply[3]), id });
        this.#reserved.set(host, reserved);
      }
      return wait;
    }
  }

  shareRobots(fetch: RobotsFetch): RobotsFetch {
    const robotsKey = (origin: string) => {
      const shards = this.#open();
      return `${shards.prefixes[shards.of(hostOf(origin))]}robots`;
    };
    return sharedRobots(this.#connection, robotsKey, this.worker)(fetch);
  }

  /** The crawl's cookies, in its shards, by site: see {@linkcode RedisCookieStore}. */
  cookieStore(): RedisCookieStore {
    this.#cookies ??= new RedisCookieStore(() => this.#open());
    return this.#cookies;
  }

  /**
   * Stops the heartbeat, forgets the outbox entries delivered, and gives back the starts granted and not made; the
   * connection stays open for the output's last acknowledgements until {@linkcode disconnect}.
   */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    // A lost connection leaves the entries for another process to deliver again, and the starts lost.
    await this.#outbox?.flush().catch(() => {});
    await this.#budget?.giveBack().catch(() => {});
  }

  /**
   * Leaves the crawl and closes the connection: the worker is marked done when Redis holds nothing of it any more
   * (its records acknowledged, its leases given back); otherwise it stays, for a process on this machine to complete
   * its output. Safe to call twice.
   */
  async disconnect(): Promise<void> {
    if (this.#disconnected) return;
    this.#disconnected = true;
    await this.close();
    await this.records.leave().catch(() => {});
    await this.#connection.close();
  }

  /**
   * Removes every key of crawl `crawlId`, on every master of a cluster: its frontier, seen set, counts, records and
   * workers. Resolves with the number of keys removed.
   *
   * @example
   * ```ts
   * import { RedisCrawlState } from "rxcrawl";
   * await RedisCrawlState.remove("redis://127.0.0.1:6379/0", "books");
   * ```
   */
  static remove(url: string, crawlId: string): Promise<number> {
    checkCrawlId(crawlId);
    return removeCrawl(url, crawlId);
  }

  /** The shards, once the crawl is open. */
  #open(): CrawlShards {
    if (this.#shards === undefined) throw new Error("RedisCrawlState: open() the crawl first");
    return this.#shards;
  }

  /**
   * The leases of a script's answer, { token, line, interval, render decision, ... }, now held by this process, each
   * with its host's render decision as the shard holds it (the same for every process).
   */
  #take(shard: number, out: readonly (string | number)[], at: number, asked: number): Lease[] {
    const leases: Lease[] = [];
    for (let i = 0; i + 3 < out.length; i += 4) {
      const token = String(out[i]);
      const request = decodeRequest(String(out[i + 1]));
      if (request === undefined) continue;
      this.#held.set(token, { shard, host: hostOf(nextUrl(request)), asked, at, interval: Number(out[i + 2]) });
      const lease: Lease = { ...request, token };
      const render = String(out[i + 3]);
      if (render !== "") lease.render = render === "1";
      leases.push(lease);
    }
    return leases;
  }

  /** Keeps this process's leases alive, and takes up the crawl's limits should a process have changed them. */
  #heartbeat(): void {
    const shards = this.#shards;
    if (shards === undefined) return;
    const byShard = new Map<number, string[]>();
    for (const [token, { shard }] of this.#held) byShard.set(shard, [...(byShard.get(shard) ?? []), token]);
    const beats = [...byShard].map(([shard, tokens]) => shards.run(shard, HEARTBEAT, [this.#leaseMs, ...tokens]));
    const status = runScript(this.#connection, CRAWL_STATUS, [this.#keys.meta], []).then((reply) => {
      const [, , , , perHost, intervalMs] = reply as [number, string, string, number, string, string];
      shards.limits = { ...shards.limits, perHost: perHost === "inf" ? Infinity : Number(perHost), intervalMs: Number(intervalMs) };
    });
    Promise.all([...beats, status]).catch(() => {}); // a lost connection is reported by the next lease or commit
  }
}

/** The commit arguments of a fetch that goes on: its next host, its line, its delay, and whether it stays in `shard`. */
function continuedArgs(shardOf: (host: string) => number, shard: number, again: CrawlRequest, delayMs: number): string[] {
  const host = hostOf(nextUrl(again));
  return [host, encodeRequest(again), String(Math.max(0, Math.ceil(delayMs))), shardOf(host) === shard ? "1" : "0"];
}

function checkCrawlId(crawlId: string): void {
  if (!/^[\w.:-]+$/.test(crawlId)) {
    throw new UsageError(`Expected the crawl id to be letters, digits, ".", "_", ":" or "-", got ${JSON.stringify(crawlId)}`);
  }
}

