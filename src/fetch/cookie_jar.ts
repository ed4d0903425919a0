import { readFileSync } from "node:fs";
import { Cookie, CookieJar, MemoryCookieStore, type Store } from "tough-cookie";
import { UsageError } from "../errors.ts";

/** A cookie a crawl starts with (`--cookie`, or a line of a cookies.txt file): plain data. */
export interface StartCookie {
  name: string;
  value: string;
  /** The host or domain, lower case, without a leading dot. */
  domain: string;
  /** Sent to `domain` alone (`true`), or to its subdomains as well. */
  hostOnly: boolean;
  path: string;
  /** Sent over HTTPS only. */
  secure: boolean;
  httpOnly: boolean;
  /** When it expires, in milliseconds since the epoch; `null` for a session cookie, kept for the whole crawl. */
  expires: number | null;
}

/**
 * A tough-cookie `Store` that the processes of a shared crawl reach together (see `RedisCookieStore`), so that a
 * cookie one process receives is sent by all; it keeps its own bounds, and knows the cookies the crawl started with.
 */
export interface SharedCookieStore extends Store {
  /**
   * Puts the cookies the crawl starts with, once per crawl: a cookie given before as it is given now is not put again
   * (a process joining with the same cookies undoes nothing the site set since); given otherwise (a new login), it
   * replaces the one there.
   */
  seed(cookies: readonly Cookie[]): Promise<void>;
  /** Whether `cookie` is one the crawl started with, by any process (a fresh session keeps it). */
  isGiven(cookie: Cookie): Promise<boolean>;
}

/** Options of {@linkcode CrawlCookieJar}. */
export interface CrawlCookieJarOptions {
  /**
   * Where the cookies are kept, when every process of a shared crawl must send those one received. @default a store of
   * the jar's own, in memory, bounded by `maxDomains`
   */
  store?: SharedCookieStore | undefined;
  /**
   * Domains whose cookies the jar's own store keeps at once; past that, the least recently used domain's are forgotten.
   * @default 10000
   */
  maxDomains?: number;
}

/**
 * A crawl's cookies, kept as a browser keeps them (RFC 6265: domain, path, expiry and `Secure` honoured), in a
 * tough-cookie jar: over a store of its own in memory by default, or over a {@linkcode SharedCookieStore} that makes it
 * the jar of every process of a shared crawl. It is what got's `cookieJar` option takes. The cookies the crawl started
 * with are in it before the first request (see {@linkcode ready}). Its own store's memory stays bounded on a crawl of
 * any number of sites: as a browser purges its oldest cookies past a few thousand, the jar keeps those of the
 * `maxDomains` domains it used last (the cookies the crawl started with always); and as it knows every cookie there, a
 * crawl of sites that set none pays nothing for it.
 *
 * @example
 * ```ts
 * import { CrawlCookieJar, parseCookie } from "./cookie_jar.ts";
 * const jar = new CrawlCookieJar([parseCookie("sid=abc; Domain=example.com")]);
 * await jar.getCookieString("https://www.example.com/"); // "sid=abc"
 * ```
 */
export class CrawlCookieJar {
  readonly #jar: CookieJar;
  readonly #shared: SharedCookieStore | undefined;
  readonly #start: readonly StartCookie[];
  /** The cookies given at the start, by domain, path and name: a fresh session keeps them. */
  readonly #given = new Set<string>();
  readonly #givenDomains = new Set<string>();
  /** The domains holding cookies the sites set, the least recently used first (in the jar's own store). */
  readonly #domains = new Map<string, true>();
  readonly #maxDomains: number;
  #seeded: Promise<void> | undefined;

  constructor(start: readonly StartCookie[] = [], options: CrawlCookieJarOptions = {}) {
    this.#shared = options.store;
    this.#jar = new CookieJar(options.store ?? new MemoryCookieStore());
    this.#start = start;
    this.#maxDomains = options.maxDomains ?? 10_000;
  }

  /**
   * Puts the cookies the crawl starts with in the jar, once; every other method waits for it. A shared store may be
   * reachable only once its crawl is open: a crawl calls this then, before its first request.
   */
  ready(): Promise<void> {
    this.#seeded ??= this.#seed();
    return this.#seeded;
  }

  async #seed(): Promise<void> {
    // A jar of their own gives the cookies as a response from their domain would set them, checked and completed.
    const scratch = new CookieJar();
    for (const cookie of this.#start) await scratch.setCookie(toughCookie(cookie), urlOf(cookie));
    const cookies = await scratch.store.getAllCookies();
    for (const cookie of cookies) {
      this.#given.add(identity(cookie));
      if (cookie.domain !== null) this.#givenDomains.add(cookie.domain);
    }
    if (this.#shared !== undefined) await this.#shared.seed(cookies);
    else for (const cookie of cookies) await this.#jar.store.putCookie(cookie);
  }

  /** The `Cookie` header for a request to `url` ("" when none). */
  async getCookieString(url: string): Promise<string> {
    await this.ready();
    // The jar's own store holds nothing it was not told of: a crawl of sites that set no cookie pays nothing.
    if (this.#shared !== undefined) return this.#jar.getCookieString(url);
    if (this.#given.size === 0 && this.#domains.size === 0) return "";
    // The host's cookies, and those of each domain above it, were used: they are the last to be forgotten.
    for (let domain = new URL(url).hostname; domain !== ""; domain = domain.slice(domain.indexOf(".") + 1 || domain.length)) {
      if (this.#domains.delete(domain)) this.#domains.set(domain, true);
    }
    return this.#jar.getCookieString(url);
  }

  /** Takes one `Set-Cookie` value of a response from `url`; one a browser would refuse is ignored, as a browser does. */
  async setCookie(raw: string, url: string): Promise<void> {
    await this.ready();
    const stored = await this.#jar.setCookie(raw, url, { ignoreError: true });
    const domain = stored?.domain;
    if (this.#shared !== undefined || domain === undefined || domain === null || this.#givenDomains.has(domain)) return;
    this.#domains.delete(domain);
    this.#domains.set(domain, true);
    for (const oldest of this.#domains.keys()) {
      if (this.#domains.size <= this.#maxDomains) break;
      this.#domains.delete(oldest);
      await this.#jar.store.removeCookies(oldest, null);
    }
  }

  /**
   * Starts a fresh session with the site of `url`: forgets the cookies the site set that a request to `url` would
   * send, and keeps those the crawl started with (a login). Resolves with how many were forgotten.
   */
  async freshSession(url: string): Promise<number> {
    await this.ready();
    let forgotten = 0;
    for (const cookie of await this.#jar.getCookies(url)) {
      if (cookie.domain === null || cookie.path === null) continue;
      // Another process of a shared crawl may have been given cookies this one was not.
      if (this.#given.has(identity(cookie)) || (await this.#shared?.isGiven(cookie)) === true) continue;
      await this.#jar.store.removeCookie(cookie.domain, cookie.path, cookie.key);
      forgotten++;
    }
    return forgotten;
  }
}

/**
 * Reads a cookie given as a `Set-Cookie` value (`--cookie "sid=abc; Domain=example.com; Path=/; Secure"`). It must name
 * its `Domain`, since it belongs to no response; it is then sent to that domain and its subdomains. A malformed one is
 * a `UsageError` that quotes it.
 *
 * @example
 * ```ts
 * import { parseCookie } from "./cookie_jar.ts";
 * parseCookie("sid=abc; Domain=example.com").domain; // "example.com"
 * ```
 */
export function parseCookie(text: string): StartCookie {
  const cookie = Cookie.parse(text);
  const problem =
    cookie === undefined || cookie.key === ""
      ? "name=value"
      : typeof cookie.domain !== "string" || cookie.domain === ""
        ? "a Domain"
        : undefined;
  if (cookie === undefined || problem !== undefined) {
    throw new UsageError(`Expected a cookie as "name=value; Domain=example.com" (${problem} missing), got ${JSON.stringify(text)}`);
  }
  const expiry = cookie.expiryTime();
  const start: StartCookie = {
    name: cookie.key,
    value: cookie.value,
    domain: cookie.domain!.replace(/^\./, "").toLowerCase(),
    hostOnly: false,
    path: typeof cookie.path === "string" && cookie.path.startsWith("/") ? cookie.path : "/",
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    expires: expiry === undefined || expiry === Infinity ? null : expiry,
  };
  return checked(start, JSON.stringify(text));
}

/**
 * Reads a Netscape `cookies.txt` file, as curl writes it and browser extensions export it: one cookie a line, seven
 * fields separated by tabs (domain, subdomains too `TRUE`/`FALSE`, path, secure `TRUE`/`FALSE`, expiry in seconds since
 * the epoch with 0 for a session cookie, name, value); `#` comments and blank lines skipped; a `#HttpOnly_` prefix on
 * the domain marks an HttpOnly cookie. Cookies already expired are left out. A malformed line is a `UsageError` that
 * names the file and the line.
 *
 * @example
 * ```ts
 * import { parseCookiesTxt } from "./cookie_jar.ts";
 * parseCookiesTxt(".example.com\tTRUE\t/\tFALSE\t0\tsid\tabc\n", "cookies.txt")[0]!.name; // "sid"
 * ```
 */
export function parseCookiesTxt(text: string, file: string, now = Date.now()): StartCookie[] {
  const cookies: StartCookie[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/\r$/, "");
    const httpOnly = line.startsWith("#HttpOnly_");
    if (httpOnly) line = line.slice("#HttpOnly_".length);
    else if (line.startsWith("#") || line.trim() === "") continue;
    const fields = line.split("\t");
    // curl writes a cookie without a value with the seventh field left out.
    if (fields.length === 6) fields.push("");
    const [domain = "", subdomains = "", path = "", secure = "", expiry = "", name = "", value = ""] = fields;
    const flag = (text: string) => (/^true$/i.test(text) ? true : /^false$/i.test(text) ? false : undefined);
    const bad = (what: string) =>
      new UsageError(`Expected line ${i + 1} of ${file} to be a cookie (${what}), got ${JSON.stringify(lines[i]!.replace(/\r$/, ""))}`);
    if (fields.length !== 7) throw bad("domain, subdomains, path, secure, expiry, name and value, separated by tabs");
    if (domain === "" || /\s/.test(domain)) throw bad("a domain first");
    if (flag(subdomains) === undefined || flag(secure) === undefined) throw bad("TRUE or FALSE in the second and fourth fields");
    if (!path.startsWith("/")) throw bad("a path starting with / in the third field");
    if (!/^\d+(\.\d+)?$/.test(expiry)) throw bad("an expiry in seconds in the fifth field, 0 for a session cookie");
    if (name === "") throw bad("a name in the sixth field");
    const expires = Number(expiry) === 0 ? null : Math.floor(Number(expiry) * 1000);
    if (expires !== null && expires <= now) continue;
    const cookie: StartCookie = {
      name,
      value,
      domain: domain.replace(/^\./, "").toLowerCase(),
      hostOnly: flag(subdomains) === false && !domain.startsWith("."),
      path,
      secure: flag(secure)!,
      httpOnly,
      expires,
    };
    cookies.push(checked(cookie, `line ${i + 1} of ${file}`));
  }
  return cookies;
}

/**
 * Reads a Netscape `cookies.txt` file from disk: see {@linkcode parseCookiesTxt}. One that cannot be read is a
 * `UsageError` naming it.
 *
 * @example
 * ```ts
 * import { readCookiesFile } from "./cookie_jar.ts";
 * const cookies = readCookiesFile("cookies.txt");
 * ```
 */
export function readCookiesFile(path: string): StartCookie[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`Expected a readable cookies file, got ${JSON.stringify(path)} (${reason})`);
  }
  return parseCookiesTxt(text, path);
}

/** `cookie` as it will be stored, or a `UsageError` saying why a browser would refuse it (a public suffix as domain). */
function checked(cookie: StartCookie, what: string): StartCookie {
  try {
    new CookieJar().setCookieSync(toughCookie(cookie), urlOf(cookie));
  } catch (error) {
    throw new UsageError(`Expected a cookie a browser would keep, got ${what}: ${(error as Error).message}`);
  }
  return cookie;
}

function toughCookie(cookie: StartCookie): Cookie {
  return new Cookie({
    key: cookie.name,
    value: cookie.value,
    path: cookie.path,
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    expires: cookie.expires === null ? "Infinity" : new Date(cookie.expires),
    // Without a domain, the jar takes the URL's host and sends the cookie to that host alone.
    ...(cookie.hostOnly ? {} : { domain: cookie.domain }),
  });
}

/** A URL the cookie could have come from: its domain, over HTTPS when it is `Secure`, at its path. */
function urlOf(cookie: StartCookie): string {
  const host = cookie.domain.includes(":") ? `[${cookie.domain}]` : cookie.domain;
  return `${cookie.secure ? "https" : "http"}://${host}${cookie.path}`;
}

function identity(cookie: Cookie): string {
  return `${cookie.domain}\t${cookie.path}\t${cookie.key}`;
}
