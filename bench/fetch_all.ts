import http from "node:http";
import got from "got";
import { broadHostAddress } from "../src/demo/broad_site.ts";

/** What {@linkcode fetchAll} got back. */
export interface FetchAllResult {
  /** Responses with status 200. */
  ok: number;
  /** Other statuses and network errors. */
  errors: number;
}

/**
 * Fetches every URL once with plain got, `concurrency` at once over keep-alive connections (the agent rxcrawl's
 * fetcher uses), with got's defaults otherwise: gzip accepted and decompressed, the whole body buffered. No retries,
 * no parsing and no bookkeeping, so this is the fastest a crawler built on got could fetch the same pages.
 *
 * @example
 * ```ts
 * import { fetchAll } from "./fetch_all.ts";
 * const { ok } = await fetchAll(["http://127.0.0.1:8080/subject/0/"], 8);
 * ```
 */
export async function fetchAll(
  urls: readonly string[] | UrlList,
  concurrency: number,
  onBody?: (body: Buffer, index: number) => void,
): Promise<FetchAllResult> {
  const { length, at } = Array.isArray(urls) ? { length: urls.length, at: (index: number) => urls[index]! } : (urls as UrlList);
  const agent = new http.Agent({ keepAlive: true, scheduling: "lifo" });
  const client = got.extend({
    agent: { http: agent },
    retry: { limit: 0 },
    throwHttpErrors: false,
    timeout: { request: 30_000 },
    responseType: "buffer",
  });
  const result: FetchAllResult = { ok: 0, errors: 0 };
  let next = 0;
  // `concurrency` loops that each take the next URL: the cap holds without a queue, as mergeMap's would.
  const loop = async (): Promise<void> => {
    while (next < length) {
      const index = next++;
      try {
        const response = await client(at(index));
        if (response.statusCode !== 200) result.errors++;
        else {
          result.ok++;
          onBody?.(response.body, index);
        }
      } catch {
        result.errors++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    agent.destroy();
  }
  return result;
}

/** URLs made one at a time, so that a million need not be held at once. */
export interface UrlList {
  length: number;
  at(index: number): string;
}

/**
 * Every page of a broad site on `port`, page 0 of each host first, then page 1 of each...: spread over the hosts, as
 * a ceiling that is not held to politeness may fetch them.
 */
export function broadUrls(port: number, hosts: number, pagesPerHost: number): UrlList {
  return {
    length: hosts * pagesPerHost,
    at: (index) => `http://${broadHostAddress(index % hosts)}:${port}/page/${Math.floor(index / hosts)}`,
  };
}

/** The book page URLs of a demo site, /subject/0/ .. /subject/<pages-1>/. */
export function subjectUrls(origin: string, pages: number): string[] {
  return Array.from({ length: pages }, (_, id) => `${origin}/subject/${id}/`);
}
