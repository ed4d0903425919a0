// A hostile web site on 127.0.0.1: every way a page can fail, each behind its own path, all linked from "/", so a
// single crawl meets them all. Tests assert the rows written and what the server saw (requests per path).
import type http from "node:http";
import { Readable } from "node:stream";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { bytes, download, html, redirect, startServer, type Handler, type TestServer } from "./server.ts";

const MB = 1024 * 1024;

/** What each path does, and what its row must say. */
export interface Fault {
  path: string;
  handler: Handler;
  /** The row's `status`. */
  status: number;
  /** The row's error code, as a pattern on the `error` column, or `""` for success. */
  error: RegExp | "";
  /** Requests the server must see for this path. */
  requests: number;
}

/** Streams `total` bytes of filler HTML in 64 KiB chunks, made as they are read: the server stays small. */
function endless(total: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    const chunk = Buffer.alloc(64 * 1024, "<p>filler</p>\n");
    let sent = 0;
    Readable.from(
      (function* () {
        while (sent < total) {
          sent += chunk.length;
          yield chunk;
        }
      })(),
    ).pipe(res);
  };
}

/** 200 MB of zeros, compressed to about 200 KB. */
const ZEROS = Buffer.alloc(200 * MB);
const GZIP_BOMB = gzipSync(ZEROS, { level: 9 });
const BROTLI_BOMB = brotliCompressSync(ZEROS, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });

function encoded(body: Buffer, encoding: string): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/html", "content-encoding": encoding, "content-length": String(body.length) });
    res.end(body);
  };
}

/** Answers with each status in turn, then 200. */
function sequence(statuses: number[], headers: Record<string, string> = {}): Handler {
  let calls = 0;
  return (req, res) => {
    const status = statuses[calls++];
    if (status === undefined) return html("<title>recovered</title>")(req, res);
    res.writeHead(status, { "content-type": "text/html", ...headers }).end(`<title>${status}</title>`);
  };
}

/** Sends headers and half a page, then resets the connection. */
const reset: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "text/html", "content-length": "1000" });
  res.write("<html><title>cut</title>", () => res.socket?.resetAndDestroy());
};

/** Never answers. */
const hang: Handler = () => {};

/** Sends one byte every 100 ms, forever (until the client leaves). */
const drip: Handler = (req, res) => {
  res.writeHead(200, { "content-type": "text/html" });
  const timer = setInterval(() => res.write(" "), 100);
  res.once("close", () => clearInterval(timer));
};

/** "中文标题" in GBK, served under a header that says UTF-8 (and a meta that says GBK). */
const GBK_TITLE = Buffer.from("d6d0cec4b1eacce2", "hex");
const mislabeled: Handler = bytes(
  Buffer.concat([Buffer.from('<html><head><meta charset="gbk"><title>'), GBK_TITLE, Buffer.from("</title></head></html>")]),
  "text/html; charset=utf-8",
);

/** The faults, with what a crawl with `--timeout 1000 --retries 2 --max-bytes 1048576` must record. */
export const FAULTS: Fault[] = [
  { path: "/ok", handler: html("<title>fine</title>"), status: 200, error: "", requests: 1 },
  { path: "/broken-html", handler: html("<title>broken</title></head><div><p>unclosed <b><i>mis</b>nested</i><table><td><a href='/ok'>x"), status: 200, error: "", requests: 1 },
  { path: "/mislabeled", handler: mislabeled, status: 200, error: "", requests: 1 },
  { path: "/flaky", handler: sequence([503, 502]), status: 200, error: "", requests: 3 },
  { path: "/busy", handler: sequence([429], { "retry-after": "1" }), status: 200, error: "", requests: 2 },
  { path: "/down", handler: sequence([500, 500, 500, 500]), status: 500, error: /^HTTP 500/, requests: 3 },
  { path: "/missing", handler: html("<title>gone</title>", { status: 404 }), status: 404, error: /^HTTP 404/, requests: 1 },
  { path: "/forbidden", handler: html("<title>no</title>", { status: 403 }), status: 403, error: /^HTTP 403/, requests: 1 },
  { path: "/reset", handler: reset, status: 200, error: /ECONNRESET|socket hang up|aborted/i, requests: 3 },
  { path: "/hang", handler: hang, status: 0, error: /^No complete response within the timeout/, requests: 3 },
  { path: "/drip", handler: drip, status: 200, error: /^No complete response within the timeout/, requests: 3 },
  { path: "/huge", handler: endless(200 * MB), status: 200, error: /^Body is over the limit/, requests: 1 },
  {
    path: "/huge-declared",
    handler: (_req, res) => void res.writeHead(200, { "content-type": "text/html", "content-length": String(200 * MB) }).flushHeaders(),
    status: 200,
    error: /^Body of 209715200 bytes is over the limit/,
    requests: 1,
  },
  { path: "/gzip-bomb", handler: encoded(GZIP_BOMB, "gzip"), status: 200, error: /^Body is over the limit/, requests: 1 },
  { path: "/brotli-bomb", handler: encoded(BROTLI_BOMB, "br"), status: 200, error: /^Body is over the limit/, requests: 1 },
  // Back to /loop-a is followed once, as a consent page's round trip would be; /loop-b again is the loop.
  { path: "/loop-a", handler: redirect("/loop-b"), status: 302, error: /^Redirect loop/, requests: 2 },
  { path: "/loop-b", handler: redirect("/loop-a"), status: 0, error: "", requests: 1 },
  { path: "/moved", handler: redirect("/ok", 301), status: 301, error: /not followed: already crawled/, requests: 1 },
  { path: "/away", handler: redirect("http://localhost:9/elsewhere"), status: 302, error: /out of the crawl's scope/, requests: 1 },
  { path: "/private", handler: html("<title>secret</title>"), status: 0, error: /^Disallowed by robots\.txt/, requests: 0 },
  { path: "/report.pdf", handler: bytes(Buffer.from("%PDF-1.4 ..."), "application/pdf"), status: 200, error: "", requests: 1 },
  { path: "/logo.png", handler: bytes(Buffer.from([0x89, 0x50, 0x4e, 0x47]), "image/png"), status: 200, error: "", requests: 1 },
  { path: "/notes.txt", handler: bytes(Buffer.from("plain <a href='/nowhere'>"), "text/plain"), status: 200, error: "", requests: 1 },
  // A file whose path does not tell it, larger than any limit: only its type does, and its body is not downloaded.
  { path: "/archive", handler: download(12 * MB, "application/zip", []), status: 200, error: "", requests: 1 },
];

/** Starts the hostile site: "/" links to every fault (but `/loop-b`, reached by redirect only). */
export function startFaultSite(): Promise<TestServer> {
  const routes: Record<string, Handler> = {
    "/robots.txt": bytes(Buffer.from("User-agent: *\nDisallow: /private\n"), "text/plain"),
  };
  const links = FAULTS.filter((fault) => fault.path !== "/loop-b").map((fault) => `<a href="${fault.path}">${fault.path}</a>`);
  routes["/"] = html(`<!DOCTYPE html><title>faults</title><body>${links.join("\n")}</body>`);
  for (const fault of FAULTS) routes[fault.path] = fault.handler;
  return startServer(routes);
}

export type { http };
