import { readFile } from "node:fs/promises";
import { UsageError } from "./errors.ts";
import { normalizeUrl } from "./url.ts";

/**
 * Reads a URL list: one URL per line; blank lines and lines starting with `#` are skipped. A file that cannot be read,
 * or a line that is not an http(s) URL, is a {@linkcode UsageError} naming the file and line.
 *
 * @example
 * ```ts
 * import { readUrlList } from "./url_list.ts";
 * const urls = await readUrlList("data/url_list.txt");
 * ```
 */
export async function readUrlList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new UsageError(`Cannot read the URL list ${path}: ${reason}`, { cause: error });
  }
  const urls: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const url = normalizeUrl(line);
    if (url === undefined) throw new UsageError(`${path}:${index + 1}: Expected an http(s) URL, got ${JSON.stringify(line)}`);
    urls.push(url);
  }
  return urls;
}
