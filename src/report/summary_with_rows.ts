import { isPageType } from "../fetch/content_type.ts";
import type { CrawlSummary } from "../stats/crawl_summary.ts";
import { hostOf, normalizeUrl } from "../url.ts";

/** As many failing URLs and hosts as a summary keeps. */
const FAILING = 100;
const HOSTS = 20;

/**
 * A crawl's summary in which the counts an output can tell come from the output's rows: pages, ok, files and errors,
 * statuses, depths, hosts and failing URLs. After `--resume` an output holds the rows of every run, while a stats file
 * tells of the last run only; times, bytes, requests, response times and why the crawl ended stay the stats file's.
 * Rows need a `url`; `status`, `depth`, `content_type` and `error` are read when the output has them.
 *
 * @example
 * ```ts
 * import { summaryWithRows } from "./summary_with_rows.ts";
 * import { readRows } from "../sinks/read_rows.ts";
 * const summary = await summaryWithRows(stats, readRows("data/out/site.csv"));
 * ```
 */
export async function summaryWithRows(summary: CrawlSummary, rows: AsyncIterable<Record<string, unknown>>): Promise<CrawlSummary> {
  const statuses = new Map<string, number>();
  const depths = new Map<string, number>();
  const hosts = new Map<string, { pages: number; errors: number }>();
  const failing: CrawlSummary["failing"] = [];
  const codes = new Map(summary.failing.map((entry) => [entry.url, entry.code]));
  let pages = 0;
  let errors = 0;
  let files = 0;
  let withDepth = false;
  let withType = false;
  for await (const row of rows) {
    const url = String(row.url ?? "");
    const status = Number(row.status ?? 0) || 0;
    const error = row.error === null || row.error === undefined ? "" : String(row.error);
    pages++;
    add(statuses, String(status));
    if (row.depth !== undefined && row.depth !== null && row.depth !== "") {
      withDepth = true;
      add(depths, String(Number(row.depth)));
    }
    const host = normalizeUrl(url) === undefined ? "" : hostOf(normalizeUrl(url)!);
    const counted = hosts.get(host) ?? { pages: 0, errors: 0 };
    hosts.set(host, counted);
    counted.pages++;
    if (row.content_type !== undefined) {
      withType = true;
      const type = row.content_type === null ? "" : String(row.content_type);
      if (error === "" && status > 0 && !isPageType(type)) files++;
    }
    if (error !== "") {
      errors++;
      counted.errors++;
      if (failing.length < FAILING) failing.push({ url, status, code: codes.get(url) ?? "", error });
    }
  }
  const statusClasses: Record<string, number> = {};
  for (const [status, count] of sorted(statuses)) {
    const name = status === "0" ? "none" : `${status[0]}xx`;
    statusClasses[name] = (statusClasses[name] ?? 0) + count;
  }
  return {
    ...summary,
    pages,
    ok: pages - errors,
    ...(withType ? { files } : summary.files === undefined ? {} : { files: Math.min(summary.files, pages - errors) }),
    errors,
    statusClasses,
    statuses: Object.fromEntries(sorted(statuses)),
    depths: withDepth ? Object.fromEntries(sorted(depths)) : summary.depths,
    failing,
    hosts: [...hosts]
      .sort(([a, x], [b, y]) => y.pages - x.pages || (a < b ? -1 : 1))
      .slice(0, HOSTS)
      .map(([host, counts]) => ({ host, ...counts })),
  };
}

function add(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Entries by their key as a number. */
function sorted(map: Map<string, number>): [string, number][] {
  return [...map].sort(([a], [b]) => Number(a) - Number(b));
}
