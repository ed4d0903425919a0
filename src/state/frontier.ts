import { DEFAULTS } from "../defaults.ts";
import { type CrawlRequest, nextUrl } from "../records.ts";
import { hostOf } from "../url.ts";
import { nonNegativeNumber, positiveInteger } from "../validate.ts";
import { MinHeap } from "./min_heap.ts";
import { RequestQueue } from "./request_queue.ts";
import { SpillFiles } from "./spill_files.ts";

/** Options of {@linkcode Frontier}. */
export interface FrontierOptions {
  /** Requests taken and not done yet, per host, at most. @default Infinity */
  perHost?: number;
  /** The least time between two starts on one host, in ms. @default 0 */
  intervalMs?: number;
  /** Requests waiting in memory, at most; beyond that they wait in temporary files. @default 100000 */
  memoryLimit?: number;
  /** Where the temporary files go. @default os.tmpdir() */
  dir?: string;
}

/** Requests per segment written to disk, unless the memory limit is smaller. */
const CHUNK = 4096;
/** How soon to look again at a host whose start is given but has not left yet (see `readyIn`). */
const OPEN_LOOK_MS = 5;

/** One host's place in the frontier. */
interface Host {
  readonly name: string;
  /** The least ms between two starts: the crawl's interval, or the host's own pace when longer. */
  interval: number;
  /** When the last start was (`performance.now()`), and so when the next may be. */
  lastStart: number;
  nextStart: number;
  /** Requests taken and not done. */
  taken: number;
  /**
   * Starts given (taken requests, reservations) whose request has not left yet: while there is one, the host gives
   * no other, as its next start counts from when that one leaves.
   */
  open: number;
  /** Requests waiting, in `again` and `queues`. */
  waiting: number;
  /** Fetches under way (a retry, a redirect's next hop): before any other request of the host. */
  again: CrawlRequest[] | undefined;
  /** One line per depth, shallowest first. */
  queues: { depth: number; queue: RequestQueue }[];
  /**
   * Whether it is under way: it started with an interval, and has not gone idle since. It then waits in the heap of
   * hosts under way, which goes before that of new hosts.
   */
  active: boolean;
  /** Its place in its heap, -1 when out of it (nothing waits, it holds `perHost` requests, or a start is open). */
  heapIndex: number;
  /** Breaks ties between hosts of the same next start: the one that entered the heap first goes first. */
  order: number;
}

function hostHeap(): MinHeap<Host> {
  return new MinHeap<Host>(
    (a, b) => a.nextStart < b.nextStart || (a.nextStart === b.nextStart && a.order < b.order),
    (host, index) => (host.heapIndex = index),
  );
}

interface Delayed {
  due: number;
  order: number;
  request: CrawlRequest;
}

/**
 * The requests of a crawl waiting to be fetched, one line per host, handing out only requests whose host may start
 * now, the way Mercator's back queues and Heritrix's frontier do: so that politeness is decided where the requests
 * wait, and a fetch never waits for it.
 *
 * - Within a host, a fetch under way comes first (a retry, a redirect's next hop), then shallower pages, then first
 *   come.
 * - Hosts wait in a heap by when each may next start: its last start plus its interval (the crawl's, or the host's own
 *   pace when longer). A host holding `perHost` requests leaves the heap until one is done.
 * - {@linkcode take} hands out the ready hosts in turn, one request each per pass, so that no host takes every slot
 *   while others are ready; {@linkcode readyIn} says when the next may start.
 * - With an interval, hosts under way (started, and not idle since) take their turn before new hosts, which fill
 *   what they leave of a pass: a crawl of many hosts keeps about as many under way as its speed needs and comes back
 *   to each about once an interval, while its connection is still open, rather than going round every host it has
 *   found. This is the bounded set of back queues of Mercator, sized by the crawl's own speed.
 * - With an interval, a start given counts as open until its request has left ({@linkcode sent}), or the request is
 *   done without one: meanwhile its host gives no other start, taken or reserved. The next start counts from when the
 *   request left, not from when it was given, however late it leaves (a busy thread, a browser slow to send).
 * - A fetch that goes on later waits in a heap of delays, then goes to the front of its host's line; so does a request
 *   given back unfinished ({@linkcode putBack}).
 * - {@linkcode take} may be told how many *starts* are left (a crawl's `maxPages`): a start is the first time a request
 *   is taken, and a fetch under way is never one. Once none is left, only fetches under way are handed out, from their
 *   hosts in turn, while the requests that never started wait.
 * - At most `memoryLimit` requests wait in memory, however many hosts: past that, whole runs of the largest lines go to
 *   temporary files (see `RequestQueue`) and come back when their turn nears. A host's record goes once nothing of it
 *   is left to honour: no request waiting or taken, and its interval passed.
 *
 * @example
 * ```ts
 * import { Frontier } from "./frontier.ts";
 * const frontier = new Frontier({ intervalMs: 500 });
 * frontier.push({ url: "https://a.example/1", depth: 0 });
 * frontier.push({ url: "https://a.example/2", depth: 0 });
 * frontier.take(2); // [the first]: a.example's next start is 500 ms away
 * frontier.readyIn(); // about 500
 * frontier.close();
 * ```
 */
export class Frontier {
  readonly #perHost: number;
  readonly #interval: number;
  readonly #memoryLimit: number;
  readonly #chunk: number;
  readonly #files: SpillFiles;
  readonly #hosts = new Map<string, Host>();
  /** Hosts' own paces longer than the crawl's interval; kept while their records come and go. */
  readonly #paces = new Map<string, number>();
  /** Hosts under way (see `Host.active`) with requests waiting, by next start. */
  readonly #active = hostHeap();
  /** Hosts not under way with requests waiting, by next start: they start when those under way cannot fill a pass. */
  readonly #fresh = hostHeap();
  readonly #delayed = new MinHeap<Delayed>((a, b) => a.due < b.due || (a.due === b.due && a.order < b.order));
  /** Idle hosts whose interval had not passed yet, oldest first: dropped once it has. */
  #cooling: Host[] = [];
  #coolingFirst = 0;
  /** Taken requests whose start is open, by URL (a URL is taken once at a time). */
  readonly #unsent = new Map<string, Host>();
  /** Hosts with an open start. */
  readonly #open = new Set<Host>();
  /** Callers waiting for a host's open starts to close (see `whenLeft`). */
  readonly #leaving = new Map<Host, (() => void)[]>();
  /** Lines holding requests in memory: where to look when memory is short. */
  readonly #resident = new Set<RequestQueue>();
  /** Hosts with fetches under way waiting in `again`: few (at most the requests taken), looked at once no start is left. */
  readonly #underway = new Set<Host>();
  #order = 0;
  #size = 0;
  #inMemory = 0;
  #again = 0;
  #started = 0;

  constructor(options: FrontierOptions = {}) {
    this.#perHost = positiveInteger("perHost", options.perHost ?? Infinity, true);
    this.#interval = nonNegativeNumber("intervalMs", options.intervalMs ?? 0);
    this.#memoryLimit = positiveInteger("memoryLimit", options.memoryLimit ?? DEFAULTS.frontierMemory);
    this.#chunk = Math.min(CHUNK, this.#memoryLimit);
    this.#files = new SpillFiles(options.dir === undefined ? {} : { dir: options.dir });
  }

  /** Requests waiting (taken ones are not). */
  get size(): number {
    return this.#size;
  }

  /** Of the requests waiting, the fetches under way (with `progress`, or given back): those that already started. */
  get underway(): number {
    return this.#again + this.#delayed.size;
  }

  /** Requests taken for the first time so far: the starts, which a crawl's `maxPages` counts. */
  get started(): number {
    return this.#started;
  }

  /** Requests waiting in memory in the lines (fetches under way, which as many as are taken bound, are not counted). */
  get inMemory(): number {
    return this.#inMemory;
  }

  /** Hosts with a record: those with requests waiting or taken, or whose interval has not passed. */
  get hosts(): number {
    return this.#hosts.size;
  }

  /** Temporary files on disk. */
  get files(): number {
    return this.#files.files;
  }

  /** Adds a request to its host's line: at the front when it carries `progress` (a fetch under way). */
  push(request: CrawlRequest): void {
    const host = this.#host(hostOf(nextUrl(request)));
    this.#size++;
    host.waiting++;
    if (request.progress !== undefined) this.#underwayAt(host, request, false);
    else this.#enqueue(host, request);
    this.#enter(host);
  }

  /**
   * Puts back a request that was taken and given back unfinished (a stop): at the front of its host's line, as a fetch
   * under way, so that taking it again is not a second start.
   */
  putBack(request: CrawlRequest): void {
    const host = this.#host(hostOf(nextUrl(request)));
    this.#size++;
    host.waiting++;
    this.#underwayAt(host, request, true);
    this.#enter(host);
  }

  /** Adds a fetch under way that may start again in `delayMs` at the earliest (a retry's backoff). */
  later(request: CrawlRequest, delayMs: number, now = performance.now()): void {
    if (delayMs <= 0) return this.push(request);
    this.#size++;
    this.#delayed.push({ due: now + delayMs, order: this.#order++, request });
  }

  /**
   * Takes up to `max` requests whose hosts may start now, the ready hosts in turn: each gives one request per pass.
   * Each counts as a start on its host, now, and holds one of its `perHost` places until {@linkcode done}. At most
   * `starts` of them are taken for the first time; once those are spent, only fetches under way are taken.
   */
  take(max: number, now = performance.now(), starts = Infinity): CrawlRequest[] {
    this.#wake(now);
    const taken: CrawlRequest[] = [];
    const pass: Host[] = [];
    /** Ready hosts passed over: their next request would be a start, and none is left. */
    const passed: Host[] = [];
    let left = starts;
    while (taken.length < max && left > 0) {
      const room = max - taken.length;
      this.#readyFrom(this.#active, pass, room, now);
      this.#readyFrom(this.#fresh, pass, room, now);
      if (pass.length === 0) break;
      for (const host of pass) {
        if (host.again === undefined && left-- <= 0) passed.push(host);
        else taken.push(this.#takeFrom(host, now));
      }
      pass.length = 0;
    }
    for (const host of passed) this.#enter(host);
    // No start left: the fetches under way alone, from their hosts in turn (the longest waiting first).
    while (taken.length < max && left <= 0) {
      const ready = [...this.#underway].filter((host) => host.nextStart <= now && host.taken < this.#perHost && host.open === 0);
      if (ready.length === 0) break;
      ready.sort((a, b) => a.nextStart - b.nextStart || a.order - b.order);
      for (const host of ready.slice(0, max - taken.length)) {
        this.#leaveHeap(host);
        taken.push(this.#takeFrom(host, now));
      }
    }
    if (this.#inMemory > this.#memoryLimit) this.#spill();
    return taken;
  }

  /**
   * The ms until a waiting request may be taken: 0 when one may now, `Infinity` when none can until one is done. With
   * no start left (`starts` 0), only the fetches under way count. A host whose start has not left yet is looked at
   * again every few ms from its next start on: nothing else says when it leaves.
   */
  readyIn(now = performance.now(), starts = Infinity): number {
    this.#wake(now);
    let next = this.#delayed.peek()?.due ?? Infinity;
    if (starts > 0) next = Math.min(next, this.#active.peek()?.nextStart ?? Infinity, this.#fresh.peek()?.nextStart ?? Infinity);
    else for (const host of this.#underway) if (host.taken < this.#perHost) next = Math.min(next, host.nextStart);
    for (const open of this.#open) {
      if (open.waiting > 0 && (starts > 0 || this.#underway.has(open))) next = Math.min(next, Math.max(open.nextStart, now + OPEN_LOOK_MS));
    }
    return Math.max(0, next - now);
  }

  /** Notes that a request {@linkcode take} gave is over (its outcome is in, or it was given up): its host's place frees. */
  done(request: CrawlRequest, now?: number): void {
    const unsent = this.#unsent.get(request.url);
    if (unsent !== undefined) {
      // Done without a request (robots.txt refused it, the crawl stopped): its start closes where it was given.
      this.#unsent.delete(request.url);
      this.#closed(unsent, now ?? performance.now());
    }
    const host = this.#hosts.get(hostOf(nextUrl(request)));
    if (host === undefined || host.taken === 0) return;
    host.taken--;
    this.#enter(host);
    if (host.waiting === 0 && host.taken === 0) this.#idle(host, now ?? performance.now());
  }

  /**
   * Notes when a taken request actually left (with `reserved`, a request `reserve` took the start of): one that left
   * late moves its host's next start, and its start is no longer open.
   */
  sent(request: CrawlRequest, at?: number, reserved = false): void {
    const host = reserved ? this.#hosts.get(hostOf(nextUrl(request))) : this.#unsent.get(request.url);
    if (!reserved && host !== undefined) this.#unsent.delete(request.url);
    if (host === undefined) return;
    const left = at ?? performance.now();
    // Without an interval, a start's time only orders the hosts' turns.
    if (host.interval > 0 && left > host.lastStart) {
      host.lastStart = left;
      this.#reschedule(host);
    }
    this.#closed(host, left);
  }

  /**
   * Takes a start on `host` outside the lines: the ms to wait before it, after which the host's next start comes. The
   * start is open until `sent(…, true)` says its request left; ask once none is (see {@linkcode whenLeft}).
   */
  reserve(name: string, now = performance.now()): number {
    const host = this.#host(name);
    const start = Math.max(now, host.nextStart);
    host.lastStart = start;
    this.#reschedule(host);
    if (host.interval > 0) this.#opened(host);
    this.#idle(host, now);
    return start - now;
  }

  /** Whether a start of `host` is open: given, and its request not left yet. */
  isOpen(name: string): boolean {
    return (this.#hosts.get(name)?.open ?? 0) > 0;
  }

  /** Resolves once no start of `host` is open (at once when none is). */
  whenLeft(name: string): Promise<void> {
    const host = this.#hosts.get(name);
    if (host === undefined || host.open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.#leaving.get(host);
      if (waiting === undefined) this.#leaving.set(host, [resolve]);
      else waiting.push(resolve);
    });
  }

  /** Sets a host's own least interval between starts, from now on; never shorter than the crawl's. */
  pace(name: string, intervalMs: number): void {
    if (intervalMs > this.#interval) this.#paces.set(name, intervalMs);
    else this.#paces.delete(name);
    const host = this.#hosts.get(name);
    if (host === undefined) return;
    host.interval = Math.max(this.#interval, intervalMs);
    this.#reschedule(host);
  }

  /** Drops every waiting request and removes the temporary files. */
  close(): void {
    this.#files.close();
    for (const waiting of this.#leaving.values()) for (const resolve of waiting) resolve();
    this.#leaving.clear();
    this.#unsent.clear();
    this.#open.clear();
    this.#hosts.clear();
    this.#resident.clear();
    this.#underway.clear();
    this.#again = 0;
    this.#cooling = [];
    this.#coolingFirst = 0;
    while (this.#active.pop() !== undefined);
    while (this.#fresh.pop() !== undefined);
    while (this.#delayed.pop() !== undefined);
    this.#size = 0;
    this.#inMemory = 0;
  }

  #host(name: string): Host {
    let host = this.#hosts.get(name);
    if (host === undefined) {
      const interval = Math.max(this.#interval, this.#paces.get(name) ?? 0);
      host = { name, interval, lastStart: -Infinity, nextStart: 0, taken: 0, open: 0, waiting: 0, again: undefined, queues: [], active: false, heapIndex: -1, order: 0 };
      this.#hosts.set(name, host);
    }
    return host;
  }

  /** Takes the next request of a host that may start: a start on it now, and one of its places. */
  #takeFrom(host: Host, now: number): CrawlRequest {
    if (host.again === undefined) this.#started++;
    const request = this.#shift(host);
    host.taken++;
    // Without an interval a host is always ready: going first, it would take every slot.
    host.active = host.interval > 0;
    host.lastStart = now;
    host.nextStart = now + host.interval;
    if (host.interval > 0) {
      this.#unsent.set(request.url, host);
      this.#opened(host);
    }
    this.#enter(host);
    return request;
  }

  /** Adds a fetch under way to its host's first line: at its back, or at its front (a request given back). */
  #underwayAt(host: Host, request: CrawlRequest, front: boolean): void {
    const again = (host.again ??= []);
    if (front) again.unshift(request);
    else again.push(request);
    this.#again++;
    this.#underway.add(host);
  }

  #enqueue(host: Host, request: CrawlRequest): void {
    const { queues } = host;
    let i = 0;
    while (i < queues.length && queues[i]!.depth < request.depth) i++;
    let line = queues[i];
    if (line === undefined || line.depth !== request.depth) {
      line = { depth: request.depth, queue: new RequestQueue(this.#files, this.#chunk) };
      queues.splice(i, 0, line);
    }
    const { queue } = line;
    const before = queue.inMemory;
    queue.push(request);
    this.#counted(queue, before);
    if (this.#inMemory > this.#memoryLimit) this.#spill();
  }

  #shift(host: Host): CrawlRequest {
    host.waiting--;
    this.#size--;
    const again = host.again?.shift();
    if (again !== undefined) {
      this.#again--;
      if (host.again!.length === 0) {
        host.again = undefined;
        this.#underway.delete(host);
      }
      return again;
    }
    const line = host.queues[0]!;
    const { queue } = line;
    const before = queue.inMemory;
    const request = queue.shift()!;
    this.#counted(queue, before);
    if (queue.size === 0) host.queues.shift();
    return request;
  }

  /** Keeps the count of requests in memory, and the set of lines holding some, after `queue` changed. */
  #counted(queue: RequestQueue, before: number): void {
    const after = queue.inMemory;
    this.#inMemory += after - before;
    if (after > 0 && before === 0) this.#resident.add(queue);
    else if (after === 0 && before > 0) this.#resident.delete(queue);
  }

  /** Puts a host in the ready heap when it has requests waiting, room under `perHost` and no start open. */
  #enter(host: Host): void {
    if (host.heapIndex >= 0 || host.waiting === 0 || host.taken >= this.#perHost || host.open > 0) return;
    host.order = this.#order++;
    this.#heapOf(host).push(host);
  }

  /** Moves the hosts of `heap` that may start at `now` to `pass`, until it holds `room`. */
  #readyFrom(heap: MinHeap<Host>, pass: Host[], room: number, now: number): void {
    for (let top = heap.peek(); top !== undefined && top.nextStart <= now && pass.length < room; top = heap.peek()) pass.push(heap.pop()!);
  }

  #heapOf(host: Host): MinHeap<Host> {
    return host.active ? this.#active : this.#fresh;
  }

  #leaveHeap(host: Host): void {
    if (host.heapIndex >= 0) this.#heapOf(host).remove(host.heapIndex);
  }

  #opened(host: Host): void {
    host.open++;
    this.#open.add(host);
    this.#leaveHeap(host);
  }

  #closed(host: Host, now: number): void {
    if (host.open === 0) return;
    host.open--;
    if (host.open > 0) return;
    this.#open.delete(host);
    this.#enter(host);
    const waiting = this.#leaving.get(host);
    if (waiting !== undefined) {
      this.#leaving.delete(host);
      for (const resolve of waiting) resolve();
    }
    if (host.waiting === 0 && host.taken === 0) this.#idle(host, now);
  }

  #reschedule(host: Host): void {
    host.nextStart = host.lastStart + host.interval;
    if (host.heapIndex >= 0) this.#heapOf(host).update(host.heapIndex);
  }

  /** Drops the record of a host with nothing left to honour, or keeps it until its interval has passed. */
  #idle(host: Host, now: number): void {
    if (host.waiting > 0 || host.taken > 0 || host.open > 0) return;
    host.active = false;
    if (host.nextStart <= now) this.#hosts.delete(host.name);
    else this.#cooling.push(host);
  }

  /** Moves the fetches whose delay is over to the front of their hosts' lines, and drops hosts whose interval passed. */
  #wake(now: number): void {
    for (let top = this.#delayed.peek(); top !== undefined && top.due <= now; top = this.#delayed.peek()) {
      this.#delayed.pop();
      this.#size--;
      this.push(top.request);
    }
    const cooling = this.#cooling;
    while (this.#coolingFirst < cooling.length) {
      const host = cooling[this.#coolingFirst]!;
      const idle = host.waiting === 0 && host.taken === 0 && host.open === 0;
      if (host.nextStart > now && this.#hosts.get(host.name) === host && idle) break;
      this.#coolingFirst++;
      if (this.#hosts.get(host.name) === host && idle) this.#hosts.delete(host.name);
    }
    if (this.#coolingFirst === cooling.length) {
      this.#cooling = [];
      this.#coolingFirst = 0;
    } else if (this.#coolingFirst > 1024 && this.#coolingFirst * 2 > cooling.length) {
      this.#cooling = cooling.slice(this.#coolingFirst);
      this.#coolingFirst = 0;
    }
  }

  /**
   * Writes requests to disk until a quarter of the memory limit is free, from the lines holding the most first: their
   * tails (needed last), then the backs of their heads.
   */
  #spill(): void {
    const target = this.#memoryLimit - Math.max(1, Math.floor(this.#memoryLimit / 4));
    const lines = [...this.#resident].sort((a, b) => b.inMemory - a.inMemory);
    for (const queue of lines) {
      if (this.#inMemory <= target) break;
      const before = queue.inMemory;
      queue.spill(this.#inMemory - target);
      this.#counted(queue, before);
    }
  }
}
