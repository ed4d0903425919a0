const IGNORED_SCHEMES = /^\s*(?:javascript|mailto|tel|data|about|blob|file|ftp):/i;

/**
 * Resolves `href` against `base` and normalizes it for crawling: lower-case scheme and host, no fragment, no default
 * port (the WHATWG URL parser does the first and last). Returns `undefined` for anything that is not an http(s) URL:
 * `javascript:`, `mailto:`, `tel:`, `data:` links and malformed hrefs.
 *
 * @example
 * ```ts
 * import { normalizeUrl } from "./url.ts";
 * normalizeUrl("../b?x=1#top", "HTTP://Example.COM:80/a/c"); // "http://example.com/b?x=1"
 * normalizeUrl("mailto:someone@example.com"); // undefined
 * ```
 */
export function normalizeUrl(href: string, base?: string | URL): string | undefined {
  const url = parseHttpUrl(href, base);
  return url?.href;
}

/**
 * Like {@linkcode normalizeUrl}, but returns the parsed `URL` (fragment removed) so callers that need the host do not
 * parse the same string twice.
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from "./url.ts";
 * parseHttpUrl("/x#y", "https://example.com/")?.href; // "https://example.com/x"
 * ```
 */
export function parseHttpUrl(href: string, base?: string | URL): URL | undefined {
  if (IGNORED_SCHEMES.test(href)) return undefined;
  let url: URL;
  try {
    url = new URL(href.trim(), base);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.hostname === "") return undefined;
  url.hash = "";
  return url;
}

/**
 * The `host` (hostname and port) of a URL that {@linkcode normalizeUrl} produced, cut from the string without parsing
 * it again: per link, this is the difference between one URL parse and two.
 *
 * @example
 * ```ts
 * import { hostOf } from "./url.ts";
 * hostOf("https://user@Example.com:8080/a"); // "Example.com:8080" (normalized input is already lower-case)
 * ```
 */
export function hostOf(normalizedUrl: string): string {
  const start = normalizedUrl.indexOf("//") + 2;
  const authority = normalizedUrl.slice(start, authorityEnd(normalizedUrl, start));
  const at = authority.lastIndexOf("@");
  return at === -1 ? authority : authority.slice(at + 1);
}

/**
 * The origin (scheme, host and port) of a URL that {@linkcode normalizeUrl} produced, cut from the string.
 *
 * @example
 * ```ts
 * import { originOf } from "./url.ts";
 * originOf("https://example.com:8080/a?b"); // "https://example.com:8080"
 * ```
 */
export function originOf(normalizedUrl: string): string {
  const scheme = normalizedUrl.indexOf("//");
  const start = scheme + 2;
  const end = authorityEnd(normalizedUrl, start);
  const at = normalizedUrl.lastIndexOf("@", end);
  return at < start ? normalizedUrl.slice(0, end) : normalizedUrl.slice(0, start) + normalizedUrl.slice(at + 1, end);
}

function authorityEnd(url: string, start: number): number {
  const end = url.indexOf("/", start);
  return end === -1 ? url.length : end;
}
