import { STATUS_CODES } from "node:http";
import type http from "node:http";
import type https from "node:https";
import { HttpProxyAgent, HttpsProxyAgent } from "hpagent";
import { SocksProxyAgent } from "socks-proxy-agent";
import { maskProxy, type ProxySettings } from "./proxy_settings.ts";

/** What a pool tells about its proxies, for a crawl's statistics; `proxy` is its URL with credentials masked. */
export type ProxyEvent = { type: "request"; proxy: string } | { type: "bench"; proxy: string; ms: number };

/** One proxy of a pool, as a request uses it. */
export interface Proxy {
  /** Its URL with any credentials masked: safe to print. */
  readonly name: string;
  /** The agents for got's `agent` option. */
  readonly agents: { http: http.Agent; https: https.Agent };
}

/** A failing proxy is benched this long at first, twice as long after each further failure in a row, up to MAX. */
export const BENCH_MS = { first: 5_000, max: 300_000 };

/**
 * The proxies of a crawl and the agents that go through them: which proxy a request takes (in turn, or the one its host
 * keeps), which hosts go direct, and which proxies are benched for failing. A failing proxy is benched for 5 s, then
 * twice as long at each further failure in a row, up to 5 minutes; a request never waits for one: when every proxy is
 * benched, it takes the one back soonest. Connections to each proxy are kept alive.
 *
 * @example
 * ```ts
 * import { ProxyPool } from "./proxy_pool.ts";
 * import { proxySettings } from "./proxy_settings.ts";
 * const pool = new ProxyPool(proxySettings(["http://127.0.0.1:3128", "http://127.0.0.1:3129"], "request"));
 * const proxy = pool.pick("https://example.com/"); // the first, then the second, ...
 * pool.close();
 * ```
 */
export class ProxyPool {
  readonly #entries: Entry[];
  readonly #settings: ProxySettings;
  readonly #onEvent: ((event: ProxyEvent) => void) | undefined;
  /** Where the next request of `"request"` rotation starts looking. */
  #turn = 0;
  /** How far along the pool each host that was moved (for a block) now starts: only those hosts are remembered. */
  readonly #moved = new Map<string, number>();
  /** With `"request"` rotation, the proxy a host was last blocked through, which its next request skips. */
  readonly #avoid = new Map<string, Entry>();
  readonly #noProxy: { name: string; port: string | undefined }[];

  constructor(settings: ProxySettings, onEvent?: (event: ProxyEvent) => void) {
    this.#settings = settings;
    this.#onEvent = onEvent;
    this.#noProxy = settings.noProxy.map(noProxyEntry);
    this.#entries = settings.proxies.map(({ url, schemes }) => ({
      name: maskProxy(url),
      agents: agentsFor(url),
      schemes: new Set(schemes),
      failures: 0,
      benchedUntil: 0,
    }));
  }

  /** How many proxies could carry a request to `url` (0 when it goes direct). */
  sizeFor(url: string): number {
    return this.#candidates(new URL(url)).length;
  }

  /**
   * The proxy for a request to `url`, or `undefined` when it goes direct: the next in turn, or the one its host keeps;
   * one that is benched, or that the host was just blocked through, only when no other is left.
   */
  pick(url: string): Proxy | undefined {
    const parsed = new URL(url);
    const candidates = this.#candidates(parsed);
    if (candidates.length === 0) return undefined;
    let start: number;
    let avoid: Entry | undefined;
    if (this.#settings.rotate === "request") {
      start = this.#turn++ % candidates.length;
      avoid = this.#avoid.get(parsed.host);
      this.#avoid.delete(parsed.host);
    } else {
      start = this.#hostStart(parsed.host);
    }
    const now = Date.now();
    const order = candidates.map((_, i) => candidates[(start + i) % candidates.length]!);
    const ready = (entry: Entry) => entry.benchedUntil <= now;
    const chosen =
      order.find((entry) => ready(entry) && entry !== avoid) ??
      order.find(ready) ??
      [...order].sort((a, b) => Number(a === avoid) - Number(b === avoid) || a.benchedUntil - b.benchedUntil)[0]!;
    this.#onEvent?.({ type: "request", proxy: chosen.name });
    return chosen;
  }

  /**
   * Notes that the site of `url` answered a request through `proxy` with a block: the host's next request goes through
   * another proxy when the pool has one. With `"host"` rotation the host moves to the next proxy and keeps it (once,
   * however many of its requests were blocked through `proxy` at the same time).
   */
  blocked(url: string, proxy: Proxy): void {
    const parsed = new URL(url);
    const candidates = this.#candidates(parsed);
    if (candidates.length < 2) return;
    const host = parsed.host;
    if (this.#settings.rotate === "request") {
      this.#avoid.set(host, proxy as Entry);
    } else if (candidates[this.#hostStart(host) % candidates.length] === proxy) {
      this.#moved.set(host, (this.#moved.get(host) ?? 0) + 1);
    }
  }

  /**
   * Benches `proxy` after a failure of its own (see {@linkcode proxyFailure}), and tells `onEvent`. A
   * failure of a request that left before the bench does not bench it longer.
   */
  failed(proxy: Proxy): void {
    const entry = proxy as Entry;
    const now = Date.now();
    if (entry.benchedUntil > now) return;
    const ms = Math.min(BENCH_MS.max, BENCH_MS.first * 2 ** entry.failures);
    entry.failures++;
    entry.benchedUntil = now + ms;
    this.#onEvent?.({ type: "bench", proxy: entry.name, ms });
  }

  /** Notes that `proxy` carried a request: its next failure benches it for the shortest time again. */
  succeeded(proxy: Proxy): void {
    (proxy as Entry).failures = 0;
  }

  /** Closes every connection to the proxies. */
  close(): void {
    for (const entry of this.#entries) {
      entry.agents.http.destroy();
      if (entry.agents.https !== entry.agents.http) entry.agents.https.destroy();
    }
  }

  /** Where a host's search of the pool starts with `"host"` rotation: its own place, past the proxies it was moved off. */
  #hostStart(host: string): number {
    return hash(host) + (this.#moved.get(host) ?? 0);
  }

  #candidates(url: URL): Entry[] {
    if (this.#entries.length === 0 || this.#bypassed(url)) return [];
    const scheme = url.protocol === "https:" ? "https" : "http";
    return this.#entries.filter((entry) => entry.schemes.has(scheme));
  }

  #bypassed(url: URL): boolean {
    if (this.#noProxy.length === 0) return false;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    return this.#noProxy.some(({ name, port: only }) => {
      if (only !== undefined && only !== port) return false;
      return name === "*" || host === name || host.endsWith(`.${name}`);
    });
  }
}

/**
 * How a request that failed on its way to the site through a proxy (before it had a connection) is reported, and
 * whether the proxy is at fault: it could not be reached, reset the connection, or refused the credentials or the
 * request (`407`, a SOCKS refusal). It is not when it answered that it could not reach the site (a `CONNECT` answered
 * 5xx, a SOCKS "host unreachable" or "connection refused"): the site is down, and benching proxy after proxy for it
 * would take every one out.
 *
 * @example
 * ```ts
 * import { proxyFailure } from "./proxy_pool.ts";
 * proxyFailure(new Error("connect ECONNREFUSED 127.0.0.1:3128"), "http://127.0.0.1:3128");
 * // { proxyFault: true, message: "Proxy http://127.0.0.1:3128 failed: connect ECONNREFUSED 127.0.0.1:3128" }
 * proxyFailure(new Error("Bad response: 502"), "http://127.0.0.1:3128").proxyFault; // false
 * ```
 */
export function proxyFailure(error: Error, proxy: string): { proxyFault: boolean; message: string } {
  const connect = /^Bad response: (\d+)$/.exec(error.message);
  const status = Number(connect?.[1]);
  const reason = connect === null ? error.message : `it answered CONNECT with ${`HTTP ${status} ${STATUS_CODES[status] ?? ""}`.trimEnd()}`;
  const proxyFault = !SITE_UNREACHABLE.test(error.message);
  return { proxyFault, message: proxyFault ? `Proxy ${proxy} failed: ${reason}` : `Proxy ${proxy} could not reach the site: ${reason}` };
}

/** What hpagent and socks say when the proxy itself could not reach the site. */
const SITE_UNREACHABLE = /^Bad response: 5\d\d$|rejected connection - (HostUnreachable|NetworkUnreachable|ConnectionRefused|TTLExpired)/;

interface Entry extends Proxy {
  readonly schemes: ReadonlySet<string>;
  /** Failures in a row: each doubles the next bench. */
  failures: number;
  /** Until when it is benched, from `Date.now()`; 0 when it never was. */
  benchedUntil: number;
}

/** A `NO_PROXY` entry: `*`, a host or domain, an IP address (`[::1]` or `::1` for IPv6), each with an optional port. */
function noProxyEntry(entry: string): { name: string; port: string | undefined } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return { name: bracketed[1]!, port: bracketed[2] };
  if ((entry.match(/:/g) ?? []).length > 1) return { name: entry, port: undefined };
  const [name = "", port] = entry.split(":");
  return { name, port };
}

function agentsFor(url: string): Proxy["agents"] {
  // Kept-alive connections, the most recently used first, as for direct requests: a crawl reuses its tunnels.
  const options = { keepAlive: true, scheduling: "lifo" } as const;
  if (url.startsWith("socks")) {
    // One agent for both: it opens TLS itself over the SOCKS connection when the site is https.
    const agent = new SocksProxyAgent(url, options);
    return { http: agent, https: agent as unknown as https.Agent };
  }
  return { http: new HttpProxyAgent({ proxy: url, ...options }), https: new HttpsProxyAgent({ proxy: url, ...options }) };
}

/** A host's place in the pool: the same for the whole crawl, spread evenly over the proxies. */
function hash(host: string): number {
  let h = 2166136261;
  for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 16777619);
  return h >>> 0;
}
