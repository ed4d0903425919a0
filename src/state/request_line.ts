import type { CrawlRequest, FetchProgress } from "../records.ts";

/**
 * A request as one line of text, for the files and lists that hold requests (the frontier's spill file, the journal,
 * a shared queue): `depth TAB url`, then `TAB kind TAB lastmod` when the request has either, then `TAB progress` (as
 * JSON) when it has one. A normalized URL holds no tab or newline (the URL parser removes them), and JSON escapes
 * both, so nothing needs escaping.
 *
 * @example
 * ```ts
 * import { encodeRequest } from "./request_line.ts";
 * encodeRequest({ url: "https://example.com/", depth: 2 }); // "2\thttps://example.com/"
 * ```
 */
export function encodeRequest(request: CrawlRequest): string {
  const { depth, url, kind, lastmod, progress } = request;
  if (progress !== undefined) return `${depth}\t${url}\t${kind ?? ""}\t${lastmod ?? ""}\t${JSON.stringify(progress)}`;
  if (kind === undefined && lastmod === undefined) return `${depth}\t${url}`;
  return `${depth}\t${url}\t${kind ?? ""}\t${lastmod ?? ""}`;
}

/**
 * The request of a line {@linkcode encodeRequest} made, or `undefined` when the line is not one (torn or foreign).
 *
 * @example
 * ```ts
 * import { decodeRequest } from "./request_line.ts";
 * decodeRequest("2\thttps://example.com/"); // { url: "https://example.com/", depth: 2 }
 * ```
 */
export function decodeRequest(line: string): CrawlRequest | undefined {
  const tab = line.indexOf("\t");
  if (tab <= 0) return undefined;
  const depth = Number(line.slice(0, tab));
  if (!Number.isSafeInteger(depth) || depth < 0) return undefined;
  const rest = line.slice(tab + 1);
  const extra = rest.indexOf("\t");
  if (extra < 0) return rest === "" ? undefined : { url: rest, depth };
  const [url, kind, lastmod, progress] = rest.split("\t");
  if (url === undefined || url === "") return undefined;
  const request: CrawlRequest = { url, depth };
  if (kind === "sitemap") request.kind = kind;
  if (lastmod !== undefined && lastmod !== "") request.lastmod = lastmod;
  if (progress !== undefined && progress !== "") {
    try {
      request.progress = JSON.parse(progress) as FetchProgress;
    } catch {
      return undefined; // torn
    }
  }
  return request;
}
