import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../errors.ts";
import type { CrawlSummary } from "../stats/crawl_summary.ts";
import { renderReport, type RenderReportOptions } from "./render_report.ts";

/**
 * Writes the HTML report of a crawl to `path` (see {@linkcode renderReport}), creating its folder. A path that cannot
 * be written (under a regular file, a folder itself, no permission) fails with a {@linkcode UsageError}
 * "Cannot write <path>: <reason>", like every output of rxcrawl.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { writeReport } from "./write_report.ts";
 * const summary = JSON.parse(readFileSync("data/out/stats.json", "utf8"));
 * await writeReport("data/out/report.html", summary, { title: "Books, nightly crawl" });
 * ```
 */
export async function writeReport(path: string, summary: CrawlSummary, options: RenderReportOptions = {}): Promise<void> {
  // Rendered first: a summary that cannot be rendered leaves no file behind.
  const html = renderReport(summary, options);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, html, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Cannot write ${path}: ${reason}`, { cause: error });
  }
}
