import http from "node:http";
import type { Socket } from "node:net";

/**
 * A throwaway HTTP server for network tests, in the spirit of got's `withServer`: one per test, on 127.0.0.1 with
 * a free port, counting what it saw so that tests can assert requests, concurrency and connection reuse.
 */

/** A running test server; see {@linkcode startServer}. */
export interface TestServer {
  /** `"http://127.0.0.1:PORT"`. */
  origin: string;
  /** `origin + path`. */
  url(path: string): string;
  /** Requests per path, query string included (`/a?x=1` and `/a` are counted apart). */
  hits: Map<string, number>;
  /** `hits.get(path) ?? 0`. */
  hitsOf(path: string): number;
  /** Requests received. */
  readonly total: number;
  /** Requests being handled now. */
  readonly inFlight: number;
  /** Highest `inFlight` seen. */
  readonly maxInFlight: number;
  /** TCP connections open now (kept-alive ones included). */
  openSockets(): number;
  /** Stops listening and destroys open sockets, so it resolves promptly. Safe to call twice. */
  close(): Promise<void>;
}

/** Answers one request. A handler that throws or rejects gets a 500 (or a destroyed socket if it already wrote). */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/**
 * Starts a server on 127.0.0.1 with port 0. Routes are exact paths without the query string; unknown paths get a
 * 404 HTML page. A single handler answers every path.
 *
 * @example
 * ```ts
 * import { html, startServer } from "./server.ts";
 * const server = await startServer({ "/": html("<title>home</title>") });
 * await fetch(server.url("/"));
 * server.hitsOf("/"); // 1
 * await server.close();
 * ```
 */
export async function startServer(routes: Record<string, Handler> | Handler): Promise<TestServer> {
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  let total = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((req, res) => {
    const path = req.url ?? "/";
    total++;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once("close", () => inFlight--);

    const pathname = path.split("?", 1)[0] ?? "/";
    const handler = typeof routes === "function" ? routes : Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
    const run = async (): Promise<void> => {
      await (handler ?? html("<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>", { status: 404 }))(req, res);
    };
    run().catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("handler failed");
    });
  });
  // Long enough that a test never sees a kept-alive connection close under it.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("test server has no TCP address");
  const origin = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    origin,
    url: (path) => origin + path,
    hits,
    hitsOf: (path) => hits.get(path) ?? 0,
    get total() {
      return total;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    openSockets: () => sockets.size,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Without this, close() would wait for idle keep-alive connections to time out.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** Options of {@linkcode html}. */
export interface HtmlOptions {
  /** Status code. @default 200 */
  status?: number;
  /** Extra headers; they override the defaults (content-type, content-length). @default {} */
  headers?: Record<string, string>;
}

/**
 * Answers with an HTML body, as UTF-8 with a content-length.
 *
 * @example
 * ```ts
 * import { html, startServer } from "./server.ts";
 * const server = await startServer({ "/gone": html("<title>Gone</title>", { status: 410 }) });
 * ```
 */
export function html(body: string, init: HtmlOptions = {}): Handler {
  const buffer = Buffer.from(body, "utf8");
  return (_req, res) => {
    res.writeHead(init.status ?? 200, {
      "content-type": "text/html; charset=utf-8",
      "content-length": String(buffer.length),
      ...init.headers,
    });
    res.end(buffer);
  };
}

/**
 * Answers 200 with raw bytes, for bodies in other charsets, binary files or pre-compressed content.
 *
 * @example
 * ```ts
 * import { bytes, startServer } from "./server.ts";
 * const server = await startServer({ "/logo.png": bytes(Buffer.from([0x89, 0x50]), "image/png") });
 * ```
 */
export function bytes(body: Buffer, contentType: string): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": contentType, "content-length": String(body.length) });
    res.end(body);
  };
}

/** What a streamed download's server saw: the bytes it got onto the connection, and whether it sent them all. */
export interface Download {
  written: number;
  finished: boolean;
  closed: Promise<void>;
}

/**
 * Answers with `size` bytes of `type` and a Content-Length, 64 KB at a time, each write waiting until the last one is
 * off the server's buffer, as a file server does, until the client goes away; what it saw is pushed to `downloads`.
 *
 * @example
 * ```ts
 * import { type Download, download, startServer } from "./server.ts";
 * const downloads: Download[] = [];
 * const server = await startServer({ "/big.zip": download(12 * 1024 ** 2, "application/zip", downloads) });
 * ```
 */
export function download(size: number, type: string, downloads: Download[], status = 200): Handler {
  return (_req, res) => {
    let closed!: () => void;
    const seen: Download = { written: 0, finished: false, closed: new Promise((resolve) => (closed = resolve)) };
    downloads.push(seen);
    res.once("close", () => {
      seen.finished = res.writableFinished;
      closed();
    });
    res.writeHead(status, { "content-type": type, "content-length": String(size) });
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const next = (): void => {
      if (res.destroyed) return;
      if (seen.written >= size) return void res.end();
      const part = chunk.subarray(0, Math.min(chunk.length, size - seen.written));
      res.write(part, (error) => {
        if (error) return;
        seen.written += part.length;
        next();
      });
    };
    next();
  };
}

/**
 * Waits `ms` before handing over to `handler`, to test timeouts and concurrency. If the client disconnects while
 * waiting, the timer is cleared and `handler` never runs, so no test leaves a timer behind.
 *
 * @example
 * ```ts
 * import { delay, html, startServer } from "./server.ts";
 * const server = await startServer({ "/slow": delay(500, html("<title>slow</title>")) });
 * ```
 */
export function delay(ms: number, handler: Handler): Handler {
  return async (req, res) => {
    const waited = await new Promise<boolean>((resolve) => {
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        res.off("close", onClose);
        resolve(true);
      }, ms);
      res.once("close", onClose);
    });
    if (waited) await handler(req, res);
  };
}

/**
 * Answers with a redirect to `location` and an empty body.
 *
 * @example
 * ```ts
 * import { redirect, startServer } from "./server.ts";
 * const server = await startServer({ "/old": redirect("/new", 301) });
 * ```
 */
export function redirect(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location, "content-length": "0" }).end();
  };
}
