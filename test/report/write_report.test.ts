import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/errors.ts";
import type { CrawlSummary } from "../../src/stats/crawl_summary.ts";
import { renderReport } from "../../src/report/render_report.ts";
import { writeReport } from "../../src/report/write_report.ts";

const SUMMARY = JSON.parse(readFileSync(new URL("../fixtures/crawl_summary.json", import.meta.url), "utf8")) as CrawlSummary;

/** Runs `body` with a fresh temporary folder, removed afterwards whatever happens. */
async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-report-"));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("writeReport() writes the rendered page, creating its folders", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "a", "b", "report.html");
    await writeReport(path, SUMMARY, { title: "Nightly" });
    assert.equal(readFileSync(path, "utf8"), renderReport(SUMMARY, { title: "Nightly" }));
  });
});

test('writeReport() fails with a UsageError "Cannot write <path>: <reason>" for a path under a regular file', async () => {
  await withTmp(async (dir) => {
    writeFileSync(join(dir, "file"), "");
    const path = join(dir, "file", "report.html");
    await assert.rejects(writeReport(path, SUMMARY), (error: unknown) => {
      assert.ok(error instanceof UsageError, "a UsageError");
      assert.match(error.message, new RegExp(`^Cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: E(EXIST|NOTDIR)`));
      return true;
    });
  });
});

test('writeReport() fails with "Cannot write <path>: EISDIR" for a folder, and leaves nothing for a bad summary', async () => {
  await withTmp(async (dir) => {
    await assert.rejects(writeReport(dir, SUMMARY), { name: "UsageError", message: new RegExp(`^Cannot write .*: EISDIR`) });
    const path = join(dir, "never.html");
    await assert.rejects(writeReport(path, { ...SUMMARY, format: 2 } as unknown as CrawlSummary), UsageError);
    assert.equal(existsSync(path), false);
  });
});
