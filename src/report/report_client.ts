// The script the report runs in the browser, after Chart.js. It is kept as text (not a function turned into text):
// tsx and esbuild may rewrite a function's body, and this must run in the browser exactly as written. It draws the
// charts described by the page's JSON, with two small Chart.js plugins (percentile lines on the histograms, counts at
// the ends of bars). It only reads the page: no network, no storage, no console.

/**
 * The report's own script: reads `#report-data`, styles Chart.js like the page, draws each chart on its canvas.
 *
 * @example
 * ```ts
 * import { REPORT_CLIENT } from "./report_client.ts";
 * const html = `<script>${REPORT_CLIENT}</script>`;
 * ```
 */
export const REPORT_CLIENT = String.raw`"use strict";
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const style = getComputedStyle(document.body);
  Chart.defaults.font.family = style.fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = style.getPropertyValue("--muted").trim() || "#4b5563";
  Chart.defaults.borderColor = style.getPropertyValue("--line").trim() || "#e5e7eb";

  // Dashed lines across a histogram at p50, p90 and p99. A marker's position is on the bars' axis (bar i spans
  // i - 0.5 to i + 0.5); labels of markers that fall close together are stacked rather than drawn over each other.
  const percentiles = (markers) => ({
    id: "percentiles",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: area, scales } = chart;
      const x = scales.x;
      ctx.save();
      ctx.font = "600 11px " + Chart.defaults.font.family;
      ctx.textBaseline = "top";
      let previous = -Infinity;
      let row = 0;
      for (const marker of markers) {
        const px = x.getPixelForValue(marker.position);
        if (!Number.isFinite(px)) continue;
        row = px - previous < 48 ? row + 1 : 0;
        previous = px;
        ctx.strokeStyle = "rgba(17, 24, 39, 0.55)";
        ctx.setLineDash([4, 3]);
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        const right = px + 48 > area.right;
        const tx = px + (right ? -4 : 4);
        const ty = area.top + 2 + row * 13;
        const width = ctx.measureText(marker.label).width;
        ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
        ctx.fillRect(right ? tx - width - 2 : tx - 2, ty - 1, width + 4, 13);
        ctx.textAlign = right ? "right" : "left";
        ctx.fillStyle = "#111827";
        ctx.fillText(marker.label, tx, ty);
      }
      ctx.restore();
    },
  });

  // Each bar's count at its end (the total of a stack), skipped where the number does not fit across the bar.
  const values = {
    id: "values",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const horizontal = chart.options.indexAxis === "y";
      const metas = chart.data.datasets.map((_, i) => chart.getDatasetMeta(i));
      ctx.save();
      ctx.font = "11px " + Chart.defaults.font.family;
      ctx.fillStyle = Chart.defaults.color;
      ctx.textAlign = horizontal ? "left" : "center";
      ctx.textBaseline = horizontal ? "middle" : "bottom";
      const zero = chart.scales[horizontal ? "x" : "y"].getPixelForValue(0);
      metas[0].data.forEach((bar, i) => {
        const sum = chart.data.datasets.reduce((acc, dataset) => acc + (Number(dataset.data[i]) || 0), 0);
        const text = sum.toLocaleString("en-US");
        // An empty bar has no element position (see visibleBars): its number goes at the axis.
        const ends = metas.map((meta) => (horizontal ? meta.data[i].x : meta.data[i].y)).filter(Number.isFinite);
        if (ends.length === 0) ends.push(zero);
        if (horizontal) {
          ctx.fillText(text, Math.max(...ends) + 4, bar.y);
        } else if (ctx.measureText(text).width <= bar.width + 4) {
          ctx.fillText(text, bar.x, Math.min(...ends) - 3);
        }
      });
      ctx.restore();
    },
  };

  // "50–100 ms" as "50–100" over "ms": narrow enough for every bar of most histograms to keep its label.
  function twoLines(value) {
    const label = String(this.getLabelForValue(value));
    const cut = label.lastIndexOf(" ");
    return cut === -1 ? label : [label.slice(0, cut), label.slice(cut + 1)];
  }

  // Whether a histogram's labels fit across its bars on two lines. Where they would not, they stay on one line and
  // Chart.js turns them aslant, as far as they need to clear each other (every axis of the report may turn its labels:
  // none is ever drawn over another). The width of the value axis is a guess; a wrong one only turns labels a little.
  function fitsOnTwoLines(canvas, labels) {
    const context = canvas.getContext("2d");
    context.font = "11px " + Chart.defaults.font.family;
    const widest = Math.max(...labels.map((label) => context.measureText(String(label).split(" ")[0]).width));
    return widest + 10 <= (canvas.parentElement.clientWidth - 48) / labels.length;
  }

  // The footer of a stacked chart's tooltip: what the stack adds up to ("pages/s: 12.5").
  const total = (label) => (items) => {
    const sum = items.reduce((acc, item) => acc + (Number(item.raw) || 0), 0);
    return label + ": " + Math.round(sum * 100) / 100;
  };

  // A bar is at least 4 px long, so that one record among thousands still shows. Chart.js would give an empty bar that
  // length too, so an empty one becomes no bar at all (null), which it skips.
  function visibleBars(config) {
    for (const dataset of config.data.datasets) {
      dataset.minBarLength = 4;
      dataset.data = dataset.data.map((value) => (value === 0 ? null : value));
    }
  }

  for (const spec of data.charts) {
    const canvas = document.getElementById(spec.id);
    if (canvas === null || spec.config === null) continue;
    const config = spec.config;
    visibleBars(config);
    config.plugins = spec.markers ? [percentiles(spec.markers)] : [];
    if (spec.valueLabels) config.plugins.push(values);
    if (spec.twoLineTicks && fitsOnTwoLines(canvas, config.data.labels)) config.options.scales.x.ticks.callback = twoLines;
    if (spec.tooltipTotal) config.options.plugins.tooltip = { callbacks: { footer: total(spec.tooltipTotal) } };
    new Chart(canvas, config);
  }

  // On paper nothing can be clicked open, and the page is narrower than the screen: print every folded row, redraw
  // the charts at the printed size, and put both back afterwards.
  let folded = [];
  addEventListener("beforeprint", () => {
    folded = [...document.querySelectorAll("details:not([open])")];
    for (const details of folded) details.open = true;
    for (const chart of Object.values(Chart.instances)) chart.resize();
  });
  addEventListener("afterprint", () => {
    for (const details of folded) details.open = false;
    for (const chart of Object.values(Chart.instances)) chart.resize();
  });
})();
`;
