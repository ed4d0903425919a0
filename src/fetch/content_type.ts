/**
 * Whether a `Content-Type` may hold HTML; an absent one may, and is sniffed when parsed.
 *
 * @example
 * ```ts
 * import { isHtmlType } from "./content_type.ts";
 * isHtmlType("text/html; charset=gbk"); // true
 * isHtmlType("application/pdf"); // false
 * ```
 */
export function isHtmlType(contentType: string): boolean {
  if (contentType === "") return true;
  const type = mediaType(contentType);
  return type === "text/html" || type === "application/xhtml+xml";
}

/**
 * Whether a response of this `Content-Type` is a page, whose body a crawl reads: HTML or XML (a feed, a sitemap, XHTML),
 * or no type at all, which is sniffed. Anything else (an image, a PDF, an archive, `text/plain`) is a file: its status
 * and type make its record, and its body is not downloaded.
 *
 * @example
 * ```ts
 * import { isPageType } from "./content_type.ts";
 * isPageType("application/rss+xml"); // true
 * isPageType("application/zip"); // false
 * ```
 */
export function isPageType(contentType: string): boolean {
  if (isHtmlType(contentType)) return true;
  const type = mediaType(contentType);
  return type === "text/xml" || type === "application/xml" || type.endsWith("+xml");
}

function mediaType(contentType: string): string {
  return contentType.split(";", 1)[0]!.trim().toLowerCase();
}
