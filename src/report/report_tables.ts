import type { CrawlErrorCode } from "../errors.ts";
import type { CrawlSummary } from "../stats/crawl_summary.ts";
import { formatCount, formatMs, formatPercent } from "../stats/format.ts";
import { escapeHtml, urlLink } from "./html.ts";

/** What each error code means for the person reading the report; a new code fails to compile until it is here. */
const CODE_MEANING: Record<CrawlErrorCode, string> = {
  ENETWORK: "connection failed or was reset",
  ETIMEOUT: "no complete answer within the timeout",
  EHTTP: "the server answered with an error status",
  EBLOCKED: "turned away (429, a challenge page) on every try",
  ETOOBIG: "body over the size limit",
  EREDIRECT: "too many redirects, a loop, or no usable Location",
  ESCOPE: "redirected out of the crawl's scope",
  EDUPLICATE: "redirected to a URL already seen",
  EROBOTS: "disallowed by robots.txt, not requested",
  EPARSE: "the page could not be parsed, or an extractor threw",
  ESTOPPED: "the crawl stopped before it finished",
  ERENDER: "the browser crashed or failed on the page",
  ERENDERTIMEOUT: "the rendered page did not settle within the timeout",
};

/**
 * A table's column: its header, its kind (numbers are right-aligned, URLs and messages may wrap anywhere), how to
 * write a row's cell as HTML, and optionally its CSS width, which fixes the table's layout (two tables with the same
 * widths line up).
 */
type Column<T> = [
  header: string,
  kind: "" | "num" | "url" | "message",
  cell: (row: T, index: number) => string,
  width?: string,
];

function table<T>(rows: T[], columns: Column<T>[], empty: string, { head = true, from = 0 } = {}): string {
  if (rows.length === 0) return `<p class="empty-table">${escapeHtml(empty)}</p>`;
  const kind = (name: string) => (name === "" ? "" : ` class="${name}"`);
  const fixed = columns.some(([, , , width]) => width !== undefined);
  const cols = fixed ? `<colgroup>${columns.map(([, , , width]) => (width ? `<col style="width:${width}">` : "<col>")).join("")}</colgroup>\n` : "";
  const header = head ? `<thead><tr>${columns.map(([title, name]) => `<th${kind(name)}>${escapeHtml(title)}</th>`).join("")}</tr></thead>\n` : "";
  const body = rows.map(
    (row, index) => `<tr>${columns.map(([, name, cell]) => `<td${kind(name)}>${cell(row, from + index)}</td>`).join("")}</tr>`,
  );
  return `<table${fixed ? ' class="fixed"' : ""}>\n${cols}${header}<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
}

/** An HTTP status as the tables write it: "—" when no response came. */
function status(code: number): string {
  return code > 0 ? escapeHtml(String(code)) : "—";
}

/** Entries of a count record, largest first, then by key. */
function ranked(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
}

/**
 * Errors by code, largest first, with the share of all errors and what the code means.
 *
 * @example
 * ```ts
 * import { errorCodesTable } from "./report_tables.ts";
 * errorCodesTable({ errors: 4, errorCodes: { EHTTP: 3, ETIMEOUT: 1 } }); // "<table>…EHTTP…3…75%…"
 * ```
 */
export function errorCodesTable(summary: Pick<CrawlSummary, "errors" | "errorCodes">): string {
  return table(
    ranked(summary.errorCodes),
    [
      ["Code", "", ([code]) => `<code>${escapeHtml(code)}</code>`],
      ["Meaning", "", ([code]) => escapeHtml((CODE_MEANING as Record<string, string>)[code] ?? "")],
      ["Records", "num", ([, count]) => formatCount(count)],
      ["Share", "num", ([, count]) => formatPercent(count, summary.errors)],
    ],
    "No errors.",
  );
}

/**
 * The slowest responses, slowest first, each URL a link.
 *
 * @example
 * ```ts
 * import { slowestTable } from "./report_tables.ts";
 * slowestTable({ slowest: [{ url: "https://example.com/big", ms: 4200, status: 200 }] }); // "<table>…4.2 s…"
 * ```
 */
export function slowestTable(summary: Pick<CrawlSummary, "slowest">): string {
  return table(
    summary.slowest,
    [
      ["#", "num", (_, index) => String(index + 1)],
      ["URL", "url", (row) => urlLink(row.url)],
      ["Status", "num", (row) => status(row.status)],
      ["Time", "num", (row) => escapeHtml(formatMs(row.ms))],
    ],
    "No response came.",
  );
}

const FAILING_COLUMNS: Column<CrawlSummary["failing"][number]>[] = [
  ["URL", "url", (row) => urlLink(row.url), "40%"],
  ["Code", "", (row) => `<code>${escapeHtml(row.code)}</code>`, "112px"],
  ["Status", "num", (row) => status(row.status), "72px"],
  ["Message", "message", (row) => escapeHtml(withoutUrl(row.error, row.url))],
];

/**
 * The failing URLs in the order they finished: code, status and the error's message. The first `visible` rows are
 * shown; the others wait behind a "Show" (opened for printing by the report's script).
 *
 * @example
 * ```ts
 * import { failingTable } from "./report_tables.ts";
 * failingTable({ failing: [{ url: "https://example.com/x", status: 404, code: "EHTTP", error: "HTTP 404" }] });
 * ```
 */
export function failingTable(summary: Pick<CrawlSummary, "failing">, visible = 10): string {
  const rows = summary.failing;
  const first = table(rows.slice(0, visible), FAILING_COLUMNS, "No URL failed.");
  if (rows.length <= visible) return first;
  const rest = table(rows.slice(visible), FAILING_COLUMNS, "", { head: false, from: visible });
  return `${first}\n<details>\n<summary>Show the other ${formatCount(rows.length - visible)}</summary>\n${rest}\n</details>`;
}

/** A CrawlError's message ends with its URL in parentheses: the table shows the URL in its own column already. */
function withoutUrl(message: string, url: string): string {
  const suffix = ` (${url})`;
  return message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
}
