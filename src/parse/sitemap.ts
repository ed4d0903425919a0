import { gunzipSync } from "node:zlib";
import sax from "sax";
import type { CrawlRequest } from "../records.ts";
import { normalizeUrl } from "../url.ts";

/** The sitemaps protocol's limit on a sitemap's size once uncompressed; a larger one is cut there. */
export const SITEMAP_MAX_BYTES = 50 * 1024 * 1024;
/** How much of the body the parser is fed at a time. */
const CHUNK = 64 * 1024;

/** What a sitemap lists. */
export interface Sitemap {
  /**
   * The requests it lists: pages (a `<urlset>`'s `<url>`s, with their `<lastmod>`) and further sitemaps (a
   * `<sitemapindex>`'s `<sitemap>`s, of kind `"sitemap"`), all at depth 0, in document order, without repeats.
   */
  requests: CrawlRequest[];
  /** What was wrong with it, `""` when nothing was; the requests read before the problem are kept. */
  error: string;
}

/**
 * Reads a sitemap or sitemap index (sitemaps.org), gzipped or not, with a streaming XML parser (sax, strict): the
 * document is never held as a tree, only the URLs it lists. `<loc>`s that are not http(s) URLs are left out. A
 * document that is not a sitemap, or whose XML breaks, gives an `error`; what was read before it is kept.
 *
 * @example
 * ```ts
 * import { parseSitemap } from "./sitemap.ts";
 * const xml = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://example.com/a</loc><lastmod>2026-11-01</lastmod></url></urlset>';
 * parseSitemap(new TextEncoder().encode(xml)).requests; // [{ url: "https://example.com/a", depth: 0, lastmod: "2026-11-01" }]
 * ```
 */
export function parseSitemap(body: Uint8Array): Sitemap {
  const requests: CrawlRequest[] = [];
  const seen = new Set<string>();
  let bytes: Uint8Array = body;
  if (body[0] === 0x1f && body[1] === 0x8b) {
    try {
      bytes = gunzipSync(body, { maxOutputLength: SITEMAP_MAX_BYTES });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" ? `over ${SITEMAP_MAX_BYTES} bytes uncompressed` : (error as Error).message;
      return { requests, error: `Cannot decompress the sitemap: ${reason}` };
    }
  }

  const parser = sax.parser(true, { trim: true });
  let root: string | undefined;
  let entry: { loc: string; lastmod: string } | undefined;
  let field: "loc" | "lastmod" | undefined;
  let error = "";
  const local = (name: string) => name.slice(name.indexOf(":") + 1);
  parser.onerror = (cause) => {
    throw cause;
  };
  parser.onopentag = ({ name }) => {
    const tag = local(name);
    if (root === undefined) {
      root = tag;
      if (tag !== "urlset" && tag !== "sitemapindex") throw new NotASitemap(`Not a sitemap: its root element is <${name}>`);
    } else if ((root === "urlset" && tag === "url") || (root === "sitemapindex" && tag === "sitemap")) {
      entry = { loc: "", lastmod: "" };
    } else if (entry !== undefined && (tag === "loc" || tag === "lastmod")) {
      field = tag;
    }
  };
  const text = (value: string) => {
    if (entry !== undefined && field !== undefined) entry[field] += value;
  };
  parser.ontext = text;
  parser.oncdata = text;
  parser.onclosetag = (name) => {
    const tag = local(name);
    if (tag === "loc" || tag === "lastmod") field = undefined;
    else if (entry !== undefined && (tag === "url" || tag === "sitemap")) {
      const url = normalizeUrl(entry.loc.trim());
      if (url !== undefined && !seen.has(url)) {
        seen.add(url);
        const request: CrawlRequest = { url, depth: 0 };
        if (tag === "sitemap") request.kind = "sitemap";
        const lastmod = entry.lastmod.trim();
        if (lastmod !== "") request.lastmod = lastmod;
        requests.push(request);
      }
      entry = undefined;
    }
  };

  const decoder = new TextDecoder();
  try {
    for (let at = 0; at < bytes.length; at += CHUNK) {
      parser.write(decoder.decode(bytes.subarray(at, at + CHUNK), { stream: true }));
    }
    parser.write(decoder.decode());
    parser.close();
    if (root === undefined) error = "Not a sitemap: the document is empty";
  } catch (cause) {
    error =
      cause instanceof NotASitemap
        ? cause.message
        : `Malformed sitemap at line ${parser.line + 1}: ${(cause as Error).message.split("\n")[0]}`;
  }
  if (error !== "" && requests.length > 0) error += ` (the ${requests.length} URLs before it are kept)`;
  return { requests, error };
}

class NotASitemap extends Error {}
