import { linkedom } from "./linkedom/install.ts";

/**
 * Parses HTML into a linkedom `Document`. Broken markup never throws: like a browser, the parser repairs what it can.
 *
 * @example
 * ```ts
 * import { parseDocument, selectText } from "./select.ts";
 * const document = parseDocument("<title> Hello </title><p class=x>World</p>");
 * selectText(document, "p.x"); // "World"
 * ```
 */
export function parseDocument(html: string): Document {
  return linkedom().parseHTML(html).document;
}

/**
 * The text of the first element matching `selector`, whitespace collapsed, or `null` when none matches.
 *
 * @example
 * ```ts
 * import { parseDocument, selectText } from "./select.ts";
 * selectText(parseDocument("<h1> A  <b>B</b> </h1>"), "h1"); // "A B"
 * ```
 */
export function selectText(root: ParentNode, selector: string): string | null {
  const element = root.querySelector(selector);
  return element === null ? null : collapse(element.textContent ?? "");
}

/**
 * The value of attribute `name` on the first element matching `selector`, or `null`.
 *
 * @example
 * ```ts
 * import { parseDocument, selectAttr } from "./select.ts";
 * selectAttr(parseDocument('<img class=cover src="/c.jpg">'), "img.cover", "src"); // "/c.jpg"
 * ```
 */
export function selectAttr(root: ParentNode, selector: string, name: string): string | null {
  return root.querySelector(selector)?.getAttribute(name) ?? null;
}

/**
 * The document's `<title>`, whitespace collapsed; `""` when it has none.
 *
 * @example
 * ```ts
 * import { pageTitle, parseDocument } from "./select.ts";
 * pageTitle(parseDocument("<title>\n  活着\n (豆瓣)</title>")); // "活着 (豆瓣)"
 * ```
 */
export function pageTitle(document: Document): string {
  return selectText(document, "title") ?? "";
}

/** Collapses runs of whitespace to one space and trims, as a browser renders text. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
