// The parser thread of the fetch-and-parse ceiling (got_ceiling.ts --parse): what a crawler must at the least do with
// each page it fetched, on a core of its own: decode it, parse it with linkedom as rxcrawl loads it, take its <title>
// and resolve the href of every a[href]. Answers each page with its link count.
import { parentPort } from "node:worker_threads";
import { parseDocument } from "../src/parse/select.ts";
import { normalizeUrl } from "../src/url.ts";

/** A fetched page, its bytes transferred. */
export interface ParseJob {
  id: number;
  url: string;
  body: Uint8Array;
}

const decoder = new TextDecoder();

parentPort!.on("message", ({ id, url, body }: ParseJob) => {
  const document = parseDocument(decoder.decode(body));
  const title = document.querySelector("title")?.textContent ?? "";
  const links = new Set<string>();
  for (const link of document.querySelectorAll("a[href]")) {
    const href = normalizeUrl(link.getAttribute("href")!, url);
    if (href !== undefined) links.add(href);
  }
  parentPort!.postMessage({ id, links: links.size, titled: title !== "" });
});
