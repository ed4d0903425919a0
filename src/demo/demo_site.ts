import http from "node:http";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { randomFor as rng } from "./random.ts";

/**
 * A deterministic, Douban-like book site served on loopback, so that tests, the offline `make crawl` demo and
 * benchmarks crawl the same pages without touching the live web. It depends on nothing but `node:http` and
 * `node:zlib` so that a bug in the crawler cannot hide in it.
 */

/** Options of {@linkcode renderDemoPage}: everything that decides what a page looks like. */
export interface RenderDemoPageOptions {
  /** Number of book pages, /subject/0/ .. /subject/<pages-1>/. @default 200 */
  pages?: number;
  /**
   * Recommendation links per page. Targets on one page are distinct and never the page itself, so at most
   * `pages - 1` are rendered (a one-page site links to itself, keeping the page shape). @default 10
   */
  links?: number;
  /** Approximate body size of a page in KB (1024 bytes, uncompressed). @default 8 */
  bodyKb?: number;
  /** Seed of the deterministic link graph and book details. @default 1 */
  seed?: number;
}

/** Options of {@linkcode startDemoSite}. */
export interface DemoSiteOptions extends RenderDemoPageOptions {
  /** Delay before each response, in ms. @default 0 */
  latencyMs?: number;
  /** Address to listen on (loopback only: 127.x.x.x, ::1 or localhost). @default "127.0.0.1" */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
}

/** What the server saw, for assertions such as "every page was fetched exactly once". */
export interface DemoSiteStats {
  /** Requests received, whatever the path or the answer (robots.txt and 404s included). */
  requests: number;
  /** Requests per path, without the query string (`/search?q=1` counts under `/search`). */
  byPath: Map<string, number>;
  /** Requests being handled now (received, response not yet closed). */
  inFlight: number;
  /** Highest `inFlight` seen since start or the last `reset()`. */
  maxInFlight: number;
  /** Sum over /subject/ paths of (requests - 1): how many fetches a perfect dedupe would have saved. */
  duplicateRequests(): number;
  /** Number of distinct book pages answered with 200. */
  subjectsServed(): number;
  /** Forgets the counts; `maxInFlight` restarts from the requests still in flight. */
  reset(): void;
}

/** A running demo site; see {@linkcode startDemoSite}. */
export interface DemoSite {
  /** `"http://127.0.0.1:PORT"`. */
  origin: string;
  /** `origin + "/subject/0/"`, from which every page is reachable. */
  startUrl: string;
  /** Number of book pages. */
  pages: number;
  /** Every book page URL, in id order. */
  urls(): string[];
  stats: DemoSiteStats;
  /** Stops listening and destroys open keep-alive sockets, so it resolves promptly. Safe to call twice. */
  close(): Promise<void>;
}

interface Settings {
  pages: number;
  links: number;
  bodyKb: number;
  seed: number;
}

/**
 * Renders book page `id` as Douban-shaped HTML, without a server; used to build fixtures and parse benchmarks.
 * The same `id`, `origin` and options always give the same string.
 *
 * @example
 * ```ts
 * import { renderDemoPage } from "./demo_site.ts";
 * const html = renderDemoPage(3, "http://127.0.0.1:8080", { pages: 10, links: 3 });
 * html.includes('<span property="v:itemreviewed">'); // true
 * ```
 */
export function renderDemoPage(id: number, origin: string, options: RenderDemoPageOptions = {}): string {
  const settings = pageSettings(options);
  checkId(id, settings);
  return render(id, origin, settings);
}

/**
 * The ids of the books page `id` recommends (its `#db-rec-section dt a` links), in page order: what a crawl of the
 * site discovers from that page.
 *
 * @example
 * ```ts
 * import { demoRecommendations } from "./demo_site.ts";
 * demoRecommendations(0, { pages: 200, links: 10 }); // [1, ...9 more ids from 0 to 199]
 * ```
 */
export function demoRecommendations(id: number, options: RenderDemoPageOptions = {}): number[] {
  const settings = pageSettings(options);
  checkId(id, settings);
  return recommendations(id, settings);
}

function checkId(id: number, settings: Settings): void {
  if (!Number.isSafeInteger(id) || id < 0 || id >= settings.pages) {
    throw new RangeError(`Expected id to be an integer from 0 to ${settings.pages - 1}, got ${show(id)}`);
  }
}

/**
 * Starts the demo site on loopback. Book pages live at /subject/<id>/; /robots.txt allows everything and names
 * /sitemap.xml, a sitemap index of gzipped sitemaps (/sitemaps/books-<n>.xml.gz, 50,000 pages each, with a
 * `<lastmod>` per page, see {@linkcode demoLastmod}); /url_list.txt lists every book page; /about/ and /help/ are
 * small pages; anything else is a 404. Responses are gzipped when the client accepts it.
 *
 * @example
 * ```ts
 * import { startDemoSite } from "./demo_site.ts";
 * const site = await startDemoSite({ pages: 50 });
 * const res = await fetch(site.startUrl);
 * res.status; // 200
 * site.stats.requests; // 1
 * await site.close();
 * ```
 */
export async function startDemoSite(options: DemoSiteOptions = {}): Promise<DemoSite> {
  const settings = pageSettings(options);
  const latencyMs = options.latencyMs ?? 0;
  if (typeof latencyMs !== "number" || !Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`Expected latencyMs to be a non-negative number, got ${show(latencyMs)}`);
  }
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || !isLoopback(host)) {
    throw new RangeError(`Expected host to be a loopback address, got ${show(host)}`);
  }
  const port = options.port ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected port to be an integer from 0 to 65535, got ${show(port)}`);
  }

  const stats = new Stats();
  const sockets = new Set<Socket>();
  const server = http.createServer();
  // Crawlers keep connections alive between pages; a short timeout would make benchmarks measure reconnects.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("demo site has no TCP address");
  const origin = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  // Rendered lazily: a benchmark with 100 000 pages should not pay for the pages it never asks for. Kept up to a
  // bound, oldest out first, so a site of a million pages stays small: a crawl rarely asks for a page again.
  const subjects = new Map<number, Body>();
  const fixed = new Map<string, Body>();
  const fixedBody = (key: string, type: string, make: () => string): Body => {
    let body = fixed.get(key);
    if (body === undefined) fixed.set(key, (body = new Body(make(), type)));
    return body;
  };

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { pathname, id } = route(req.url ?? "/", settings.pages);
    stats.arrive(pathname);
    res.once("close", () => {
      stats.leave();
      if (stats.inFlight === 0) onIdle?.();
    });

    let status = 200;
    let body: Body;
    if (id !== undefined) {
      let cached = subjects.get(id);
      if (cached === undefined) {
        cached = new Body(render(id, origin, settings), HTML);
        subjects.set(id, cached);
        if (subjects.size > CACHED_PAGES) subjects.delete(subjects.keys().next().value!);
      }
      body = cached;
    } else if (pathname === "/robots.txt") {
      body = fixedBody(pathname, TEXT, () => `User-agent: *\nAllow: /\nSitemap: ${origin}/sitemap.xml\n`);
    } else if (pathname === "/sitemap.xml") {
      body = fixedBody(pathname, XML, () => sitemapIndex(origin, settings.pages));
    } else if (sitemapPart(pathname, settings.pages) !== undefined) {
      const part = sitemapPart(pathname, settings.pages)!;
      body = fixed.get(pathname) ?? new Body(gzipSync(sitemap(origin, settings.pages, part)), GZIP, false);
      fixed.set(pathname, body);
    } else if (pathname === "/url_list.txt") {
      body = fixedBody(pathname, TEXT, () => pageUrls(origin, settings.pages).join("\n") + "\n");
    } else if (pathname === "/about/" || pathname === "/help/") {
      body = fixedBody(pathname, HTML, () => smallPage(origin, pathname === "/about/" ? "关于豆瓣" : "帮助中心"));
    } else {
      status = 404;
      body = fixedBody("404", HTML, () => smallPage(origin, "404 Not Found - 页面不存在"));
    }

    const send = (): void => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-length": 0 }).end();
        return;
      }
      if (status === 200 && id !== undefined) stats.served(id);
      const gzip = body.compressible && acceptsGzip(req.headers["accept-encoding"]);
      const payload = gzip ? body.gzip() : body.plain;
      const headers: http.OutgoingHttpHeaders = {
        "content-type": body.type,
        "content-length": payload.length,
        vary: "accept-encoding",
      };
      if (gzip) headers["content-encoding"] = "gzip";
      res.writeHead(status, headers);
      res.end(req.method === "HEAD" ? undefined : payload);
    };
    if (latencyMs === 0) return send();
    const timer = setTimeout(send, latencyMs);
    // A client that gave up (a crawler's timeout) must not leave a timer that writes to a dead socket.
    res.once("close", () => clearTimeout(timer));
  });

  let closing: Promise<void> | undefined;
  let onIdle: (() => void) | undefined;
  return {
    origin,
    startUrl: `${origin}/subject/0/`,
    pages: settings.pages,
    urls: () => pageUrls(origin, settings.pages),
    stats,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
        // Responses' "close" events can land after the server's; waiting for them leaves stats.inFlight at 0.
        const idle = stats.inFlight === 0 ? undefined : new Promise<void>((resolve) => (onIdle = resolve));
        // server.close() alone waits for idle keep-alive sockets to time out (60 s here).
        for (const socket of sockets) socket.destroy();
        await Promise.all([stopped, idle]);
      })();
      return closing;
    },
  };
}

const HTML = "text/html; charset=utf-8";
const CACHED_PAGES = 20_000;
const TEXT = "text/plain; charset=utf-8";
const XML = "application/xml; charset=utf-8";
const GZIP = "application/gzip";
/** URLs per sitemap file: the sitemaps protocol's limit. */
const SITEMAP_URLS = 50_000;

/** One response body, with its gzip made on first demand and kept. */
class Body {
  readonly plain: Buffer;
  readonly type: string;
  /** Whether it is worth sending gzipped when the client accepts it: not when it is a .gz file already. */
  readonly compressible: boolean;
  #gzip: Buffer | undefined;
  constructor(content: string | Buffer, type: string, compressible = true) {
    this.plain = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    this.type = type;
    this.compressible = compressible;
  }
  gzip(): Buffer {
    // A copy of exactly its size: zlib's output can be a view of a much larger buffer, which the cache would keep.
    return (this.#gzip ??= Buffer.from(gzipSync(this.plain, { level: 6 })));
  }
}

/** The sitemap index: one gzipped sitemap per 50,000 book pages. */
function sitemapIndex(origin: string, pages: number): string {
  const parts = Array.from({ length: Math.ceil(pages / SITEMAP_URLS) }, (_, part) => `<sitemap><loc>${origin}/sitemaps/books-${part + 1}.xml.gz</loc></sitemap>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${parts.join("\n")}\n</sitemapindex>\n`;
}

/** Sitemap `part` (from 1): its book pages, each with a `<lastmod>` of its own. */
function sitemap(origin: string, pages: number, part: number): string {
  const urls: string[] = [];
  for (let id = (part - 1) * SITEMAP_URLS; id < Math.min(pages, part * SITEMAP_URLS); id++) {
    urls.push(`<url><loc>${origin}/subject/${id}/</loc><lastmod>${demoLastmod(id)}</lastmod></url>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join("\n")}\n</urlset>\n`;
}

/** The number of the sitemap file at `pathname`, when the site has one there. */
function sitemapPart(pathname: string, pages: number): number | undefined {
  const part = Number(/^\/sitemaps\/books-(\d+)\.xml\.gz$/.exec(pathname)?.[1] ?? NaN);
  return part >= 1 && part <= Math.ceil(pages / SITEMAP_URLS) ? part : undefined;
}

/**
 * The `<lastmod>` the demo site's sitemap gives book page `id`: a day of 2026, the same for the same id.
 *
 * @example
 * ```ts
 * import { demoLastmod } from "./demo_site.ts";
 * demoLastmod(0); // "2026-01-01"
 * ```
 */
export function demoLastmod(id: number): string {
  return new Date(Date.UTC(2026, 0, 1 + ((id * 37) % 300))).toISOString().slice(0, 10);
}

class Stats implements DemoSiteStats {
  requests = 0;
  byPath = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  #served = new Set<number>();

  arrive(pathname: string): void {
    this.requests++;
    this.byPath.set(pathname, (this.byPath.get(pathname) ?? 0) + 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }
  leave(): void {
    this.inFlight--;
  }
  served(id: number): void {
    this.#served.add(id);
  }
  duplicateRequests(): number {
    let duplicates = 0;
    for (const [path, count] of this.byPath) if (path.startsWith("/subject/")) duplicates += count - 1;
    return duplicates;
  }
  subjectsServed(): number {
    return this.#served.size;
  }
  reset(): void {
    // inFlight is left alone: the requests in flight will still decrement it when they close.
    this.requests = 0;
    this.byPath.clear();
    this.maxInFlight = this.inFlight;
    this.#served.clear();
  }
}

function pageSettings(options: RenderDemoPageOptions): Settings {
  const settings = {
    pages: options.pages ?? 200,
    links: options.links ?? 10,
    bodyKb: options.bodyKb ?? 8,
    seed: options.seed ?? 1,
  };
  for (const name of ["pages", "links", "bodyKb"] as const) {
    const value: unknown = settings[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Expected ${name} to be a positive integer, got ${show(value)}`);
    }
  }
  if (typeof settings.seed !== "number" || !Number.isSafeInteger(settings.seed)) {
    throw new RangeError(`Expected seed to be an integer, got ${show(settings.seed)}`);
  }
  return settings;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function route(url: string, pages: number): { pathname: string; id?: number } {
  const query = url.indexOf("?");
  const pathname = query === -1 ? url : url.slice(0, query);
  // Only the canonical spelling is a page (no leading zeros), as on Douban: one URL per book.
  const match = /^\/subject\/(0|[1-9]\d{0,15})\/$/.exec(pathname);
  const id = match?.[1] === undefined ? NaN : Number(match[1]);
  return id < pages ? { pathname, id } : { pathname };
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(",").some((part) => {
    const [coding = "", ...params] = part.trim().toLowerCase().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function pageUrls(origin: string, pages: number): string[] {
  return Array.from({ length: pages }, (_, id) => `${origin}/subject/${id}/`);
}

function recommendations(id: number, settings: Settings): number[] {
  const { pages, links } = settings;
  // The successor first makes the graph one big cycle, so every page is reachable from /subject/0/.
  const targets = [(id + 1) % pages];
  const count = Math.min(links, Math.max(pages - 1, 1));
  const random = rng(settings.seed, id, 0);
  while (targets.length < count) {
    const target = Math.floor(random() * pages);
    if (target !== id && !targets.includes(target)) targets.push(target);
  }
  return targets;
}

const BOOKS = [
  "活着", "围城", "红楼梦", "百年孤独", "平凡的世界", "三体", "白夜行", "小王子", "追风筝的人", "解忧杂货店",
  "霍乱时期的爱情", "挪威的森林", "月亮与六便士", "房思琪的初恋乐园", "人类简史", "明朝那些事儿",
];
const NAMES = ["余华", "钱锺书", "曹雪芹", "马尔克斯", "路遥", "刘慈欣", "东野圭吾", "圣埃克苏佩里", "胡赛尼", "村上春树"];
const PRESSES = ["作家出版社", "人民文学出版社", "上海译文出版社", "南海出版公司", "重庆出版社", "中信出版社"];
const DIGITS = "〇一二三四五六七八九";

/** Titles depend on the id only, so a test can predict them; id % 5 == 3 exercises CSV quoting. */
function titleOf(id: number): string {
  const book = BOOKS[id % BOOKS.length] ?? "活着";
  switch (id % 5) {
    case 1:
      return `${book} ${id}: A Novel`;
    case 3:
      return `${book} ${id}, "典藏版"`;
    default:
      return `${book} ${id}`;
  }
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, "&quot;");
}

function isbn13(random: () => number): string {
  let digits = "9787";
  for (let i = 0; i < 8; i++) digits += Math.floor(random() * 10);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
  return digits + ((10 - (sum % 10)) % 10);
}

const FILLER = [
  "这是一本关于命运与坚持的书，讲述了一个普通人在时代洪流中的一生。",
  "作者用朴素的语言，写出了生活的残酷与温情。",
  "The novel follows a family across four decades of change, told in a quiet and steady voice.",
  "书中的人物来来去去，只有土地和记忆留了下来。",
  "Critics praised its restraint: nothing is explained, everything is shown.",
  "初版于多年以前，至今仍被无数读者反复阅读和讨论。",
  "It has been translated into more than thirty languages and adapted for film and stage.",
  "读完之后，很多人说自己重新理解了“活着”这两个字的分量。",
  "A reader's note: keep a pencil nearby, you will want to underline half of it.",
  "本书豆瓣评分长期位居前列，是许多书单上的必读之作。",
];

function render(id: number, origin: string, settings: Settings): string {
  const title = titleOf(id);
  const random = rng(settings.seed, id, 1);
  const author = Math.floor(random() * 100);
  const authorName = `${NAMES[author % NAMES.length] ?? "佚名"}${[...String(author)].map((d) => DIGITS[Number(d)]).join("")}号`;
  const press = Math.floor(random() * PRESSES.length);
  const year = 1980 + Math.floor(random() * 44);
  const month = 1 + Math.floor(random() * 12);
  const pageCount = 120 + Math.floor(random() * 600);
  const price = (15 + Math.floor(random() * 100) + (random() < 0.5 ? 0 : 0.8)).toFixed(2);
  const binding = random() < 0.7 ? "平装" : "精装";
  const isbn = isbn13(random);
  const rating = (6 + Math.floor(random() * 40) / 10).toFixed(1);
  const votes = 10 + Math.floor(random() * 500_000);

  const targets = recommendations(id, settings);
  const recs = targets.map((target, i) => {
    const href = `${origin}/subject/${target}/`;
    const name = titleOf(target);
    const dl =
      `<dl class=""><dt><a href="${href}" onclick="moreurl(this,{'total':${targets.length}})">` +
      `<img class="m_sub_img" src="${origin}/img/${target}.jpg" alt="${escapeAttr(name)}"/></a></dt>` +
      `<dd><a href="${href}" class="">${escapeText(name)}</a></dd></dl>\n`;
    // Douban closes each row of five with an empty dl; parsers must skip it.
    return i % 5 === 4 ? `${dl}<dl class="clear"></dl>\n` : dl;
  });

  const head =
    `<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n` +
    `<title>${escapeText(title)} (豆瓣)</title>\n<link rel="canonical" href="${origin}/subject/${id}/">\n</head>\n<body>\n` +
    `<div id="db-global-nav"><a href="${origin}/about/">关于豆瓣</a> <a href="${origin}/help/">帮助中心</a> ` +
    `<a href="${origin}/search?q=${id}">搜索</a></div>\n<div id="wrapper">\n` +
    `<h1><span property="v:itemreviewed">${escapeText(title)}</span></h1>\n<div id="content">\n` +
    `<div id="info">\n` +
    `<span><span class="pl"> 作者</span>: <a class="" href="${origin}/author/${author}/">${authorName}</a></span><br/>\n` +
    `<span class="pl">出版社:</span> <a href="${origin}/press/${press}/">${PRESSES[press] ?? ""}</a><br/>\n` +
    `<span class="pl">出版年:</span> ${year}-${month}<br/>\n` +
    `<span class="pl">页数:</span> ${pageCount}<br/>\n` +
    `<span class="pl">定价:</span> ${price}元<br/>\n` +
    `<span class="pl">装帧:</span> ${binding}<br/>\n` +
    `<span class="pl">ISBN:</span> ${isbn}<br/>\n</div>\n` +
    `<div id="interest_sectl"><div class="rating_wrap clearbox">\n` +
    `<strong class="ll rating_num " property="v:average"> ${rating} </strong>\n` +
    `<div class="rating_sum"><span class=""><a href="collections" class="rating_people">` +
    `<span property="v:votes">${votes}</span>人评价</a></span></div>\n</div></div>\n` +
    `<div class="related_info"><h2><span class="">内容简介</span></h2><div class="indent" id="link-report"><div class="intro">\n`;
  const tail =
    `</div></div></div>\n` +
    `<div id="db-rec-section" class="block5 subject_show knnlike"><h2><span>喜欢读"${escapeText(title)}"的人也喜欢</span></h2>` +
    `<div class="content clearfix">\n${recs.join("")}</div></div>\n</div>\n</div>\n` +
    `<div id="footer"><a href="${origin}/about/">关于豆瓣</a> · <a href="${origin}/help/">帮助中心</a></div>\n</body>\n</html>\n`;

  // Filler brings the page to about bodyKb, so benchmarks measure realistic parse and transfer sizes.
  let room = settings.bodyKb * 1024 - Buffer.byteLength(head) - Buffer.byteLength(tail);
  const paragraphs: string[] = [];
  while (room > 0) {
    const sentences = 3 + Math.floor(random() * 4);
    let paragraph = "<p>";
    for (let i = 0; i < sentences; i++) paragraph += FILLER[Math.floor(random() * FILLER.length)] ?? "";
    paragraph += "</p>\n";
    paragraphs.push(paragraph);
    room -= Buffer.byteLength(paragraph);
  }
  return head + paragraphs.join("") + tail;
}

function smallPage(origin: string, title: string): string {
  return (
    `<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>${escapeText(title)}</title>\n</head>\n` +
    `<body>\n<h1>${escapeText(title)}</h1>\n<p><a href="${origin}/subject/0/">返回首页</a></p>\n</body>\n</html>\n`
  );
}
