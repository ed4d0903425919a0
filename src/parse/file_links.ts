import { DEFAULTS } from "../defaults.ts";
import { UsageError } from "../errors.ts";

/** Which discovered links a crawl leaves alone because they lead to files, not pages. */
export interface FileLinkOptions {
  /**
   * Follow links to files too: nothing is skipped for its extension. A file that is fetched is still not downloaded
   * (its record has its status and type; see `isPageType`).
   * @default false
   */
  keepFiles?: boolean;
  /**
   * The extensions of links not followed, without or with a dot (`"pdf"`, `".tar.gz"`): plain entries replace the
   * default list, and an entry starting with `+` adds to the list, one starting with `-` takes from it
   * (`["+md", "-svg"]` keeps the default list otherwise). Start URLs, a sitemap's own sitemaps and redirects are never
   * skipped.
   * @default DEFAULTS.skipExtensions: images, audio, video, archives, documents, fonts, executables, source and data files
   */
  skipExtensions?: readonly string[];
}

const ENTRY = /^([+-]?)\.?([a-z0-9][\w-]*(?:\.[a-z0-9][\w-]*)*)$/i;

/**
 * Tells a link to a file, which a crawl does not request: one whose path ends in one of the extensions of
 * {@linkcode FileLinkOptions}, whatever their case (`/files/report.PDF`, `/dist/app-1.2.tar.gz`). The query is not
 * looked at. Wrong options are a `UsageError`, raised here, up front.
 *
 * @example
 * ```ts
 * import { fileLinkFilter } from "./file_links.ts";
 * const isFile = fileLinkFilter({ skipExtensions: ["+md", "-png"] });
 * isFile("https://example.com/guide.pdf"); // true
 * isFile("https://example.com/logo.png"); // false
 * isFile("https://example.com/page.html?download=x.zip"); // false
 * ```
 */
export function fileLinkFilter(options: FileLinkOptions = {}): (url: string) => boolean {
  if (options.keepFiles !== undefined && typeof options.keepFiles !== "boolean") {
    throw new UsageError(`Expected keepFiles to be true or false, got ${JSON.stringify(options.keepFiles)}`);
  }
  const extensions = skipExtensions(options.skipExtensions);
  if (options.keepFiles === true) {
    if (options.skipExtensions !== undefined) {
      throw new UsageError("Expected keepFiles or skipExtensions, not both: keepFiles follows the links to every file");
    }
    return () => false;
  }
  return (url) => {
    // Cut by hand rather than by a split on /[?#]/: this runs for every link a crawl finds.
    let end = url.indexOf("?");
    const hash = url.indexOf("#");
    if (end === -1 || (hash !== -1 && hash < end)) end = hash === -1 ? url.length : hash;
    const name = url.slice(url.lastIndexOf("/", end - 1) + 1, end).toLowerCase();
    for (let dot = name.indexOf("."); dot !== -1; dot = name.indexOf(".", dot + 1)) {
      if (extensions.has(name.slice(dot + 1))) return true;
    }
    return false;
  };
}

/**
 * The extensions that `skipExtensions` entries make, lower-case and without their dot (see {@linkcode FileLinkOptions});
 * a wrong entry is a `UsageError` that calls the option `name`.
 *
 * @example
 * ```ts
 * import { skipExtensions } from "./file_links.ts";
 * skipExtensions(["pdf", ".ZIP"]); // Set { "pdf", "zip" }
 * skipExtensions(["+md", "-pdf"]).has("pdf"); // false: the default list, with md and without pdf
 * ```
 */
export function skipExtensions(entries: readonly string[] | undefined, name = "skipExtensions"): Set<string> {
  if (entries === undefined) return new Set(DEFAULTS.skipExtensions);
  const expected = `Expected ${name} to list extensions such as "pdf", "+md" or "-svg", got`;
  if (!Array.isArray(entries) || entries.length === 0) throw new UsageError(`${expected} ${JSON.stringify(entries)}`);
  const parsed = entries.map((entry) => {
    const match = typeof entry === "string" ? ENTRY.exec(entry.trim()) : null;
    if (match === null) throw new UsageError(`${expected} ${JSON.stringify(entry)}`);
    return { sign: match[1]!, extension: match[2]!.toLowerCase() };
  });
  const listed = parsed.filter(({ sign }) => sign === "");
  const extensions = new Set<string>(listed.length > 0 ? listed.map(({ extension }) => extension) : DEFAULTS.skipExtensions);
  for (const { sign, extension } of parsed) {
    if (sign === "+") extensions.add(extension);
    else if (sign === "-") extensions.delete(extension);
  }
  return extensions;
}
