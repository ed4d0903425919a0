import { defineExtractor } from "./extractor.ts";
import type { FieldValue } from "../records.ts";
import { collapse, selectText } from "./select.ts";

/** The recommendations on a Douban book page: "people who like this book also like". */
export const DOUBAN_RECOMMENDATIONS = "#db-rec-section dt a";

/** The seed's start page: a Douban book page. */
export const DOUBAN_START = "https://book.douban.com/subject/35196328/";

/** The fields {@linkcode doubanBook} extracts, in column order. */
export const DOUBAN_FIELDS = ["title", "author", "publisher", "year", "rating", "ratings", "isbn"] as const;

/**
 * Extracts a book from a Douban book page: title, author, publisher, year (the first four-digit year of 出版年),
 * rating (0-10), number of ratings, and ISBN; `null` for what the page lacks. Runs inline or on worker threads.
 *
 * @example
 * ```ts
 * import { crawl, doubanBook, DOUBAN_RECOMMENDATIONS } from "../mod.ts";
 * crawl({ start: "https://book.douban.com/subject/35196328/", follow: DOUBAN_RECOMMENDATIONS, extract: doubanBook });
 * ```
 */
export const doubanBook = defineExtractor(import.meta.url, "doubanBook", (document: Document) => {
  const info = infoFields(document);
  const year = /\b(\d{4})\b/.exec(info.get("出版年") ?? "")?.[1];
  const title =
    selectText(document, 'h1 span[property="v:itemreviewed"]') ??
    selectText(document, "title")?.replace(/\s*\(豆瓣\)$/, "") ??
    null;
  const book: Record<(typeof DOUBAN_FIELDS)[number], FieldValue> = {
    title,
    author: info.get("作者") ?? null,
    publisher: info.get("出版社") ?? null,
    year: year === undefined ? null : Number(year),
    rating: number(selectText(document, "strong.rating_num")),
    ratings: number(selectText(document, 'span[property="v:votes"]')),
    isbn: info.get("ISBN") ?? null,
  };
  return book;
});

/**
 * The `label: value` lines of `#info`. Douban writes them in two shapes: `<span class="pl">出版社:</span> value<br>`,
 * and, for people, `<span><span class="pl"> 作者</span>: <a>name</a> / <a>name</a></span><br>`.
 */
function infoFields(document: Document): Map<string, string> {
  const fields = new Map<string, string>();
  for (const label of document.querySelectorAll("#info span.pl")) {
    const name = collapse(label.textContent ?? "").replace(/[:：]$/, "");
    let value = "";
    const parent = label.parentElement;
    if (parent !== null && parent.tagName === "SPAN" && parent.firstElementChild === label) {
      // Everything after the label in its span. Not the span's text minus the label's length: on real pages the span
      // starts with a newline and indentation, and that cut would leave "作者:" in the value.
      for (let node = label.nextSibling; node !== null; node = node.nextSibling) value += node.textContent ?? "";
    } else {
      for (let node = label.nextSibling; node !== null && node.nodeName !== "BR"; node = node.nextSibling) {
        if (node.nodeType === 1 && (node as Element).matches("span.pl")) break;
        value += node.textContent ?? "";
      }
    }
    value = collapse(value.replace(/^\s*[:：]/, ""));
    if (name !== "" && value !== "" && !fields.has(name)) fields.set(name, value);
  }
  return fields;
}

function number(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text.replace(/,/g, ""));
  return text.trim() === "" || Number.isNaN(value) ? null : value;
}
