import type { ChartConfiguration } from "chart.js";
import type { CrawlSummary, Histogram } from "../stats/crawl_summary.ts";
import { formatCount, formatDecimal, formatDuration, formatPercent, formatQuantity, type Quantity } from "../stats/format.ts";
import { barChart, chartOptions } from "./chart_config.ts";
import { histogramBars, type PercentileMarker } from "./histogram_bars.ts";
import { timelineRates } from "./timeline_rates.ts";

/** One chart of the report: what the page shows around it, and the Chart.js configuration, which is plain JSON. */
export interface ReportChart {
  /** The id of its `<canvas>`, also what the report's tests look it up by. */
  id: string;
  title: string;
  /** One line under the title: what is counted. */
  note: string;
  /** Key figures shown with the chart, as [label, value]: "p50", "82 ms". */
  figures: [string, string][];
  /** Height of the drawing area in CSS pixels. */
  height: number;
  /** What to draw; `null` when there is nothing to draw, and `empty` says why. */
  config: ChartConfiguration<"bar"> | null;
  /** Why there is nothing to draw, shown in place of the chart. */
  empty: string;
  /** Percentiles to mark on the bars of a histogram. @default [] */
  markers?: PercentileMarker[];
  /** Write each bar's label on two lines, the unit under the numbers ("50–100" over "ms"), so that all fit. @default false */
  twoLineTicks?: boolean;
  /** Write each bar's count at its end: a bar too short to see still shows its number. @default false */
  valueLabels?: boolean;
  /** For stacked bars: the tooltip ends with the stack's total, under this label. @default none */
  tooltipTotal?: string;
  /** Shown under the chart, as [label, value]: the exact statuses under the status classes. @default [] */
  details?: [string, string][];
}

const COLORS = {
  errors: "#dc2626",
  response: "#0d9488",
  body: "#7c3aed",
  depth: "#4f46e5",
  ok: "#60a5fa",
} as const;

const STATUS_COLORS: Record<string, string> = {
  "1xx": "#94a3b8",
  "2xx": "#16a34a",
  "3xx": "#0891b2",
  "4xx": "#d97706",
  "5xx": "#dc2626",
  none: "#6b7280",
};

/**
 * The charts of a crawl report, in the order the page shows them: throughput over time, status classes, pages by
 * depth, response times, body sizes, hosts. Each is built from the summary alone.
 *
 * @example
 * ```ts
 * import { reportCharts } from "./report_charts.ts";
 * import type { CrawlSummary } from "../stats/crawl_summary.ts";
 * declare const summary: CrawlSummary;
 * reportCharts(summary).map((chart) => chart.id);
 * // ["chart-throughput", "chart-status", "chart-depth", "chart-response", "chart-body", "chart-hosts"]
 * ```
 */
export function reportCharts(summary: CrawlSummary): ReportChart[] {
  return [throughput(summary), statusClasses(summary), depths(summary), responseTimes(summary), bodySizes(summary), hosts(summary)];
}

function throughput(summary: CrawlSummary): ReportChart {
  const rates = timelineRates(summary);
  const hasData = summary.pages > 0 && rates.labels.length > 0;
  // The timeline is counts per bucket, so it is drawn as touching bars, one per bucket, rather than as a line that
  // would suggest values between them; ok and errors are stacked, so a bar's height is the pages per second.
  const bucket = { barPercentage: 1, categoryPercentage: 1 };
  const config: ChartConfiguration<"bar"> = {
    type: "bar",
    data: {
      labels: rates.labels,
      datasets: [
        { label: "ok/s", data: rates.okPerSecond, backgroundColor: COLORS.ok, ...bucket },
        { label: "errors/s", data: rates.errorsPerSecond, backgroundColor: COLORS.errors, ...bucket },
      ],
    },
    options: chartOptions("time since the start (m:ss)", { legend: true, fractions: true, stacked: true }),
  };
  return {
    id: "chart-throughput",
    title: "Pages and errors per second",
    note: `Records finished per second, in buckets of ${formatDuration(summary.timeline.bucketSeconds)}: ok and errors stacked.`,
    figures: hasData
      ? [
          ["mean", `${formatDecimal(summary.pagesPerSecond)} pages/s`],
          ["peak", `${formatDecimal(Math.max(...rates.pagesPerSecond))} pages/s`],
          ["errors peak", `${formatDecimal(Math.max(...rates.errorsPerSecond))} errors/s`],
        ]
      : [],
    height: 240,
    config: hasData ? config : null,
    tooltipTotal: "pages/s",
    empty: "No page finished: there is no timeline to draw.",
  };
}

function statusClasses(summary: CrawlSummary): ReportChart {
  const order = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];
  const keys = Object.keys(summary.statusClasses)
    .filter((key) => (summary.statusClasses[key] ?? 0) > 0)
    .sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  const counts = keys.map((key) => summary.statusClasses[key] ?? 0);
  return {
    id: "chart-status",
    title: "Status classes",
    note: "Records by the class of their last HTTP status; “none” when no response came.",
    figures: keys.map((key, i) => [key, formatPercent(counts[i] ?? 0, summary.pages)]),
    height: 220,
    config: keys.length === 0 ? null : barChart(keys, counts, keys.map((key) => STATUS_COLORS[key] ?? "#6b7280"), { headroom: true }),
    valueLabels: true,
    details: Object.entries(summary.statuses)
      .filter(([, count]) => count > 0)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([status, count]) => [status === "0" ? "no response" : status, formatCount(count)]),
    empty: "No records: no status to count.",
  };
}

function depths(summary: CrawlSummary): ReportChart {
  const known = Object.keys(summary.depths)
    .map(Number)
    .filter((depth) => Number.isInteger(depth) && depth >= 0);
  const deepest = known.length === 0 ? -1 : Math.max(...known);
  // Every depth from 0 to the deepest gets a bar, so that the axis is a true scale.
  const labels = Array.from({ length: deepest + 1 }, (_, depth) => String(depth));
  const counts = labels.map((depth) => summary.depths[depth] ?? 0);
  return {
    id: "chart-depth",
    title: "Pages per depth",
    note: "Records by the number of links followed from a start URL (0 = a start URL).",
    figures: deepest >= 0 ? [["deepest", String(deepest)]] : [],
    height: 220,
    config: counts.some((count) => count > 0) ? barChart(labels, counts, COLORS.depth, { headroom: true }) : null,
    valueLabels: true,
    empty: "No records: no depth to count.",
  };
}

function responseTimes(summary: CrawlSummary): ReportChart {
  const count = formatCount(summary.responseMs.count);
  return distribution(summary.responseMs, "ms", {
    id: "chart-response",
    title: "Response times",
    note: `From the request to the last byte of the body, over the ${count} records that got a response.`,
    color: COLORS.response,
    empty: "No response came: no time to show.",
  });
}

function bodySizes(summary: CrawlSummary): ReportChart {
  const count = formatCount(summary.bodyBytes.count);
  return distribution(summary.bodyBytes, "bytes", {
    id: "chart-body",
    title: "Body sizes",
    note: `Decoded sizes of the ${count} bodies received; 1 KB = 1024 bytes.`,
    color: COLORS.body,
    empty: "No body came: no size to show.",
  });
}

function distribution(
  histogram: Histogram,
  quantity: Quantity,
  chart: { id: string; title: string; note: string; color: string; empty: string },
): ReportChart {
  const drawn = histogramBars(histogram, quantity);
  const value = (v: number) => formatQuantity(v, quantity);
  return {
    id: chart.id,
    title: chart.title,
    note: chart.note,
    figures:
      histogram.count > 0
        ? [
            ["p50", value(histogram.p50)],
            ["p90", value(histogram.p90)],
            ["p99", value(histogram.p99)],
            ["max", value(histogram.max)],
          ]
        : [],
    height: 240,
    config: drawn.labels.length === 0 ? null : barChart(drawn.labels, drawn.counts, chart.color, { everyLabel: true, headroom: true }),
    markers: drawn.markers,
    twoLineTicks: true,
    empty: chart.empty,
  };
}

function hosts(summary: CrawlSummary): ReportChart {
  const rows = summary.hosts.filter((host) => host.pages > 0);
  const config: ChartConfiguration<"bar"> = {
    type: "bar",
    data: {
      labels: rows.map((host) => host.host),
      datasets: [
        { label: "ok", data: rows.map((host) => host.pages - host.errors), backgroundColor: COLORS.ok },
        { label: "errors", data: rows.map((host) => host.errors), backgroundColor: COLORS.errors },
      ],
    },
    options: chartOptions("", { legend: true, horizontal: true, stacked: true, everyLabel: true, headroom: true }),
  };
  return {
    id: "chart-hosts",
    title: "Hosts by pages",
    note: `Records per host, most first${summary.hosts.length >= 20 ? " (the first 20)" : ""}.`,
    figures: rows.length > 0 ? [["hosts", formatCount(rows.length)]] : [],
    height: Math.max(160, 56 + rows.length * 20),
    config: rows.length === 0 ? null : config,
    tooltipTotal: "pages",
    valueLabels: true,
    empty: "No records: no host to count.",
  };
}

function rank(order: string[], key: string): number {
  const index = order.indexOf(key);
  return index === -1 ? order.length : index;
}
