import { normalizeUrl, parseHttpUrl } from "../url.ts";

/**
 * The absolute, normalized URLs of the `href`s of the elements matching `selector`, in document order without
 * repeats. Relative links resolve against the page's `<base href>` if it has one, else against `pageUrl`;
 * `javascript:`, `mailto:`, `tel:`, `data:` and malformed hrefs are left out.
 *
 * @example
 * ```ts
 * import { extractLinks } from "./links.ts";
 * import { parseDocument } from "./select.ts";
 * const document = parseDocument('<a href="/b#x">b</a><a href="mailto:x@y.z">m</a><a href="/b">again</a>');
 * extractLinks(document, "a[href]", "https://example.com/a/"); // ["https://example.com/b"]
 * ```
 */
export function extractLinks(document: Document, selector: string, pageUrl: string): string[] {
  const elements = document.querySelectorAll(selector);
  if (elements.length === 0) return [];
  const base = baseUrl(document, pageUrl);
  const links = new Set<string>();
  for (const element of elements) {
    const href = element.getAttribute("href");
    if (href === null) continue;
    const url = normalizeUrl(href, base);
    if (url !== undefined) links.add(url);
  }
  return [...links];
}

/** The base URL, parsed once: resolving against a string would parse it again for every link. */
function baseUrl(document: Document, pageUrl: string): URL {
  const href = document.querySelector("base[href]")?.getAttribute("href");
  return (href === null || href === undefined ? undefined : parseHttpUrl(href, pageUrl)) ?? new URL(pageUrl);
}
