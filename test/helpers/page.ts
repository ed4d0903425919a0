import type { FetchedPage } from "../../src/records.ts";

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
