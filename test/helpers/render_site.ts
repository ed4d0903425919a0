// Pages for the render tests, each doing one thing a browser must cope with: a single-page app built from JSON by its
// script, and the same content written out in HTML; a page built after a timer; a page that never stops loading; a
// page that crashes its tab; a page of images, fonts and media; a page whose script asks its own host and another one;
// a page that opens WebSockets to the addresses in its query string; pages that name their icons, and one that does not;
// a page linking to those that go wrong, and one of 64 KB; a page that opens a popup.
// Every request is logged with its User-Agent, so a test can tell the browser's requests from the crawl's.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DocumentResponse } from "../../src/render/render_records.ts";
import { type Handler, html, redirect, startServer, type TestServer } from "./server.ts";

/** The catalog the single-page app shows: what its static twin has written out. */
export const CATALOG = {
  title: "Catalog",
  heading: "Books built by script",
  items: [
    { href: "/books/1", name: "The first book" },
    { href: "/books/2", name: "The second book" },
    { href: "/books/3", name: "The third book" },
  ],
} as const;

/**
 * Nested elements that the tab's layout cannot take: Blink lays out a tree recursively, and on Chromium 156 some
 * thousands of nested divs overflow the renderer's stack, which kills the tab (playwright's `crash` event) within a
 * second, with no memory to speak of (filling the heap instead takes 20 s and 3 GB). A hundred thousand is a wide margin.
 */
const NESTED_DIVS = 100_000;

/** A request the site received. */
export interface SiteRequest {
  path: string;
  userAgent: string;
}

/** A running render test site; see {@linkcode startRenderSite}. */
export interface RenderSite {
  server: TestServer;
  /** `server.url(path)`. */
  url(path: string): string;
  /** Every request received, in order. */
  requests: SiteRequest[];
  /** The paths of the requests whose User-Agent contains `agent` (e.g. "HeadlessChrome"). */
  pathsFrom(agent: string): string[];
  close(): Promise<void>;
}

const js = (source: string): Handler => (_req, res) => {
  res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(source);
};
const json = (value: unknown): Handler => (_req, res) => {
  // Readable from another origin, so a page may fetch it when it is allowed to.
  res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" }).end(JSON.stringify(value));
};
const file = (type: string): Handler => (_req, res) => {
  res.writeHead(200, { "content-type": type }).end(Buffer.alloc(64));
};

/** The single-page app as its server sends it: an empty shell and a script. */
export const SPA_SHELL =
  '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Loading</title><script src="/spa.js" defer></script></head>' +
  '<body><div id="app"><p class="spinner">Loading…</p></div></body></html>';

const SPA_SCRIPT = `
fetch("/api/catalog.json").then((response) => response.json()).then((catalog) => {
  document.title = catalog.title;
  const app = document.getElementById("app");
  const h1 = document.createElement("h1");
  h1.textContent = catalog.heading;
  const list = document.createElement("ul");
  for (const item of catalog.items) {
    const link = document.createElement("a");
    link.href = item.href;
    link.textContent = item.name;
    const li = document.createElement("li");
    li.append(link);
    list.append(li);
  }
  app.replaceChildren(h1, list);
});`;

/** The single-page app's content as a server would write it: what rendering the app should come to. */
export const STATIC_CATALOG =
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${CATALOG.title}</title></head><body><div id="app">` +
  `<h1>${CATALOG.heading}</h1><ul>${CATALOG.items.map((item) => `<li><a href="${item.href}">${item.name}</a></li>`).join("")}</ul>` +
  "</div></body></html>";

/** Builds its h1 after `?ms=` milliseconds (1000 by default), with no request meanwhile. */
const timerPage: Handler = (req, res) => {
  const ms = Number(new URL(req.url ?? "/", "http://x").searchParams.get("ms") ?? 1000);
  html(
    `<!DOCTYPE html><title>Timer</title><div id="app">Wait</div><script>setTimeout(() => {` +
      `document.getElementById("app").innerHTML = '<h1 id="late">Built after ${ms} ms</h1>'; }, ${ms});</script>`,
  )(req, res);
};

/** Answers its headers and never its body: a request that stays in flight until the server closes. */
const hanging: Handler = (_req, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write(" ");
};

/**
 * Starts the render test site on 127.0.0.1 (port 0). `other` is the origin of a second site the subrequests page
 * fetches from.
 */
export async function startRenderSite(other = "http://127.0.0.1:9"): Promise<RenderSite> {
  const requests: SiteRequest[] = [];
  const routes: Record<string, Handler> = {
    "/spa": html(SPA_SHELL),
    "/spa.js": js(SPA_SCRIPT),
    "/api/catalog.json": json(CATALOG),
    "/static": html(STATIC_CATALOG),
    "/old": redirect("/static", 301),
    "/timer": timerPage,
    "/never": html('<!DOCTYPE html><title>Never done</title><h1>Still loading</h1><script>fetch("/hang")</script>'),
    "/hang": hanging,
    "/crash": html('<!DOCTYPE html><title>Crash</title><p>About to crash</p><script src="/crash.js"></script>'),
    "/crash.js": js(
      `let node = document.body; for (let i = 0; i < ${NESTED_DIVS}; i++) { const div = document.createElement("div"); ` +
        `node.append(div); node = div; } node.textContent = "deep"; document.body.offsetHeight;`,
    ),
    "/media": html(
      '<!DOCTYPE html><title>Media</title><link rel="stylesheet" href="/style.css"><h1 class="fancy">Pictures</h1>' +
        '<img src="/img/cover.png" alt="cover"><video src="/media/clip.mp4" preload="auto" muted></video>',
    ),
    "/style.css": (_req, res) => {
      res
        .writeHead(200, { "content-type": "text/css" })
        .end('@font-face { font-family: Fancy; src: url("/fonts/fancy.woff2") format("woff2"); } .fancy { font-family: Fancy; }');
    },
    "/img/cover.png": file("image/png"),
    "/fonts/fancy.woff2": file("font/woff2"),
    "/media/clip.mp4": file("video/mp4"),
    "/subrequests": html(
      '<!DOCTYPE html><title>Two hosts</title><p id="own">waiting</p><p id="other">waiting</p><script src="/sub.js"></script>',
    ),
    "/sub.js": js(
      `const show = (id, promise) => promise.then((r) => r.json()).then((v) => (document.getElementById(id).textContent = v.said),` +
        ` () => (document.getElementById(id).textContent = "refused"));` +
        `show("own", fetch("/api/own.json")); show("other", fetch(${JSON.stringify(`${other}/api/other.json`)}));`,
    ),
    "/socket": html(
      '<!DOCTYPE html><title>Sockets</title><script>for (const to of new URLSearchParams(location.search).getAll("to")) ' +
        "new WebSocket(to).onerror = () => {};</script>",
    ),
    "/icons": html(
      '<!DOCTYPE html><title>Icons</title><link rel="icon" href="/icons/site.ico"><link rel="apple-touch-icon" href="/icons/touch.png">' +
        "<h1>A page with icons</h1>",
    ),
    "/no-icon": html("<!DOCTYPE html><title>No icon</title><h1>A page that names no icon</h1>"),
    "/trouble": html(
      '<!DOCTYPE html><title>Trouble</title><h1>Pages that go wrong in a browser</h1>' +
        '<a href="/spa">an app</a><a href="/crash">a crash</a><a href="/never">a page that never settles</a>' +
        '<a href="/old">a redirect</a><a href="/big">a page too big</a>',
    ),
    "/popup": html('<!DOCTYPE html><title>Popup</title><h1>Opens another window</h1><script>window.open("/popped")</script>'),
    "/popped": html('<!DOCTYPE html><title>Popped</title><script src="/popped.js"></script>'),
    "/big": html(`<!DOCTYPE html><title>Big</title><p>${"x".repeat(64 * 1024)}</p>`),
    "/api/own.json": json({ said: "own host answered" }),
    "/api/other.json": json({ said: "other host answered" }),
  };
  const logged = (req: IncomingMessage, res: ServerResponse): void | Promise<void> => {
    requests.push({ path: req.url ?? "/", userAgent: req.headers["user-agent"] ?? "" });
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const handler = Object.hasOwn(routes, path) ? routes[path] : undefined;
    return (handler ?? html("<!DOCTYPE html><title>404</title><h1>Not Found</h1>", { status: 404 }))(req, res);
  };
  const server = await startServer(logged);
  return {
    server,
    url: (path) => server.url(path),
    requests,
    pathsFrom: (agent) => requests.filter((request) => request.userAgent.includes(agent)).map((request) => request.path),
    close: () => server.close(),
  };
}

/**
 * Fetches a page over HTTP outside the browser, as a crawl's fetcher would, following redirects: the `fetch` a render
 * request takes, and the way a test gets a page's `response`. Its requests carry Node's User-Agent ("node").
 */
export async function fetchDocument(url: string, signal?: AbortSignal): Promise<DocumentResponse> {
  const response = await fetch(url, signal === undefined ? {} : { signal });
  const body = new Uint8Array(await response.arrayBuffer());
  return { url: response.url, status: response.status, headers: Object.fromEntries(response.headers), body };
}
