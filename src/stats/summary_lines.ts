import { type CrawlSummary, FINISH_REASONS } from "./crawl_summary.ts";
import { formatBytes, formatCount } from "./format.ts";

/**
 * The lines of a crawl's summary after its first (the runtime and the counts): why it ended, the pages by status
 * class, the records without an error as pages and files, the errors by code, requests, retries, redirects and
 * robots.txt refusals, bytes received on the wire and decoded, pages per depth, and peak memory. Each line starts
 * with two spaces.
 *
 * @example
 * ```ts
 * import { summaryLines } from "./summary_lines.ts";
 * summaryLines(stats.summary()).join("\n");
 * // "  ended: done, nothing left to fetch\n  status: 2xx 198, 4xx 2\n  ok: 197 pages, 1 file (not HTML or XML, not downloaded)\n  ..."
 * ```
 */
export function summaryLines(summary: CrawlSummary): string[] {
  const list = (counts: Record<string, number>, label = (key: string) => key) =>
    Object.entries(counts)
      .map(([key, count]) => `${label(key)} ${formatCount(count)}`)
      .join(", ") || "none";
  const plural = (count: number, word: string) => `${formatCount(count)} ${word}${count === 1 ? "" : "s"}`;
  const files = summary.files ?? 0;
  return [
    `ended: ${summary.finish}, ${FINISH_REASONS[summary.finish]}`,
    `status: ${list(summary.statusClasses, (name) => (name === "none" ? "no response" : name))}`,
    `ok: ${plural(summary.ok - files, "page")}, ${plural(files, "file")} (not HTML or XML, not downloaded)`,
    `errors: ${list(summary.errorCodes)}`,
    `requests: ${formatCount(summary.requests)}, ${plural(summary.retries, "retry").replace("retrys", "retries")}, ` +
      `${plural(summary.redirects, "redirect")}, ${plural(summary.robotsRefusals, "URL")} refused by robots.txt`,
    `received: ${formatBytes(summary.bytes.wire)} on the wire, ${formatBytes(summary.bytes.decoded)} decoded`,
    `depth: ${list(summary.depths, (depth) => `${depth}:`)}`,
    `peak memory: ${formatBytes(summary.peakRssBytes)}`,
  ].map((line) => `  ${line}`);
}
