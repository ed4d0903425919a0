import http from "node:http";
import type { Socket } from "node:net";
import { randomFor } from "./random.ts";
import { HostRequestLog } from "./request_log.ts";

/**
 * A site of many hosts on one port, for crawls that span hosts: every loopback address 127.x.y.z is a host of its own
 * (host 0 is 127.0.0.2, then on through 127.0.0.254, 127.0.1.1 ...; never an address ending in .0 or .255, and
 * 127.0.0.1 is left to other servers). One server bound to 0.0.0.0 answers them all, telling hosts apart by the Host
 * header (or, without one, the address the connection reached), and drops any connection from outside 127.0.0.0/8.
 * Pages are made on demand from the seed and never stored, so a million pages cost no memory; the request log keeps
 * what a benchmark needs to judge a crawler's politeness. Depends on nothing but `node:http`.
 */

/** What a host's /robots.txt says: no file (404), everything allowed, or everything allowed with a Crawl-delay (s). */
export type BroadRobots = "none" | "allow" | { crawlDelay: number };

/** Options of {@linkcode broadPage} and {@linkcode renderBroadPage}: everything that decides what a page holds. */
export interface BroadPageOptions {
  /** Number of hosts. @default 100 */
  hosts?: number;
  /** Pages per host, /page/0 .. /page/<pagesPerHost-1>. @default 50 */
  pagesPerHost?: number;
  /** Links from a page to other pages of its host, the next page first. @default 8 */
  ownLinks?: number;
  /** Links from a page to pages of other hosts, the next host first. @default 2 */
  otherLinks?: number;
  /** Approximate size of a page in KB (1024 bytes): of its HTML, or of a script host's JSON. @default 4 */
  bodyKb?: number;
  /** Seed of the link graph and the text. @default 1 */
  seed?: number;
  /**
   * The hosts whose pages are built by a script: a fraction of the hosts, spread evenly (0.1 makes every tenth host,
   * host 9 first, a script host), or a list of host numbers. @default 0
   */
  scriptHosts?: number | readonly number[];
}

/** Options of {@linkcode startBroadSite}. */
export interface BroadSiteOptions extends BroadPageOptions {
  /** Delay before each response, in ms (a timer: it costs the server no CPU). @default 0 */
  latencyMs?: number;
  /** Every host's /robots.txt, or a function giving each host's. @default "allow" */
  robots?: BroadRobots | ((host: number) => BroadRobots);
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
}

/** One link of a page: the host and page it points to, and its text. */
export interface BroadLink {
  host: number;
  page: number;
  text: string;
}

/** What a page holds, whichever way it is served: what a crawler should find on it. */
export interface BroadPage {
  title: string;
  h1: string;
  links: BroadLink[];
  /** Paragraphs of text. */
  text: string[];
}

/** A running broad site; see {@linkcode startBroadSite}. */
export interface BroadSite {
  port: number;
  hosts: number;
  pagesPerHost: number;
  /** Page 0 of host 0, from which every page of every host is reachable. */
  startUrl: string;
  /** `http://<address of host>:<port>`. */
  origin(host: number): string;
  /** The URL of a page. */
  url(host: number, page: number): string;
  /** Whether a host's pages are built by a script. */
  isScriptHost(host: number): boolean;
  /** Every request since start or the last `log.reset()`. */
  log: HostRequestLog;
  /** Stops listening and destroys open keep-alive sockets, so it resolves promptly. Safe to call twice. */
  close(): Promise<void>;
}

/** Hosts numbered to fit 127.0.0.0/8 with 254 addresses in each /24. */
const MAX_HOSTS = 65_536 * 254 - 1;
/** Pages in all: one bit each in the request log. */
const MAX_PAGES = 100_000_000;

interface Settings {
  hosts: number;
  pagesPerHost: number;
  ownLinks: number;
  otherLinks: number;
  bodyKb: number;
  seed: number;
  isScriptHost: (host: number) => boolean;
}

/**
 * The loopback address of host `host`: 127.0.0.2 for host 0, then each address in turn whose last byte is 1 to 254.
 *
 * @example
 * ```ts
 * import { broadHostAddress } from "./broad_site.ts";
 * broadHostAddress(0); // "127.0.0.2"
 * broadHostAddress(253); // "127.0.1.1"
 * ```
 */
export function broadHostAddress(host: number): string {
  if (!Number.isSafeInteger(host) || host < 0 || host >= MAX_HOSTS) {
    throw new RangeError(`Expected host to be an integer from 0 to ${MAX_HOSTS - 1}, got ${show(host)}`);
  }
  const slot = host + 1; // slot 0 is 127.0.0.1
  const block = Math.floor(slot / 254);
  return `127.${block >>> 8}.${block & 255}.${(slot % 254) + 1}`;
}

/**
 * The URL of page `page` of host `host` on a broad site served on `port`.
 *
 * @example
 * ```ts
 * import { broadPageUrl } from "./broad_site.ts";
 * broadPageUrl(0, 4, 8080); // "http://127.0.0.2:8080/page/4"
 * ```
 */
export function broadPageUrl(host: number, page: number, port: number): string {
  return `http://${broadHostAddress(host)}:${port}/page/${page}`;
}

/**
 * The host number of a loopback address, the inverse of {@linkcode broadHostAddress}; undefined for any other name.
 *
 * @example
 * ```ts
 * import { broadHostIndex } from "./broad_site.ts";
 * broadHostIndex("127.0.1.1"); // 253
 * broadHostIndex("127.0.0.1"); // undefined
 * ```
 */
export function broadHostIndex(hostname: string): number | undefined {
  const match = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (match === null) return undefined;
  const [a, b, c] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (a > 255 || b > 255 || c < 1 || c > 254) return undefined;
  const host = (a * 256 + b) * 254 + c - 2;
  return host >= 0 ? host : undefined;
}

/**
 * What page `page` of host `host` holds: its title, h1, links and text, the same for the same options. A plain host
 * serves it as HTML; a script host serves a shell whose script fetches it as JSON and builds the same elements.
 *
 * @example
 * ```ts
 * import { broadPage } from "./broad_site.ts";
 * const { links } = broadPage(0, 0, { hosts: 10, pagesPerHost: 20 });
 * links.length; // 10: 8 to host 0 (page 1 first), then 2 to other hosts (host 1 first)
 * ```
 */
export function broadPage(host: number, page: number, options: BroadPageOptions = {}): BroadPage {
  const settings = pageSettings(options);
  checkPage(host, page, settings);
  return content(host, page, settings);
}

/** Options of {@linkcode renderBroadPage}. */
export interface RenderBroadPageOptions extends BroadPageOptions {
  /**
   * What to render: the page as HTML, the script host's shell, or its JSON. @default the host's own: "shell" for a
   * script host, "html" for the others
   */
  form?: "html" | "shell" | "json";
}

/**
 * The body the broad site on `port` answers for a page, without a server; `form` renders another form of the same
 * page (a script host's page as plain HTML, to compare).
 *
 * @example
 * ```ts
 * import { renderBroadPage } from "./broad_site.ts";
 * const html = renderBroadPage(0, 3, 8080, { hosts: 10 });
 * html.includes('<a href="http://127.0.0.2:8080/page/4">'); // true: the next page of its host
 * ```
 */
export function renderBroadPage(host: number, page: number, port: number, options: RenderBroadPageOptions = {}): string {
  const settings = pageSettings(options);
  checkPage(host, page, settings);
  const form = options.form ?? (settings.isScriptHost(host) ? "shell" : "html");
  if (form === "shell") return SHELL;
  const data = content(host, page, settings);
  return form === "json" ? json(data, port) : html(data, port);
}

/**
 * Starts the broad site on 0.0.0.0 (connections from outside 127.0.0.0/8 are dropped). Each host serves
 * /page/<n> (HTML, or a script host's shell), /api/page/<n>.json (the page's content, which a shell fetches) and
 * /robots.txt as `robots` says; anything else is a 404, and so is every path of an address that is not one of its
 * hosts. Responses are not compressed.
 *
 * @example
 * ```ts
 * import { startBroadSite } from "./broad_site.ts";
 * const site = await startBroadSite({ hosts: 3, pagesPerHost: 5 });
 * const res = await fetch(site.url(2, 4)); // http://127.0.0.4:PORT/page/4
 * res.status; // 200
 * site.log.gaps(500); // { hosts: 1, gaps: 0, below: 0, hostsBelow: 0, shortestMs: null }
 * await site.close();
 * ```
 */
export async function startBroadSite(options: BroadSiteOptions = {}): Promise<BroadSite> {
  const settings = pageSettings(options);
  const latencyMs = options.latencyMs ?? 0;
  if (typeof latencyMs !== "number" || !Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`Expected latencyMs to be a non-negative number, got ${show(latencyMs)}`);
  }
  const port = options.port ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected port to be an integer from 0 to 65535, got ${show(port)}`);
  }
  const robotsOf = robotsSetting(options.robots ?? "allow");

  const log = new HostRequestLog(settings.hosts, settings.pagesPerHost);
  const sockets = new Set<Socket>();
  const server = http.createServer();
  // Long enough for a polite crawler to reuse its connection to a host; short enough that 10,000 hosts do not each
  // keep one open for a minute.
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket: Socket) => {
    if (!isLoopback(socket.remoteAddress) || !isLoopback(socket.localAddress)) return void socket.destroy();
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("broad site has no TCP address");
  const actualPort = address.port;

  const answer = (host: number, kind: Route["kind"], page: number): { status: number; type: string; body: string } => {
    if (host < 0) return { status: 404, type: HTML, body: NOT_FOUND };
    if (kind === "page") return { status: 200, type: HTML, body: settings.isScriptHost(host) ? SHELL : html(content(host, page, settings), actualPort) };
    if (kind === "json") return { status: 200, type: JSON_TYPE, body: json(content(host, page, settings), actualPort) };
    const robots = kind === "robots" ? robotsOf(host) : "none";
    return robots === "none" ? { status: 404, type: HTML, body: NOT_FOUND } : { status: 200, type: TEXT, body: robotsTxt(robots) };
  };

  let onIdle: (() => void) | undefined;
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = hostOf(req, settings.hosts);
    const { kind, page } = route(req.url ?? "/", settings.pagesPerHost);
    log.arrive(host, kind === "page" ? page : undefined);
    res.once("close", () => {
      log.leave(host);
      if (log.inFlight === 0) onIdle?.();
    });

    const { status, type, body } = answer(host, kind, page);
    const send = (): void => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-length": 0 }).end();
        return;
      }
      const payload = Buffer.from(body, "utf8");
      res.writeHead(status, { "content-type": type, "content-length": payload.length });
      res.end(req.method === "HEAD" ? undefined : payload);
    };
    if (latencyMs === 0) return send();
    const timer = setTimeout(send, latencyMs);
    // A client that gave up (a crawler's timeout) must not leave a timer that writes to a dead socket.
    res.once("close", () => clearTimeout(timer));
  });

  let closing: Promise<void> | undefined;
  const origin = (host: number) => `http://${broadHostAddress(host)}:${actualPort}`;
  return {
    port: actualPort,
    hosts: settings.hosts,
    pagesPerHost: settings.pagesPerHost,
    startUrl: broadPageUrl(0, 0, actualPort),
    origin,
    url: (host, page) => broadPageUrl(host, page, actualPort),
    isScriptHost: settings.isScriptHost,
    log,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
        // Responses' "close" events can land after the server's; waiting for them leaves log.inFlight at 0.
        const idle = log.inFlight === 0 ? undefined : new Promise<void>((resolve) => (onIdle = resolve));
        for (const socket of sockets) socket.destroy();
        await Promise.all([stopped, idle]);
      })();
      return closing;
    },
  };
}

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
const TEXT = "text/plain; charset=utf-8";
const NOT_FOUND = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Not found</title>\n</head>\n<body>\n<h1>Not found</h1>\n</body>\n</html>\n';

/**
 * A script host's page: no title, heading, link or text until its script has fetched the page's JSON (from the path
 * it was loaded at) and built them, as the plain HTML has them.
 */
const SHELL = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
</head>
<body>
<script>
fetch("/api" + location.pathname + ".json").then((response) => response.json()).then((page) => {
  const element = (name, text) => Object.assign(document.createElement(name), { textContent: text });
  document.title = page.title;
  const list = Object.assign(document.createElement("ul"), { id: "links" });
  for (const link of page.links) {
    const item = document.createElement("li");
    item.append(Object.assign(element("a", link.text), { href: link.href }));
    list.append(item);
  }
  const text = Object.assign(document.createElement("div"), { id: "text" });
  text.append(...page.text.map((paragraph) => element("p", paragraph)));
  document.body.append(element("h1", page.h1), list, text);
});
</script>
</body>
</html>
`;

function html(page: BroadPage, port: number): string {
  const links = page.links.map((link) => `<li><a href="${linkUrl(link, port)}">${link.text}</a></li>\n`).join("");
  const text = page.text.map((paragraph) => `<p>${paragraph}</p>\n`).join("");
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${page.title}</title>\n</head>\n<body>\n` +
    `<h1>${page.h1}</h1>\n<ul id="links">\n${links}</ul>\n<div id="text">\n${text}</div>\n</body>\n</html>\n`
  );
}

function json(page: BroadPage, port: number): string {
  const links = page.links.map((link) => ({ href: linkUrl(link, port), text: link.text }));
  return `${JSON.stringify({ title: page.title, h1: page.h1, links, text: page.text })}\n`;
}

function linkUrl(link: BroadLink, port: number): string {
  return broadPageUrl(link.host, link.page, port);
}

function robotsTxt(robots: Exclude<BroadRobots, "none">): string {
  return robots === "allow" ? "User-agent: *\nAllow: /\n" : `User-agent: *\nCrawl-delay: ${robots.crawlDelay}\nAllow: /\n`;
}

function robotsSetting(robots: BroadRobots | ((host: number) => BroadRobots)): (host: number) => BroadRobots {
  if (typeof robots === "function") return robots;
  const valid =
    robots === "none" ||
    robots === "allow" ||
    (typeof robots === "object" && robots !== null && Number.isFinite(robots.crawlDelay) && robots.crawlDelay >= 0);
  if (!valid) {
    throw new RangeError(`Expected robots to be "none", "allow" or { crawlDelay: seconds }, got ${JSON.stringify(robots)}`);
  }
  return () => robots;
}

const ADJECTIVES = ["Quiet", "Northern", "Hidden", "Early", "Bright", "Open", "Lost", "Small", "Distant", "Common", "Silver", "Winter"];
const NOUNS = ["rivers", "gardens", "harbours", "bridges", "libraries", "orchards", "markets", "islands", "railways", "lighthouses", "valleys", "workshops"];
const SENTENCES = [
  "The town grew up around the crossing, and the crossing grew with the town.",
  "Nobody remembers who planted the first row, but every spring someone plants another.",
  "Records from the period are thin, and most of what we know comes from letters.",
  "The building was rebuilt twice, each time a little larger and a little plainer.",
  "Visitors arrive in the morning and leave before the evening train.",
  "Local histories disagree on the date, though not on the story.",
  "In the dry months the path along the water is the quickest way across.",
  "A small museum keeps the tools, the maps and a few photographs.",
  "Most of the work was done by hand, and much of it at night.",
  "The name appears on maps a century before the place itself is described.",
];

function content(host: number, page: number, settings: Settings): BroadPage {
  const random = randomFor(settings.seed, host, page, 1);
  const topic = `${pick(ADJECTIVES, random)} ${pick(NOUNS, random)}`;
  const title = `${topic} | host ${host}, page ${page}`;
  const h1 = `${topic} ${page}`;
  const links = targets(host, page, settings).map((target) => ({ ...target, text: `host ${target.host}, page ${target.page}` }));
  // Text brings the page to about bodyKb; the links and markup are counted at their size with a 5-digit port.
  let room = settings.bodyKb * 1024 - 300 - title.length - h1.length - links.length * 80;
  const text: string[] = [];
  do {
    const sentences = Array.from({ length: 3 + Math.floor(random() * 4) }, () => pick(SENTENCES, random));
    const paragraph = sentences.join(" ");
    text.push(paragraph);
    room -= paragraph.length + 8;
  } while (room > 0);
  return { title, h1, links, text };
}

/** The pages a page links to: its own host's (the next page first, so that a host's pages form one cycle), then other hosts' (the next host first, so that every host is reachable from host 0). */
function targets(host: number, page: number, settings: Settings): { host: number; page: number }[] {
  const { hosts, pagesPerHost } = settings;
  const random = randomFor(settings.seed, host, page, 0);
  const own: number[] = [];
  const ownCount = Math.min(settings.ownLinks, pagesPerHost - 1);
  if (ownCount > 0) own.push((page + 1) % pagesPerHost);
  while (own.length < ownCount) {
    const target = Math.floor(random() * pagesPerHost);
    if (target !== page && !own.includes(target)) own.push(target);
  }
  const others: number[] = [];
  const otherCount = Math.min(settings.otherLinks, hosts - 1);
  if (otherCount > 0) others.push((host + 1) % hosts);
  while (others.length < otherCount) {
    const target = Math.floor(random() * hosts);
    if (target !== host && !others.includes(target)) others.push(target);
  }
  return [
    ...own.map((target) => ({ host, page: target })),
    ...others.map((target) => ({ host: target, page: Math.floor(random() * pagesPerHost) })),
  ];
}

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)]!;
}

function pageSettings(options: BroadPageOptions): Settings {
  const values = {
    hosts: options.hosts ?? 100,
    pagesPerHost: options.pagesPerHost ?? 50,
    ownLinks: options.ownLinks ?? 8,
    otherLinks: options.otherLinks ?? 2,
    bodyKb: options.bodyKb ?? 4,
    seed: options.seed ?? 1,
  };
  for (const name of ["hosts", "pagesPerHost", "bodyKb"] as const) {
    const value: unknown = values[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Expected ${name} to be a positive integer, got ${show(value)}`);
    }
  }
  for (const name of ["ownLinks", "otherLinks", "seed"] as const) {
    const value: unknown = values[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || (value < 0 && name !== "seed")) {
      throw new RangeError(`Expected ${name} to be a ${name === "seed" ? "" : "non-negative "}integer, got ${show(value)}`);
    }
  }
  if (values.hosts > MAX_HOSTS) throw new RangeError(`Expected hosts to be at most ${MAX_HOSTS}, got ${values.hosts}`);
  if (values.hosts * values.pagesPerHost > MAX_PAGES) {
    throw new RangeError(`Expected hosts × pagesPerHost to be at most ${MAX_PAGES}, got ${values.hosts * values.pagesPerHost}`);
  }
  return { ...values, isScriptHost: scriptHosts(options.scriptHosts ?? 0, values.hosts) };
}

function scriptHosts(scriptHosts: number | readonly number[], hosts: number): (host: number) => boolean {
  if (typeof scriptHosts === "number") {
    if (!(scriptHosts >= 0 && scriptHosts <= 1)) {
      throw new RangeError(`Expected scriptHosts to be a fraction from 0 to 1 or a list of hosts, got ${show(scriptHosts)}`);
    }
    // Host h is one when the running count floor((h + 1) × fraction) steps up there: evenly spread, exactly as many.
    return (host) => Math.floor((host + 1) * scriptHosts) > Math.floor(host * scriptHosts);
  }
  if (!Array.isArray(scriptHosts) || !scriptHosts.every((host) => Number.isSafeInteger(host) && host >= 0 && host < hosts)) {
    throw new RangeError(`Expected scriptHosts to list hosts from 0 to ${hosts - 1}, got ${JSON.stringify(scriptHosts)}`);
  }
  const set = new Set(scriptHosts);
  return (host) => set.has(host);
}

function checkPage(host: number, page: number, settings: Settings): void {
  if (!Number.isSafeInteger(host) || host < 0 || host >= settings.hosts) {
    throw new RangeError(`Expected host to be an integer from 0 to ${settings.hosts - 1}, got ${show(host)}`);
  }
  if (!Number.isSafeInteger(page) || page < 0 || page >= settings.pagesPerHost) {
    throw new RangeError(`Expected page to be an integer from 0 to ${settings.pagesPerHost - 1}, got ${show(page)}`);
  }
}

function hostOf(req: http.IncomingMessage, hosts: number): number {
  const header = req.headers.host;
  const name = header === undefined ? req.socket.localAddress?.replace(/^::ffff:/, "") : header.replace(/:\d*$/, "");
  const host = name === undefined ? undefined : broadHostIndex(name);
  return host !== undefined && host < hosts ? host : -1;
}

interface Route {
  kind: "page" | "json" | "robots" | "other";
  page: number;
}

function route(url: string, pagesPerHost: number): Route {
  const query = url.indexOf("?");
  const pathname = query === -1 ? url : url.slice(0, query);
  if (pathname === "/robots.txt") return { kind: "robots", page: -1 };
  // Only the canonical spelling is a page (no leading zeros): one URL per page.
  const match = /^(\/api)?\/page\/(0|[1-9]\d{0,9})(\.json)?$/.exec(pathname);
  const page = Number(match?.[2] ?? NaN);
  if (match === null || !(page < pagesPerHost) || (match[1] === undefined) !== (match[3] === undefined)) {
    return { kind: "other", page: -1 };
  }
  return { kind: match[1] === undefined ? "page" : "json", page };
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && /^(::ffff:)?127\./.test(address);
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
