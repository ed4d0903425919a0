import type { ChartConfiguration } from "chart.js";

// The look all the report's charts share, as plain Chart.js options (JSON, so that they can travel in the page):
// no animation (a report is read, and printed: it must be complete at once), untitled axes unless one needs saying,
// counts from zero, light horizontal rules.

/** How a chart differs from the plain one. */
export interface ChartLook {
  /** Show the legend (charts of more than one dataset). @default false */
  legend?: boolean;
  /** Bars along the y axis, for long labels such as host names. @default false */
  horizontal?: boolean;
  /** Datasets stacked on each other. @default false */
  stacked?: boolean;
  /** Values below one are meaningful (rates), so ticks are not rounded to whole numbers. @default false */
  fractions?: boolean;
  /** Label every category, never skipping some to make room, in a smaller type. @default false */
  everyLabel?: boolean;
  /** Room beyond the longest bar, for the numbers and percentile labels drawn there. @default false */
  headroom?: boolean;
}

const GRID = "#e5e7eb";

/**
 * The options of one of the report's charts, with the category axis titled `categoryTitle` (no title when empty).
 *
 * @example
 * ```ts
 * import { chartOptions } from "./chart_config.ts";
 * const options = chartOptions("time since the start (m:ss)", { legend: true, stacked: true });
 * options.indexAxis; // "x": bars stand up; `horizontal: true` lays them along the y axis
 * ```
 */
export function chartOptions(categoryTitle: string, look: ChartLook = {}) {
  const { legend = false, horizontal = false, stacked = false, fractions = false, everyLabel = false, headroom = false } = look;
  const category = {
    stacked,
    grid: { display: false },
    ticks: { autoSkip: !everyLabel, maxRotation: everyLabel ? 90 : 0, autoSkipPadding: 12, ...(everyLabel ? { font: { size: 11 } } : {}) },
    title: { display: categoryTitle !== "", text: categoryTitle },
  };
  const value = {
    stacked,
    beginAtZero: true,
    ...(headroom ? { grace: "15%" } : {}),
    grid: { color: GRID },
    // Counts get whole ticks; rates may be below one.
    ticks: fractions ? {} : { precision: 0 },
  };
  return {
    animation: false as const,
    maintainAspectRatio: false,
    indexAxis: horizontal ? ("y" as const) : ("x" as const),
    interaction: { mode: "index" as const, intersect: false },
    plugins: {
      legend: { display: legend, position: "top" as const, align: "end" as const, labels: { boxWidth: 12, boxHeight: 12 } },
    },
    scales: horizontal ? { x: value, y: category } : { x: category, y: value },
  };
}

/**
 * A bar chart of one dataset, pages per category; the card around it says what the bars count.
 *
 * @example
 * ```ts
 * import { barChart } from "./chart_config.ts";
 * const config = barChart(["2xx", "4xx"], [4506, 142], ["#16a34a", "#d97706"], { headroom: true });
 * ```
 */
export function barChart(labels: string[], counts: number[], color: string | string[], look: ChartLook = {}): ChartConfiguration<"bar"> {
  return {
    type: "bar",
    data: { labels, datasets: [{ label: "pages", data: counts, backgroundColor: color }] },
    options: chartOptions("", look),
  };
}
