import { UsageError } from "../errors.ts";
import type { CrawlSummary } from "../stats/crawl_summary.ts";
import { chartLibrarySource } from "./chart_library.ts";
import { formatCount } from "../stats/format.ts";
import { escapeHtml, jsonForScript } from "./html.ts";
import { REPORT_CLIENT } from "./report_client.ts";
import { reportCharts, type ReportChart } from "./report_charts.ts";
import { crawlPeriod, reportFigures } from "./report_figures.ts";
import { errorCodesTable, failingTable, slowestTable } from "./report_tables.ts";
import { REPORT_STYLE } from "./report_style.ts";

/** Options of {@linkcode renderReport}. */
export interface RenderReportOptions {
  /** The page's title and heading. @default "Crawl report" */
  title?: string;
}

/**
 * Renders a crawl's statistics as one self-contained HTML page: headline figures, charts (throughput over time,
 * status classes, depths, response times, body sizes, hosts) and tables (errors by code, statuses, the slowest and the
 * failing URLs). Chart.js is inlined from the installed package, so the file opens from disk with no network, and
 * prints. Every text from the crawl is escaped, in the HTML and in the page's JSON.
 *
 * Throws a {@linkcode UsageError} for a summary of another `format` than 1.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from "node:fs";
 * import { renderReport } from "./render_report.ts";
 * const summary = JSON.parse(readFileSync("data/out/stats.json", "utf8"));
 * writeFileSync("data/out/report.html", renderReport(summary, { title: "Books, nightly crawl" }));
 * ```
 */
export function renderReport(summary: CrawlSummary, options: RenderReportOptions = {}): string {
  if (summary.format !== 1) {
    throw new UsageError(`Expected crawl statistics of format 1, got ${JSON.stringify(summary.format)}`);
  }
  const title = options.title ?? "Crawl report";
  const charts = reportCharts(summary);
  const chart = (id: string, span: number) => card(charts.find((c) => c.id === id), span);
  // The page's script gets only what it draws: titles, notes and figures are in the HTML already.
  const data = {
    charts: charts.map(({ id, config, markers, twoLineTicks, tooltipTotal, valueLabels }) => ({
      id,
      config,
      markers,
      twoLineTicks,
      tooltipTotal,
      valueLabels,
    })),
  };
  const failingNote =
    summary.failing.length < summary.errors
      ? `The first ${formatCount(summary.failing.length)} of ${formatCount(summary.errors)} errors, in the order they finished.`
      : "In the order they finished.";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<main>
<header class="header">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(crawlPeriod(summary))}</p>
</header>
<section aria-label="Headline figures">
${reportFigures(summary)}
</section>
<section class="grid" aria-label="Charts">
${chart("chart-throughput", 12)}
${chart("chart-status", 6)}
${chart("chart-depth", 6)}
${chart("chart-response", 7)}
${chart("chart-body", 5)}
${chart("chart-hosts", 6)}
<div class="card span-6">
${heading("Errors by code", "Records with an error, by its code.")}
${errorCodesTable(summary)}
</div>
</section>
<section class="grid" aria-label="Tables">
<div class="card span-12">
${heading("Slowest URLs", "The slowest responses, slowest first.")}
${slowestTable(summary)}
</div>
<div class="card span-12">
${heading("Failing URLs", failingNote)}
${failingTable(summary)}
</div>
</section>
<footer>rxcrawl crawl report · statistics format ${summary.format}</footer>
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${chartLibrarySource()}</script>
<script>${REPORT_CLIENT}</script>
</body>
</html>
`;
}

function heading(title: string, note: string): string {
  return `<h2>${escapeHtml(title)}</h2>\n<p class="note">${escapeHtml(note)}</p>`;
}

/** A chart's card: title, note, key figures, then the canvas (or a note where there is nothing to draw) and details. */
function card(chart: ReportChart | undefined, span: number): string {
  if (chart === undefined) return "";
  const pairs = (items: [string, string][]) =>
    items.map(([label, value]) => `<span>${escapeHtml(label)} <b>${escapeHtml(value)}</b></span>`).join("");
  const body =
    chart.config === null
      ? `<div class="no-data" style="height:${chart.height}px">${escapeHtml(chart.empty)}</div>`
      : `<div class="chart-box" style="height:${chart.height}px"><canvas id="${escapeHtml(chart.id)}" role="img" aria-label="${escapeHtml(chart.title)}"></canvas></div>`;
  return `<div class="card span-${span}">
<h2>${escapeHtml(chart.title)}</h2>
<p class="note">${escapeHtml(chart.note)}</p>
${chart.figures.length > 0 ? `<div class="chips">${pairs(chart.figures)}</div>\n` : ""}${body}
${chart.details ? `<div class="chips details">${pairs(chart.details)}</div>\n` : ""}</div>`;
}
