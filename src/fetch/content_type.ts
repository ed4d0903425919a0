/**
 * Whether a `Content-Type` may hold HTML; an absent one may, and is sniffed when parsed.
 *
 * @example
 * ```ts
 * import { isHtmlType } from "./content_type.ts";
 * isHtmlType("text/html; charset=gbk"); // true
 * isHtmlType("application/pdf"); // false
 * ```
 */
export function isHtmlType(contentType: string): boolean {
  if (contentType === "") return true;
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return type === "text/html" || type === "application/xhtml+xml";
}
