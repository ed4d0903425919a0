import { UsageError } from "../errors.ts";
import type { FetchedPage, FieldValue } from "../records.ts";
import { compile } from "css-select";
import { collapse } from "./select.ts";

/** What an extractor is told about the page besides its document. */
export type PageInfo = Omit<FetchedPage, "body">;

/** Pulls named values out of a parsed page. */
export type Extract = (document: Document, page: PageInfo) => Record<string, FieldValue>;

/** Finds the URLs to follow on a parsed page; relative URLs resolve against the page's final URL. */
export type Follow = (document: Document, page: PageInfo) => Iterable<string>;

/** A function that a worker thread can load: it names the module that exports it. */
export interface Portable {
  readonly module: string;
  readonly exportName: string;
}

/**
 * Marks an extract or follow function as loadable by worker threads: a worker imports `moduleUrl` and takes the export
 * named like the function. Only marked functions may run with `workers > 0`; a plain function must run inline,
 * because a function cannot be sent to another thread.
 *
 * @example
 * ```ts
 * // my_extract.ts
 * import { defineExtractor, selectText } from "rxcrawl";
 * export const book = defineExtractor(import.meta.url, "book", (document) => ({ isbn: selectText(document, ".isbn") }));
 * ```
 */
export function defineExtractor<F extends Extract | Follow>(moduleUrl: string, exportName: string, fn: F): F & Portable {
  return Object.assign(fn, { module: moduleUrl, exportName });
}

/** Whether `fn` was marked by {@linkcode defineExtractor}. */
export function isPortable(fn: unknown): fn is Portable {
  return typeof fn === "function" && typeof (fn as Partial<Portable>).module === "string";
}

const ATTRIBUTE = /^(.*\S)\s*@([\w:-]+)$/;

/**
 * Compiles field selectors into an {@linkcode Extract}: `"css"` takes the first match's text (whitespace collapsed),
 * `"css@attr"` its attribute (named in any case, as in HTML); a selector that matches nothing gives `null`. Invalid
 * CSS is a usage error, found up front by trying each selector once.
 *
 * @example
 * ```ts
 * import { fieldExtractor } from "./extractor.ts";
 * import { parseDocument } from "./select.ts";
 * const extract = fieldExtractor({ h1: "h1", cover: "img.cover@src" });
 * extract(parseDocument('<h1>Hi</h1><img class="cover" src="/c.jpg">'), page); // { h1: "Hi", cover: "/c.jpg" }
 * ```
 */
export function fieldExtractor(fields: Record<string, string>): Extract {
  const compiled = Object.entries(fields).map(([name, spec]) => {
    const match = ATTRIBUTE.exec(spec);
    const selector = checkSelector(match?.[1] ?? spec, `field ${name}`);
    // Attribute names are case-insensitive in HTML, and parsed documents hold them in lower case.
    return { name, selector, attribute: match?.[2]?.toLowerCase() };
  });
  return (document) => {
    const values: Record<string, FieldValue> = {};
    for (const { name, selector, attribute } of compiled) {
      const element = document.querySelector(selector);
      if (element === null) values[name] = null;
      else if (attribute === undefined) values[name] = collapse(element.textContent ?? "");
      else values[name] = element.getAttribute(attribute);
    }
    return values;
  };
}

/**
 * Parses `name=css` field flags (as `crawl.ts --extract` takes them) into a fields object.
 *
 * @example
 * ```ts
 * import { parseFieldFlags } from "./extractor.ts";
 * parseFieldFlags(["price=.price", "cover=img@src"]); // { price: ".price", cover: "img@src" }
 * ```
 */
export function parseFieldFlags(flags: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf("=");
    const name = flag.slice(0, at).trim();
    const selector = flag.slice(at + 1).trim();
    if (at <= 0 || selector === "" || !/^[A-Za-z_][\w-]*$/.test(name)) {
      throw new UsageError(`Expected --extract to be name=<css selector>, got ${JSON.stringify(flag)}`);
    }
    fields[name] = selector;
  }
  return fields;
}

/**
 * Returns `selector` if it is valid CSS, else throws a {@linkcode UsageError} naming `what` it was for.
 *
 * @example
 * ```ts
 * import { checkSelector } from "./extractor.ts";
 * checkSelector("#db-rec-section dt a", "follow"); // "#db-rec-section dt a"
 * checkSelector("a[href", "follow"); // throws "Expected follow to be a valid CSS selector, got \"a[href\""
 * ```
 */
export function checkSelector(selector: string, what: string): string {
  try {
    if (selector.trim() === "") throw new Error("empty");
    // What linkedom's querySelector() does first, without loading linkedom: css-select compiles the selector.
    compile(selector, { xmlMode: false });
  } catch {
    throw new UsageError(`Expected ${what} to be a valid CSS selector, got ${JSON.stringify(selector)}`);
  }
  return selector;
}
