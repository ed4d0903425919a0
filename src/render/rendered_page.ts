import type { FetchedPage } from "../records.ts";
import type { RenderResult } from "./render_records.ts";

const EMPTY = new Uint8Array(0);

/**
 * The fetched page with its body replaced by the browser's DOM, ready for the same parse stage as any page
 * (`parseHtml`, on the parser threads): the serialized DOM as UTF-8 HTML, the URL it was serialized at, `rendered`
 * set, and the render's error when it failed. A page with an error is not parsed, so a render that timed out keeps its DOM here only
 * for whoever wants to read it.
 *
 * @example
 * ```ts
 * import { renderedPage } from "./rendered_page.ts";
 * const page = renderedPage(fetched, await pool.render({ url: fetched.url, response }));
 * page.contentType; // "text/html; charset=utf-8"
 * ```
 */
export function renderedPage(page: FetchedPage, result: RenderResult): FetchedPage {
  return {
    ...page,
    finalUrl: result.finalUrl === "" ? page.finalUrl : result.finalUrl,
    status: result.status === 0 ? page.status : result.status,
    contentType: "text/html; charset=utf-8",
    body: result.html === "" ? EMPTY : new TextEncoder().encode(result.html),
    error: result.error,
    errorCode: result.errorCode,
    rendered: true,
  };
}
