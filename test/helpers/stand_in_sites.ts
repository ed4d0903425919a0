// Local stand-ins for the web hosts that documentation names: a doc test crawls them instead of the real sites, which
// a test never reaches. book.douban.com gets Douban-like book pages; a host whose name starts with "app." a site whose
// pages a script builds; every other host the small example site below.
import type { IncomingMessage, ServerResponse } from "node:http";
import { renderDemoPage } from "../../src/demo/demo_site.ts";
import { type Handler, html, startServer, type TestServer } from "./server.ts";

/** Book pages of the Douban-like stand-in: any /subject/<id>/ is one of them, so real Douban URLs work too. */
const BOOKS = 200;

/**
 * The example site: a home page with a heading, an image and links, two product pages with a `.price` and a
 * `[data-sku]`, an about page, a login page and a sorted listing that a crawl may want to deny, a link to a PDF (a file,
 * not a page) and a link to a page that is gone (a 404); its robots.txt names a sitemap of the home, product and about pages. With `prices: false`, no
 * page has a price.
 */
function exampleSite(host: string, prices: boolean): Record<string, Handler> {
  const origin = (req: IncomingMessage) => `http://${req.headers.host ?? host}`;
  const listed = ["/", "/products/1", "/products/2", "/about"];
  const page = (title: string, body: string) =>
    html(`<!DOCTYPE html><html><head><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`);
  const product = (n: number) =>
    page(
      `Product ${n}`,
      `${prices ? `<span class="price">$${n}9.00</span>` : ""}<div data-sku="SKU-${n}"></div>` +
        `<a href="/">Home</a> <a href="/products/${3 - n}">Other product</a>`,
    );
  return {
    "/": page(
      `${host}`,
      '<img src="/logo.png" alt="logo"><a href="/products/1">One</a> <a href="/products/2">Two</a> ' +
        '<a href="/about">About</a> <a href="/login">Log in</a> <a href="/?sort=price">By price</a> ' +
        '<a href="/guide.pdf">Guide (PDF)</a> <a href="/old-news">Old news</a>',
    ),
    "/products/1": product(1),
    "/products/2": product(2),
    "/about": page("About", "<p>A site to crawl in tests.</p>"),
    "/login": page("Log in", "<form><input name=user></form>"),
    "/robots.txt": (req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/plain" }).end(`User-agent: *\nAllow: /\nSitemap: ${origin(req)}/sitemap.xml\n`);
    },
    "/sitemap.xml": (req, res: ServerResponse) => {
      const urls = listed.map((path, i) => `<url><loc>${origin(req)}${path}</loc><lastmod>2026-11-0${i + 1}</lastmod></url>`);
      res
        .writeHead(200, { "content-type": "application/xml" })
        .end(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join("")}</urlset>`);
    },
    "/guide.pdf": (_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/pdf" }).end("%PDF-1.4\n%%EOF\n");
    },
    "/logo.png": (_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    },
  };
}

/**
 * A site built by script, as a single-page app is: every page is a shell whose script fetches its content as JSON and
 * builds the heading, the links and, on a product page, the `.price`. Read over HTTP alone, it has no heading, no
 * link and no price.
 */
function scriptSite(): Record<string, Handler> {
  const shell = html(
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Loading</title><script src="/app.js" defer></script></head>' +
      '<body><main id="app">Loading…</main></body></html>',
  );
  const json = (value: unknown): Handler => (_req, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value));
  };
  const links = [{ href: "/products/1", text: "One" }, { href: "/products/2", text: "Two" }];
  return {
    "/": shell,
    "/products/1": shell,
    "/products/2": shell,
    "/app.js": (_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/javascript" }).end(
        'fetch("/api" + (location.pathname === "/" ? "/home" : location.pathname) + ".json").then((r) => r.json()).then((page) => {' +
          "document.title = page.title;" +
          'const app = document.getElementById("app");' +
          'app.innerHTML = "<h1></h1>" + (page.price ? `<span class="price">${page.price}</span>` : "") + ' +
          'page.links.map((link) => `<a href="${link.href}">${link.text}</a>`).join(" ");' +
          'app.querySelector("h1").textContent = page.title; });',
      );
    },
    "/api/home.json": json({ title: "Shop", links }),
    "/api/products/1.json": json({ title: "Product 1", price: "$19.00", links }),
    "/api/products/2.json": json({ title: "Product 2", price: "$29.00", links }),
    "/robots.txt": (_req, res: ServerResponse) => void res.writeHead(200, { "content-type": "text/plain" }).end("User-agent: *\nAllow: /\n"),
  };
}

/** A Douban-like site on one origin: /subject/<id>/ renders demo book <id mod 200>, its links on the same origin. */
async function doubanSite(): Promise<TestServer> {
  const server: TestServer = await startServer((req, res) => {
    const id = /^\/subject\/(\d+)\/$/.exec(req.url ?? "")?.[1];
    if (id === undefined) return html("<title>404</title>", { status: 404 })(req, res);
    return html(renderDemoPage(Number(id) % BOOKS, server.origin, { pages: BOOKS }))(req, res);
  });
  return server;
}

/** Options of {@linkcode StandInSites}. */
export interface StandInOptions {
  /** Whether the example site's product pages have a `.price`. @default true */
  prices?: boolean;
}

/** One local site per host named, started on first use; {@linkcode rewrite} points URLs at them. */
export class StandInSites {
  readonly #sites = new Map<string, Promise<TestServer>>();
  readonly #prices: boolean;

  constructor(options: StandInOptions = {}) {
    this.#prices = options.prices ?? true;
  }

  /** The local origin (`http://127.0.0.1:PORT`) standing in for `host`. */
  async origin(host: string): Promise<string> {
    let site = this.#sites.get(host);
    if (site === undefined) {
      site =
        host === "book.douban.com"
          ? doubanSite()
          : startServer(host.startsWith("app.") ? scriptSite() : exampleSite(host, this.#prices));
      this.#sites.set(host, site);
    }
    return (await site).origin;
  }

  /** `text` with every http(s) URL of a host other than this machine's pointing at that host's stand-in instead. */
  async rewrite(text: string): Promise<string> {
    const pattern = /https?:\/\/([a-z0-9.-]+\.[a-z]{2,})(?::\d+)?/gi;
    const hosts = new Set(Array.from(text.matchAll(pattern), (match) => match[1]!.toLowerCase()));
    const origins = new Map(await Promise.all([...hosts].map(async (host) => [host, await this.origin(host)] as const)));
    return text.replace(pattern, (_url, host: string) => origins.get(host.toLowerCase())!);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sites.values()].map(async (site) => (await site).close()));
  }
}
