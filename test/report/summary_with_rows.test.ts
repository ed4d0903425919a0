import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { summaryWithRows } from "../../src/report/summary_with_rows.ts";
import type { CrawlSummary } from "../../src/stats/crawl_summary.ts";

const SUMMARY = JSON.parse(readFileSync(new URL("../fixtures/crawl_summary.json", import.meta.url), "utf8")) as CrawlSummary;

async function* rows(...list: Record<string, unknown>[]): AsyncIterable<Record<string, unknown>> {
  yield* list;
}

test("summaryWithRows() counts URLs, files and errors from the rows, files by a content_type that is not HTML or XML", async () => {
  const summary = await summaryWithRows(
    SUMMARY,
    rows(
      { url: "https://docs.example/", status: 200, content_type: "text/html; charset=utf-8", error: null },
      { url: "https://docs.example/feed", status: 200, content_type: "application/rss+xml", error: null },
      { url: "https://docs.example/example.py", status: 200, content_type: "text/x-python", error: null },
      { url: "https://docs.example/docs.zip", status: 200, content_type: "application/zip", error: "" },
      { url: "https://docs.example/gone.pdf", status: 404, content_type: "application/pdf", error: "HTTP 404 Not Found" },
      { url: "https://docs.example/down", status: 0, content_type: null, error: "ECONNREFUSED" },
    ),
  );
  assert.deepEqual([summary.pages, summary.ok, summary.files, summary.errors], [6, 4, 2, 2]);
});

test("summaryWithRows() keeps the stats file's files when the rows have no content_type, at most the rows' ok", async () => {
  const withFiles = { ...SUMMARY, files: 3 };
  const books = rows({ url: "https://book.example/1", status: 200, error: "" }, { url: "https://book.example/2", status: 200, error: "" });
  assert.equal((await summaryWithRows(withFiles, books)).files, 2);
  const old = await summaryWithRows(SUMMARY, rows({ url: "https://book.example/1", status: 200, error: "" }));
  assert.equal(old.files, undefined, "a stats file written before files were counted has none");
});
