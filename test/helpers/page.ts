import type { FetchedPage, PageRecord } from "../../src/records.ts";

/**
 * A fetched page as the fetcher would emit it: status 200, `text/html; charset=utf-8`, the body as UTF-8 bytes (or
 * the bytes given), no error; `overrides` changes any field. Each call makes a fresh body, so that no two pages share
 * one.
 *
 * @example
 * ```ts
 * import { fetchedPage } from "./page.ts";
 * const page = fetchedPage("https://example.com/", "<title>Hi</title>", { depth: 1 });
 * ```
 */
export function fetchedPage(url: string, body: string | Uint8Array, overrides: Partial<FetchedPage> = {}): FetchedPage {
  return {
    url,
    finalUrl: url,
    depth: 0,
    status: 200,
    contentType: "text/html; charset=utf-8",
    body: typeof body === "string" ? Buffer.from(body, "utf8") : Uint8Array.from(body),
    error: "",
    errorCode: "",
    attempts: 1,
    retries: 0,
    redirects: 0,
    wireBytes: 0,
    responseMs: 0,
    fetchedAt: "2024-05-01T08:00:00.000Z",
    ...overrides,
  };
}

/**
 * A page's record as the crawl emits it: {@linkcode fetchedPage}'s fields without the body, an empty title, no field,
 * no link, UTF-8; `overrides` changes any field.
 *
 * @example
 * ```ts
 * import { pageRecord } from "./page.ts";
 * const record = pageRecord("https://example.com/", { title: "Hi", links: ["https://example.com/a"] });
 * ```
 */
export function pageRecord(url: string, overrides: Partial<PageRecord> = {}): PageRecord {
  const { body: _body, ...fetched } = fetchedPage(url, "");
  return { ...fetched, bytes: 0, title: "", fields: {}, links: [], charset: "utf-8", ...overrides };
}
