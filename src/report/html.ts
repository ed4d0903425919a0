// The two ways text from a crawl enters the report: as HTML text and attributes, and as JSON inside a <script>. URLs,
// titles and error messages come from the web, so each path is escaped here and nowhere else.

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escapes text for HTML content and for quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * escapeHtml(`"><script>`); // "&quot;&gt;&lt;script&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/**
 * JSON that can stand inside a `<script>` element: every `<` is written `\u003c`, so no string can close the element
 * (`</script>`) or open a comment (`<!--`). U+2028 and U+2029 are escaped too, for older readers of JSON as script.
 *
 * @example
 * ```ts
 * import { jsonForScript } from "./html.ts";
 * jsonForScript({ url: "</script>" }); // '{"url":"\\u003c/script>"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * A link to a crawled URL, or the URL as plain text when it is not http(s): a stats file is input like any other,
 * and a `javascript:` URL must not become something to click. The link reads without `https://`, which nearly every
 * URL would repeat (`http://` stays, as worth noticing), and with its percent-escapes decoded, so that
 * `/tag/%E5%B0%8F%E8%AF%B4` reads `/tag/小说`; the `href` keeps the URL as it was crawled.
 *
 * @example
 * ```ts
 * import { urlLink } from "./html.ts";
 * urlLink("https://example.com/tag/%E5%B0%8F?a=1&b=2");
 * // '<a href="https://example.com/tag/%E5%B0%8F?a=1&amp;b=2">example.com/tag/小?a=1&amp;b=2</a>'
 * ```
 */
export function urlLink(url: string): string {
  if (!/^https?:\/\//i.test(url)) return escapeHtml(url);
  return `<a href="${escapeHtml(url)}">${escapeHtml(readable(url.replace(/^https:\/\//i, "")))}</a>`;
}

function readable(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url; // a malformed escape: shown as it is
  }
}
