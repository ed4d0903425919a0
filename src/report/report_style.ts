// The report's stylesheet. System fonts only (nothing to download), a 12-column grid that holds at 1280 px and folds
// to one column on a narrow window, tabular figures so that numbers line up, and print rules that keep each card on
// one page.

/**
 * The CSS of the crawl report, inlined in its `<style>` element.
 *
 * @example
 * ```ts
 * import { REPORT_STYLE } from "./report_style.ts";
 * const head = `<style>${REPORT_STYLE}</style>`;
 * ```
 */
export const REPORT_STYLE = `
:root {
  --ink: #111827; --muted: #4b5563; --faint: #6b7280; --line: #e5e7eb; --paper: #ffffff; --page: #f5f6f8;
  --accent: #2563eb; --good: #15803d; --warn: #b45309; --bad: #b91c1c;
  --radius: 10px; --gap: 16px;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
main { max-width: 1200px; margin: 0 auto; padding: 28px 24px 40px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 24px; line-height: 1.25; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 15px; margin: 0; font-weight: 650; }
.header { margin-bottom: 20px; }
.header p { margin: 4px 0 0; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: var(--gap); margin-bottom: var(--gap); }
.span-12 { grid-column: span 12; } .span-7 { grid-column: span 7; } .span-6 { grid-column: span 6; }
.span-5 { grid-column: span 5; }
.card {
  background: var(--paper); border: 1px solid var(--line); border-radius: var(--radius); padding: 16px 18px;
  min-width: 0;
}
.note { margin: 2px 0 10px; color: var(--faint); font-size: 12.5px; }
.figures { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr); background: var(--paper);
  border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; margin-bottom: var(--gap); }
/* Each figure draws the rules on its right and below; those on the band's edges fall outside it and are cut off. */
.figure { padding: 12px 14px; min-width: 0; box-shadow: 1px 0 0 var(--line), 0 1px 0 var(--line); }
.figure .label { color: var(--faint); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
/* A figure's text wraps rather than being cut: the band grows a line where a cell is narrow. */
.figure .value { font-size: 20px; font-weight: 650; line-height: 1.3; overflow-wrap: anywhere; }
.figure .sub { color: var(--muted); font-size: 12px; line-height: 1.35; overflow-wrap: anywhere; }
.figures.minor .value { font-size: 16px; }
.value.bad { color: var(--bad); } .value.good { color: var(--good); }
.value.warn { color: var(--warn); } .value.accent { color: var(--accent); }
.chips { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: var(--muted); margin-bottom: 10px; }
.chips b { color: var(--ink); font-weight: 600; }
.chips.details { margin: 10px 0 0; padding-top: 10px; border-top: 1px solid var(--line); }
.chart-box { position: relative; width: 100%; }
.no-data {
  display: flex; align-items: center; justify-content: center; text-align: center; color: var(--faint);
  border: 1px dashed var(--line); border-radius: 8px; background: #fafafa; font-size: 13px; padding: 12px;
}
table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
table.fixed { table-layout: fixed; }
th { text-align: left; white-space: nowrap; color: var(--faint); font-weight: 600; font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.04em; border-bottom: 1px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid #f0f1f3; padding: 5px 8px; vertical-align: top; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.url { overflow-wrap: anywhere; }
td.message { color: var(--muted); overflow-wrap: anywhere; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px;
  background: #f3f4f6; border-radius: 4px; padding: 1px 5px; white-space: nowrap; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; padding: 8px 8px 0; }
details[open] summary { padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.empty-table { color: var(--faint); margin: 4px 0 0; }
footer { color: var(--faint); font-size: 12px; text-align: center; margin-top: 24px; }
@media (max-width: 900px) {
  .span-7, .span-6, .span-5 { grid-column: span 12; }
  .figures { grid-auto-flow: row; grid-template-columns: repeat(3, minmax(0, 1fr)); }
}
@media print {
  body { background: #fff; font-size: 12px; }
  main { max-width: none; padding: 0; }
  .card, .figures { break-inside: avoid; }
  .card { border-color: #d1d5db; }
  a { color: inherit; }
  details summary { display: none; }
}
`;
