// HTML attribute names are case-insensitive: a browser's parser lower-cases them, so `<A HREF="/x">` has an attribute
// `href` and `a[href]` matches it. linkedom keeps the case as written (it parses HTML and XML with one parser, with
// `lowerCaseAttributeNames: false`), and a selector then misses the links and fields of every page written in upper
// case, as old sites are. Tag names are lower-cased by the parser already. The fix is where the browser makes it: the
// parser names each attribute through `document.createAttribute()`, which the DOM standard has lower-case its name in
// an HTML document; linkedom's does not, so ours does. Selectors, `getAttribute("href")` and the rest then see what a
// browser sees. One difference is left: SVG's camel-case attributes (`viewBox`) read in lower case too.

type Linkedom = typeof import("linkedom");

/** The prototypes already changed: the main thread may load linkedom once and a test call this again. */
const done = new WeakSet<object>();

/**
 * Makes linkedom's HTML documents lower-case attribute names as they are parsed or made with `createAttribute()`, as
 * the DOM standard says. Idempotent. Installed by ./install.ts and by the worker bundle; not for use on its own.
 *
 * @example
 * ```ts
 * import * as dom from "linkedom";
 * import { lowerCaseAttributeNames } from "./attribute_case.ts";
 * lowerCaseAttributeNames(dom);
 * dom.parseHTML('<A HREF="/x">x</A>').document.querySelectorAll("a[href]").length; // 1
 * ```
 */
export function lowerCaseAttributeNames(dom: Linkedom): void {
  const prototype = Object.getPrototypeOf(new dom.DOMParser().parseFromString("", "text/html")) as {
    createAttribute(this: Document, name: string): Attr;
  };
  if (done.has(prototype)) return;
  done.add(prototype);
  const createAttribute = prototype.createAttribute;
  prototype.createAttribute = function (name: string): Attr {
    return createAttribute.call(this, asciiLowerCase(name));
  };
}

/** ASCII lower case, as HTML's parser applies to names: other letters (`İ`) stay as they are. */
function asciiLowerCase(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : name;
}
