import { setTimeout as sleep } from "node:timers/promises";
import PQueue from "p-queue";
import type { HostPacer } from "../../fetch/host_pacer.ts";
import type { CrawlKeys } from "./keys.ts";
import { type CommandSender, runScript } from "./script_runner.ts";
import { HOST_ACQUIRE, HOST_LEFT, HOST_RELEASE } from "./scripts.ts";

/**
 * How late a request may leave after its grant before the host's next start is moved. A grant is a moment on Redis's
 * clock; a process whose event loop is busy (or whose HTTP client sends its first request, which takes tens of ms)
 * sends its request late, and the next process's request, granted one interval after the grant and sent at once,
 * would reach the host too soon after. So a request that leaves later than this tells Redis when it left, and the
 * next start is spaced from then.
 */
const LATE_MS = 5;

/** The limits a {@linkcode RedisPacer} holds, the same for every process of the crawl. */
export interface SharedLimits {
  /** Requests in flight to one host at once, over every process. */
  perHost: number;
  /** Requests started per second per host, over every process. */
  rate: number;
  /** How long a place in a host's flight is kept for a process that never gives it back (it died), in ms. */
  slotMs: number;
}

/**
 * Paces requests per host for every process of a crawl at once: a host's next start time and its requests in flight
 * live in Redis, and a start is granted by one script that checks both on Redis's clock. Within a process, one request
 * per host at a time asks Redis (the others wait here), so a busy host costs one Redis call per start, not one per
 * waiting request. Without limits or `Crawl-delay`, it never calls Redis.
 *
 * @example
 * ```ts
 * import { RedisPacer } from "./redis_pacer.ts";
 * const pacer = new RedisPacer(client, crawlKeys("books"), "w1", () => ({ perHost: 2, rate: 1, slotMs: 40_000 }));
 * await pacer.run("example.com", () => fetch("https://example.com/"));
 * ```
 */
export class RedisPacer implements HostPacer {
  readonly #client: CommandSender;
  readonly #keys: CrawlKeys;
  readonly #holder: string;
  readonly #limits: () => SharedLimits;
  readonly #delays = new Map<string, number>();
  readonly #asking = new Map<string, PQueue>();
  #tokens = 0;

  constructor(client: CommandSender, keys: CrawlKeys, holder: string, limits: () => SharedLimits) {
    this.#client = client;
    this.#keys = keys;
    this.#holder = holder;
    this.#limits = limits;
  }

  async run<T>(host: string, task: (sent: () => void) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { perHost, rate, slotMs } = this.#limits();
    const interval = Math.ceil(Math.max(rate === Infinity ? 0 : 1000 / rate, this.#delays.get(host) ?? 0));
    if (perHost === Infinity && interval === 0) return task(() => {});
    const keys = this.#keys.host(host);
    const token = `${this.#holder}:${++this.#tokens}`;
    let queue = this.#asking.get(host);
    if (queue === undefined) {
      queue = new PQueue({ concurrency: 1 });
      this.#asking.set(host, queue);
      const own = queue;
      own.on("idle", () => this.#asking.get(host) === own && this.#asking.delete(host));
    }
    const args = [String(interval), perHost === Infinity ? "inf" : String(perHost), token, String(slotMs)];
    let granted = { at: 0, asked: 0 }; // the grant on Redis's clock, and when this process asked for it
    await queue.add(
      async () => {
        for (;;) {
          signal?.throwIfAborted();
          const asked = performance.now();
          const [wait, at] = (await runScript(this.#client, HOST_ACQUIRE, [keys.next, keys.busy], args)) as [number, number?];
          if (wait === 0) {
            granted = { at: at!, asked };
            return;
          }
          await sleep(wait, undefined, signal === undefined ? {} : { signal });
        }
      },
      signal === undefined ? {} : { signal },
    );
    const sent = () => {
      // The time since asking bounds how long after the grant the request left.
      const late = Math.ceil(performance.now() - granted.asked);
      if (interval > 0 && late > LATE_MS) {
        runScript(this.#client, HOST_LEFT, [keys.next], [granted.at + late, interval]).catch(() => {});
      }
    };
    try {
      return await task(sent);
    } finally {
      if (perHost !== Infinity) await runScript(this.#client, HOST_RELEASE, [keys.busy], [token]).catch(() => {});
    }
  }

  setDelay(host: string, ms: number): void {
    this.#delays.set(host, ms);
  }

  clear(): void {
    for (const queue of this.#asking.values()) queue.clear();
    this.#asking.clear();
  }
}
