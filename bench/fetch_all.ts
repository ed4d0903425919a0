import http from "node:http";
import got from "got";
import { broadPageUrl } from "../src/demo/broad_site.ts";
import { leanRequests } from "../src/fetch/lean_requests.ts";

/** What {@linkcode fetchAll} got back. */
export interface FetchAllResult {
  /** Responses with status 200. */
  ok: number;
  /** Other statuses and network errors. */
  errors: number;
  /** The errors by kind: `HTTP <status>`, or the network error's code (`ECONNRESET`, `ETIMEDOUT`...). */
  errorKinds: Record<string, number>;
}

/**
 * Fetches every URL once with plain got, `concurrency` at once over keep-alive connections (the agent rxcrawl's
 * fetcher uses), each request's options built as rxcrawl's fetcher builds them (`leanRequests`, which saves got's own
 * way 50 µs a request), with got's defaults otherwise: gzip accepted and decompressed, the whole body buffered. No
 * retries, no parsing and no bookkeeping, so this is the fastest a crawler built on got could fetch the same pages.
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
  onBody?: (body: Buffer, index: number, url: string) => void | Promise<void>,
): Promise<FetchAllResult> {
  const { length, at } = Array.isArray(urls) ? { length: urls.length, at: (index: number) => urls[index]! } : (urls as UrlList);
  const agent = new http.Agent({ keepAlive: true, scheduling: "lifo" });
  const client = got.extend({
    ...leanRequests(),
    agent: { http: agent },
    retry: { limit: 0 },
    throwHttpErrors: false,
    timeout: { request: 30_000 },
    responseType: "buffer",
  });
  const result: FetchAllResult = { ok: 0, errors: 0, errorKinds: {} };
  const fail = (kind: string) => {
    result.errors++;
    result.errorKinds[kind] = (result.errorKinds[kind] ?? 0) + 1;
  };
  let next = 0;
  // `concurrency` loops that each take the next URL: the cap holds without a queue, as mergeMap's would.
  const loop = async (): Promise<void> => {
    while (next < length) {
      const index = next++;
      const url = at(index);
      try {
        const response = await client(url);
        if (response.statusCode !== 200) fail(`HTTP ${response.statusCode}`);
        else {
          result.ok++;
          await onBody?.(response.body, index, url);
        }
      } catch (error) {
        fail((error as { code?: string }).code ?? "ERROR");
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
 * Every page of a broad site on `port`, in the order that costs a client least: `window` hosts at a time (the
 * concurrency), page 0 of each, then page 1 of each..., so that each host has about one request in flight and reuses
 * its connection for all its pages, where a crawl spread over every host would open one for nearly every request.
 */
export function broadUrls(port: number, hosts: number, pagesPerHost: number, window: number): UrlList {
  const block = window * pagesPerHost;
  return {
    length: hosts * pagesPerHost,
    at(index) {
      const first = Math.floor(index / block) * window;
      const width = Math.min(window, hosts - first);
      const offset = index - first * pagesPerHost;
      return broadPageUrl(first + (offset % width), Math.floor(offset / width), port);
    },
  };
}

/** The book page URLs of a demo site, /subject/0/ .. /subject/<pages-1>/. */
export function subjectUrls(origin: string, pages: number): string[] {
  return Array.from({ length: pages }, (_, id) => `${origin}/subject/${id}/`);
}
