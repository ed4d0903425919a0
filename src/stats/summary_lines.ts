import { type CrawlSummary, FINISH_REASONS } from "./crawl_summary.ts";
import { formatBytes, formatCount } from "./format.ts";

/**
 * The lines of a crawl's summary after its first (the runtime and the counts): why it ended (and the URLs found and
 * left waiting, when there are), the pages by status
 * class, the records without an error as pages and files, the errors by code, requests, retries, redirects and
 * robots.txt refusals, bytes received on the wire and decoded, pages per depth, and peak memory; then, when the crawl
 * rendered pages, what the browser did; and when there were some, the requests through each proxy and the responses
 * that looked like blocks. Each line starts with two spaces.
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
    `ended: ${summary.finish}, ${FINISH_REASONS[summary.finish]}` +
      ((summary.left ?? 0) > 0 ? `; ${plural(summary.left!, "URL")} found and left waiting` : ""),
    `status: ${list(summary.statusClasses, (name) => (name === "none" ? "no response" : name))}`,
    `ok: ${plural(summary.ok - files, "page")}, ${plural(files, "file")} (not HTML or XML, not downloaded)`,
    `errors: ${list(summary.errorCodes)}`,
    `requests: ${formatCount(summary.requests)}, ${plural(summary.retries, "retry").replace("retrys", "retries")}, ` +
      `${plural(summary.redirects, "redirect")}, ${plural(summary.robotsRefusals, "URL")} refused by robots.txt`,
    `received: ${formatBytes(summary.bytes.wire)} on the wire, ${formatBytes(summary.bytes.decoded)} decoded`,
    `depth: ${list(summary.depths, (depth) => `${depth}:`)}`,
    `peak memory: ${formatBytes(summary.peakRssBytes)}`,
    ...renderLines(summary),
    ...proxyLines(summary),
  ].map((line) => `  ${line}`);
}

/** The browser's line, when the crawl rendered pages: how many, why, how many failed, and what the browser took. */
function renderLines(summary: CrawlSummary): string[] {
  const render = summary.render;
  if (render === undefined) return [];
  const plural = (count: number, word: string) => `${formatCount(count)} ${word}${count === 1 ? "" : "s"}`;
  const compared = render.mode === "auto" ? ` (${formatCount(render.compared)} read both ways to decide)` : "";
  const { browser } = render;
  const events: string[] = [];
  if (browser.crashes > 0) events.push(`${formatCount(browser.crashes)} crash${browser.crashes === 1 ? "" : "es"}`);
  if (browser.memoryRestarts > 0) events.push(`${plural(browser.memoryRestarts, "restart")} for memory`);
  return [
    `rendered: ${plural(render.pages, "page")} in the browser${compared}, ${formatCount(render.failed)} failed; ` +
      `${plural(render.rows, "row")} read from the rendered DOM; browser peak ${formatBytes(browser.peakBytes)}` +
      events.map((event) => `, ${event}`).join(""),
  ];
}

/** A line for the proxies and one for the blocks, each only when there were some. */
function proxyLines(summary: CrawlSummary): string[] {
  const lines: string[] = [];
  const proxies = summary.proxies ?? [];
  if (proxies.length > 0) {
    const each = proxies.map(
      ({ proxy, requests, benched }, i) =>
        `${formatCount(requests)}${i === 0 ? ` request${requests === 1 ? "" : "s"}` : ""} through ${proxy}` +
        (benched > 0 ? ` (benched ${formatCount(benched)}×)` : ""),
    );
    lines.push(`proxies: ${each.join(", ")}`);
  }
  const blocks = summary.blocks;
  if (blocks !== undefined && blocks.responses > 0) {
    const hosts = blocks.hosts.map(
      ({ host, responses, slowestMs }) => `${host} sent ${formatCount(responses)}, slowed down to one request every ${formatSeconds(slowestMs)}`,
    );
    lines.push(`blocks: ${formatCount(blocks.responses)} response${blocks.responses === 1 ? "" : "s"} looked like blocks; ${hosts.join("; ")}`);
  }
  return lines;
}

function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${Number((ms / 1000).toFixed(2))} s`;
}
