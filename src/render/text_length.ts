const HIDDEN = /<!--[\s\S]*?-->|<(script|style|noscript|template|title|head)\b[\s\S]*?<\/\1\s*>/gi;
const TAG = /<[^>]*>/g;
const SPACE = /\s+/g;

/**
 * The length of a page's visible text, near enough to compare two readings of one page: comments, the head, the
 * title, scripts, styles and templates are dropped, then every tag, and runs of whitespace count as one character.
 * Entities count as written. Regular expressions rather than a parser, as it runs on the crawl's thread for the pages
 * `auto` compares.
 *
 * @example
 * ```ts
 * import { textLength } from "./text_length.ts";
 * textLength("<title>T</title><p>Hello,\n  <b>world</b></p><script>var x = 1;</script>"); // 12
 * ```
 */
export function textLength(html: string): number {
  return html.replace(HIDDEN, " ").replace(TAG, " ").replace(SPACE, " ").trim().length;
}
