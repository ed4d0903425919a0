import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concatWith, lastValueFrom, map, throwError } from "rxjs";
import { openCrawlJob } from "../../src/cli/crawl_job.ts";
import { crawl } from "../../src/crawl.ts";
import { pageColumns, pageRow } from "../../src/sinks/page_row.ts";
import { html, startServer } from "../helpers/server.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-crawl-job-"));
after(() => rm(TMP, { recursive: true, force: true }));

const SITE = {
  "/": html('<title>home</title><a href="/a">a</a> <a href="/b">b</a>'),
  "/a": html("<title>a</title>"),
  "/b": html("<title>b</title>"),
};

test("a crawl job removes the journal of a crawl that ended with nothing left to fetch, once every row is written", async () => {
  const server = await startServer(SITE);
  try {
    const out = join(TMP, "whole.csv");
    const job = await openCrawlJob({ out: [out] }, { start: [server.url("/")], columns: pageColumns() });
    try {
      await lastValueFrom(crawl(job.options).pipe(map((page) => pageRow(page)), job.write()));
      assert.ok(existsSync(`${out}.journal`), "there while the job runs");
    } finally {
      await job.close();
    }
    assert.equal(existsSync(`${out}.journal`), false);
    assert.ok(existsSync(out));
  } finally {
    await server.close();
  }
});

test("a crawl job keeps the journal when its rows could not all be written, though the crawl itself ended", async () => {
  const server = await startServer(SITE);
  try {
    const out = join(TMP, "failed.csv");
    const job = await openCrawlJob({ out: [out] }, { start: [server.url("/")], columns: pageColumns() });
    try {
      const rows = crawl(job.options).pipe(
        map((page) => pageRow(page)),
        concatWith(throwError(() => new Error("No space left on device"))),
        job.write(),
      );
      await assert.rejects(lastValueFrom(rows), /No space left on device/);
    } finally {
      await job.close();
    }
    assert.ok(existsSync(`${out}.journal`), "kept, for --resume");
  } finally {
    await server.close();
  }
});
