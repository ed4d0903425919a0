import { type CrawlSummary, FINISH_REASONS, type FinishReason } from "../stats/crawl_summary.ts";
import { formatBytes, formatCount, formatDecimal, formatDuration, formatPercent, formatTime } from "../stats/format.ts";
import { escapeHtml } from "./html.ts";

/** One headline figure: a label, the value, and a line that puts the value in context. */
interface Figure {
  label: string;
  value: string;
  sub: string;
  tone?: Tone;
}

type Tone = "good" | "bad" | "warn" | "accent";

/** The colour of each finish reason: green for a crawl that ran out of URLs, red for one that failed. */
const FINISH_TONE: Record<FinishReason, Tone> = { done: "good", "max-pages": "accent", stopped: "warn", failed: "bad" };

/**
 * The headline figures of a crawl, as two bands of HTML: the outcome (URLs attempted, the pages and the files among
 * them, the rows read from a browser's DOM when the crawl rendered pages, errors, rate, time, finish) in large type,
 * then the traffic and resources (requests, retries, redirects, robots refusals, bytes, memory, the browser's).
 *
 * @example
 * ```ts
 * import { reportFigures } from "./report_figures.ts";
 * import type { CrawlSummary } from "../stats/crawl_summary.ts";
 * declare const summary: CrawlSummary;
 * const html = `<section>${reportFigures(summary)}</section>`;
 * ```
 */
export function reportFigures(summary: CrawlSummary): string {
  const s = summary;
  const files = s.files ?? 0;
  const outcome: Figure[] = [
    { label: "URLs", value: formatCount(s.pages), sub: "one record each" },
    { label: "Pages", value: formatCount(s.ok - files), sub: `${formatPercent(s.ok - files, s.pages)} of URLs, read`, tone: "good" },
    { label: "Files", value: formatCount(files), sub: "not HTML or XML, not downloaded" },
    {
      label: "Errors",
      value: formatCount(s.errors),
      sub: `${formatPercent(s.errors, s.pages)} of URLs`,
      ...(s.errors > 0 ? { tone: "bad" as const } : {}),
    },
    { label: "URLs/s", value: formatDecimal(s.pagesPerSecond), sub: "over the whole crawl" },
    { label: "Elapsed", value: formatDuration(s.elapsedSeconds), sub: `${formatDecimal(s.elapsedSeconds)} s wall time` },
    { label: "Finish", value: s.finish, sub: FINISH_REASONS[s.finish] ?? "", tone: FINISH_TONE[s.finish] ?? "warn" },
  ];
  const perPage = (n: number) => (s.pages > 0 ? `${formatDecimal(n / s.pages)} per URL` : "");
  const traffic: Figure[] = [
    { label: "Requests", value: formatCount(s.requests), sub: perPage(s.requests) },
    { label: "Retries", value: formatCount(s.retries), sub: `${formatPercent(s.retries, s.requests)} of requests` },
    { label: "Redirects", value: formatCount(s.redirects), sub: `${formatPercent(s.redirects, s.requests)} of requests` },
    { label: "Robots refusals", value: formatCount(s.robotsRefusals), sub: "no request made" },
    { label: "On the wire", value: formatBytes(s.bytes.wire), sub: "read, headers included" },
    {
      label: "Decoded",
      value: formatBytes(s.bytes.decoded),
      sub: s.bytes.wire > 0 ? `×${formatDecimal(s.bytes.decoded / s.bytes.wire)} the wire size` : "body bytes",
    },
    { label: "Peak memory", value: formatBytes(s.peakRssBytes), sub: "resident set size" },
  ];
  const render = s.render;
  if (render !== undefined) {
    const compared = render.mode === "auto" ? `, ${formatCount(render.compared)} both ways` : "";
    outcome.splice(3, 0, {
      label: "Rendered",
      value: formatCount(render.rows),
      sub: `rows from the browser's DOM; ${formatCount(render.pages)} renders${compared}, ${formatCount(render.failed)} failed`,
    });
    traffic.push({ label: "Browser peak", value: formatBytes(render.browser.peakBytes), sub: "all its processes, shared pages once" });
  }
  return `${band(outcome, "")}\n${band(traffic, " minor")}`;
}

function band(figures: Figure[], variant: string): string {
  const cells = figures.map(
    (figure) =>
      `<div class="figure"><div class="label">${escapeHtml(figure.label)}</div>` +
      `<div class="value${figure.tone ? ` ${figure.tone}` : ""}">${escapeHtml(figure.value)}</div>` +
      `<div class="sub">${escapeHtml(figure.sub)}</div></div>`,
  );
  return `<div class="figures${variant}">\n${cells.join("\n")}\n</div>`;
}

/**
 * The line under the report's title: when the crawl ran, from start to end, in UTC.
 *
 * @example
 * ```ts
 * import { crawlPeriod } from "./report_figures.ts";
 * crawlPeriod({ startedAt: "2026-11-25T21:00:03Z", finishedAt: "2026-11-25T21:06:56Z", elapsedSeconds: 412.6 });
 * // "2026-11-25 21:00:03 UTC → 2026-11-25 21:06:56 UTC (6 min 53 s)"
 * ```
 */
export function crawlPeriod(summary: Pick<CrawlSummary, "startedAt" | "finishedAt" | "elapsedSeconds">): string {
  return `${formatTime(summary.startedAt)} → ${formatTime(summary.finishedAt)} (${formatDuration(summary.elapsedSeconds)})`;
}
