import { type Callback, Cookie, type ErrorCallback, type Nullable, pathMatch, permuteDomain, Store } from "tough-cookie";
import type { SharedCookieStore } from "../../fetch/cookie_jar.ts";
import type { CrawlShards } from "./crawl_shards.ts";
import { CLEAR_COOKIES, COOKIE_SITES, COOKIES, SEED_COOKIES, SET_COOKIES } from "./scripts/cookie_scripts.ts";
import type { Script } from "./scripts/script.ts";
import { siteOf } from "./shards.ts";

/** Sites whose cookies a process keeps as read; past that, the least recently used are read again when needed. */
const SITES_KEPT = 10_000;

/** A site's cookies as read, with the shard's cookie version then. */
interface SiteCookies {
  version: number;
  /** By field: `[domain, path, name]` as JSON. */
  cookies: Map<string, Cookie>;
  /** The fields of the cookies the crawl was given at its start. */
  given: Set<string>;
}

/** The cookies of a site of a shard that never had any. */
const NONE: SiteCookies = { version: 0, cookies: new Map(), given: new Set() };

/**
 * The cookie jar of a crawl shared through Redis, as a tough-cookie `Store` for `CrawlCookieJar`: a cookie one process
 * receives is sent by every process. Cookies are kept by site (registrable domain, or host where there is none: see
 * `siteOf`) in a hash of the site's shard, the shard that holds the site's hosts too, so that on a Redis Cluster each
 * call touches one shard. They are kept as JSON, in clear text, as a browser's cookie file keeps them; one that
 * expires is not returned, and a site's hash expires with its longest-lived cookie.
 *
 * What a request costs: no call while nothing changed. Every answer of a shard (a lease, a commit) carries the version
 * of its cookies, bumped by every change; a process keeps each site's cookies as read, with the version then, and
 * reads them again, in one call, only once a later answer shows a newer version, and never while the shard has none.
 * A request is leased from its host's shard, after whatever was stored there before, so its lease's answer tells
 * whether the cookies it must carry changed: a cookie another process received before this request was leased is
 * sent with it, never a stale one. (A process that set it itself knows it at once.) A change is one call, which
 * answers with the site's cookies after it.
 *
 * @example
 * ```ts
 * import { CrawlCookieJar } from "../../fetch/cookie_jar.ts";
 * import { RedisCookieStore } from "./cookie_store.ts";
 * const jar = new CrawlCookieJar([], { store: new RedisCookieStore(() => shards) });
 * await jar.getCookieString("https://example.com/");
 * ```
 */
export class RedisCookieStore extends Store implements SharedCookieStore {
  readonly #shards: () => CrawlShards;
  readonly #read = new Map<string, SiteCookies>();
  readonly #reading = new Map<string, Promise<SiteCookies>>();

  /** `shards` gives the crawl's shards, once it is open: the store is used by fetches, which come after. */
  constructor(shards: () => CrawlShards) {
    super();
    this.synchronous = false;
    this.#shards = shards;
  }

  override findCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>, callback?: Callback<Cookie | undefined>): Promise<Cookie | undefined> {
    return answer(async () => {
      if (domain == null) return undefined;
      return (await this.#site(siteOf(domain))).cookies.get(field(domain, path ?? "", key ?? ""));
    }, callback);
  }

  override findCookies(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain = false, callback?: Callback<Cookie[]>): Promise<Cookie[]> {
    return answer(async () => {
      if (domain == null) return [];
      // As tough-cookie's MemoryCookieStore: the cookies of the domain and of each domain above it, on the path.
      const domains = permuteDomain(domain, allowSpecialUseDomain) ?? [domain];
      const now = Date.now();
      const found: Cookie[] = [];
      for (const cookie of (await this.#site(siteOf(domain))).cookies.values()) {
        if (cookie.domain == null || !domains.includes(cookie.domain)) continue;
        if (path != null && !pathMatch(path, cookie.path ?? "/")) continue;
        if (expiresAt(cookie) <= now) continue;
        found.push(cookie);
      }
      return found;
    }, callback);
  }

  override putCookie(cookie: Cookie, callback?: ErrorCallback): Promise<void> {
    return answer(() => this.#change(cookie.domain ?? "", [cookie], []), callback);
  }

  override updateCookie(_old: Cookie, cookie: Cookie, callback?: ErrorCallback): Promise<void> {
    return answer(() => this.#change(cookie.domain ?? "", [cookie], []), callback);
  }

  override removeCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>, callback?: ErrorCallback): Promise<void> {
    return answer(async () => {
      if (domain != null) await this.#change(domain, [], [field(domain, path ?? "", key ?? "")]);
    }, callback);
  }

  override removeCookies(domain: string, path: Nullable<string>, callback?: ErrorCallback): Promise<void> {
    return answer(async () => {
      const { cookies } = await this.#site(siteOf(domain));
      const gone = [...cookies].filter(([, cookie]) => cookie.domain === domain && (path == null || cookie.path === path));
      if (gone.length > 0) await this.#change(domain, [], gone.map(([name]) => name));
    }, callback);
  }

  override removeAllCookies(callback?: ErrorCallback): Promise<void> {
    return answer(async () => {
      const shards = this.#shards();
      await Promise.all(Array.from({ length: shards.count }, (_, shard) => shards.run(shard, CLEAR_COOKIES, [])));
      this.#read.clear();
    }, callback);
  }

  override getAllCookies(callback?: Callback<Cookie[]>): Promise<Cookie[]> {
    return answer(async () => {
      const shards = this.#shards();
      const sites = await Promise.all(Array.from({ length: shards.count }, (_, shard) => shards.run(shard, COOKIE_SITES, []) as Promise<string[]>));
      const all = await Promise.all(sites.flat().map((site) => this.#call(site, COOKIES, [])));
      const now = Date.now();
      return all.flatMap(({ cookies }) => [...cookies.values()].filter((cookie) => expiresAt(cookie) > now));
    }, callback);
  }

  async seed(cookies: readonly Cookie[]): Promise<void> {
    const bySite = new Map<string, Cookie[]>();
    for (const cookie of cookies) {
      const site = siteOf(cookie.domain ?? "");
      bySite.set(site, [...(bySite.get(site) ?? []), cookie]);
    }
    await Promise.all(
      [...bySite].map(([site, given]) => {
        const args = given.flatMap((cookie) => {
          const [expires, json] = stored(cookie);
          return json === undefined ? [] : [fieldOf(cookie), asGiven(cookie), expires, json];
        });
        return args.length === 0 ? undefined : this.#call(site, SEED_COOKIES, args);
      }),
    );
  }

  async isGiven(cookie: Cookie): Promise<boolean> {
    return (await this.#site(siteOf(cookie.domain ?? ""))).given.has(fieldOf(cookie));
  }

  /**
   * A site's cookies: as read before, while the shard's version this process last heard of is not newer; else read
   * now. A read already on its way is shared, unless it was sent before that version was heard of.
   */
  async #site(site: string): Promise<SiteCookies> {
    const shards = this.#shards();
    const version = shards.summaries[shards.of(site)]!.cookies;
    const kept = this.#read.get(site);
    if (kept !== undefined && kept.version >= version) {
      this.#read.delete(site);
      this.#read.set(site, kept);
      return kept;
    }
    if (kept === undefined && version === 0) return NONE;
    const shared = this.#reading.get(site);
    if (shared !== undefined) {
      const read = await shared;
      if (read.version >= version) return read;
    }
    const reading = this.#call(site, COOKIES, []).finally(() => this.#reading.get(site) === reading && this.#reading.delete(site));
    this.#reading.set(site, reading);
    return reading;
  }

  /** Sets and removes cookies of the site of `domain` in one call; a cookie already expired is removed. */
  async #change(domain: string, set: readonly Cookie[], remove: readonly string[]): Promise<void> {
    const sets: string[] = [];
    const removes = [...remove];
    for (const cookie of set) {
      const [expires, json] = stored(cookie);
      if (json === undefined) removes.push(fieldOf(cookie));
      else sets.push(fieldOf(cookie), expires, json);
    }
    await this.#call(siteOf(domain), SET_COOKIES, [sets.length / 3, ...sets, ...removes]);
  }

  /** Runs a cookie script on a site's shard, and keeps the site's cookies it answers with, unless older than those kept. */
  async #call(site: string, script: Script, args: readonly (string | number)[]): Promise<SiteCookies> {
    const shards = this.#shards();
    const [flat, version] = (await shards.run(shards.of(site), script, [site, ...args])) as [string[], number];
    const read: SiteCookies = { version: Number(version), cookies: new Map(), given: new Set() };
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i]!;
      if (name.startsWith("g")) {
        read.given.add(name.slice(1));
        continue;
      }
      const cookie = Cookie.fromJSON(flat[i + 1]);
      if (cookie !== undefined) read.cookies.set(name, cookie);
    }
    const kept = this.#read.get(site);
    if (kept !== undefined && kept.version > read.version) return kept;
    this.#read.delete(site);
    this.#read.set(site, read);
    for (const oldest of this.#read.keys()) {
      if (this.#read.size <= SITES_KEPT) break;
      this.#read.delete(oldest);
    }
    return read;
  }
}

/** A cookie's field in its site's hash: its identity, as tough-cookie's stores key it. */
function field(domain: string, path: string, key: string): string {
  return JSON.stringify([domain, path, key]);
}

function fieldOf(cookie: Cookie): string {
  return field(cookie.domain ?? "", cookie.path ?? "", cookie.key);
}

/** When a cookie expires, ms since the epoch; `Infinity` for a session cookie. */
function expiresAt(cookie: Cookie): number {
  return cookie.expiryTime() ?? Infinity;
}

/**
 * A cookie as stored: when it expires ("inf" for a session cookie) and its JSON, with a `Max-Age` turned into the time
 * it gives, counted from now, as it is received (tough-cookie counts it from the cookie's last use, which a store
 * shared by processes does not keep); its JSON `undefined` when it has expired already, as `Max-Age=0` does.
 */
function stored(cookie: Cookie): [expires: string, json: string | undefined] {
  const expiry = expiresAt(cookie);
  if (expiry <= Date.now()) return ["0", undefined];
  const fixed = cookie.clone() ?? cookie;
  if (fixed.maxAge != null) {
    fixed.maxAge = null;
    fixed.expires = expiry === Infinity ? "Infinity" : new Date(expiry);
  }
  return [expiry === Infinity ? "inf" : String(expiry), JSON.stringify(fixed.toJSON())];
}

/** A cookie the crawl starts with as given: what makes it the same when another process is given it. */
function asGiven(cookie: Cookie): string {
  const { key, value, domain, path, expires, secure, httpOnly, hostOnly, sameSite } = cookie;
  return JSON.stringify([key, value, domain, path, expires instanceof Date ? expires.getTime() : expires, secure, httpOnly, hostOnly, sameSite]);
}

/**
 * Runs `body`, and answers through `callback` when one is given, as tough-cookie's `CookieJar` calls its store (its
 * callback types are overloads no single function type matches, hence `unknown`).
 */
function answer<T>(body: () => Promise<T>, callback: unknown): Promise<T> {
  const promise = body();
  if (typeof callback === "function") {
    const reply = callback as (error: Error | null, result?: T) => void;
    promise.then(
      (result) => reply(null, result),
      (error: unknown) => reply(error instanceof Error ? error : new Error(String(error))),
    );
  }
  return promise;
}
