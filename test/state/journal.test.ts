import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/errors.ts";
import { CrawlJournal, journalPath } from "../../src/state/journal.ts";

function withDir(body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "rxcrawl-journal-"));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const HEADER = "url,status,title,error\n";

test(
  "CrawlJournal writes each admitted URL and redirect target on flush, and starts afresh without resume",
  withDir(async (dir) => {
    const out = join(dir, "pages.csv");
    writeFileSync(journalPath(out), "0\thttp://old.example/\n");
    const journal = await CrawlJournal.open(out);
    assert.equal(journal.resumed, false);
    assert.equal(journal.state.admitted, 0);
    journal.admitted({ url: "http://a.example/", depth: 0 });
    journal.redirected("http://a.example/home");
    assert.equal(readFileSync(journal.path, "utf8"), "");
    journal.flush();
    assert.equal(readFileSync(journal.path, "utf8"), "0\thttp://a.example/\nr\thttp://a.example/home\n");
    journal.admitted({ url: "http://a.example/b", depth: 1 });
    journal.close();
    journal.close();
    assert.equal(readFileSync(journal.path, "utf8"), "0\thttp://a.example/\nr\thttp://a.example/home\n1\thttp://a.example/b\n");
  }),
);

test(
  "CrawlJournal on resume re-queues the admitted URLs without a complete row and cuts a torn CSV row off",
  withDir(async (dir) => {
    const out = join(dir, "pages.csv");
    writeFileSync(
      out,
      HEADER +
        'http://a.example/,200,"Home, ""quoted""",\n' +
        'http://a.example/b,200,"two\nlines",\n' +
        'http://a.example/c,200,"torn in the mi',
    );
    writeFileSync(
      journalPath(out),
      "0\thttp://a.example/\n1\thttp://a.example/b\n1\thttp://a.example/c\nr\thttp://a.example/moved\n2\thttp://a.example/d\n2\thttp://a.exam",
    );
    const journal = await CrawlJournal.open(out, { resume: true });
    try {
      assert.equal(journal.resumed, true);
      assert.equal(journal.state.rows, 2);
      assert.equal(journal.state.admitted, 4);
      assert.deepEqual(journal.state.pending, [
        { url: "http://a.example/c", depth: 1 },
        { url: "http://a.example/d", depth: 2 },
      ]);
      for (const url of ["http://a.example/", "http://a.example/c", "http://a.example/moved"]) {
        assert.equal(journal.state.seen.has(url), true, url);
      }
      assert.equal(journal.state.seen.has("http://a.exam"), false);
      assert.equal(
        readFileSync(out, "utf8"),
        HEADER + 'http://a.example/,200,"Home, ""quoted""",\nhttp://a.example/b,200,"two\nlines",\n',
      );
      assert.equal(readFileSync(journal.path, "utf8").endsWith("2\thttp://a.example/d\n"), true);
    } finally {
      journal.close();
    }
  }),
);

test(
  "CrawlJournal on resume cuts a CSV row torn after a newline inside its quotes",
  withDir(async (dir) => {
    const out = join(dir, "pages.csv");
    writeFileSync(out, HEADER + "http://a.example/,200,ok,\n" + 'http://a.example/b,200,"first line\nsecond');
    writeFileSync(journalPath(out), "0\thttp://a.example/\n1\thttp://a.example/b\n");
    const journal = await CrawlJournal.open(out, { resume: true });
    journal.close();
    assert.equal(readFileSync(out, "utf8"), HEADER + "http://a.example/,200,ok,\n");
    assert.deepEqual(journal.state.pending, [{ url: "http://a.example/b", depth: 1 }]);
  }),
);

test(
  "CrawlJournal on resume reads JSONL output and cuts a torn last line",
  withDir(async (dir) => {
    const out = join(dir, "pages.jsonl");
    const row = (url: string) => `${JSON.stringify({ url, title: "标题" })}\n`;
    writeFileSync(out, row("http://a.example/") + row("http://a.example/b") + '{"url":"http://a.example/c","ti');
    writeFileSync(journalPath(out), "0\thttp://a.example/\n1\thttp://a.example/b\n1\thttp://a.example/c\n");
    const journal = await CrawlJournal.open(out, { resume: true });
    journal.close();
    assert.equal(readFileSync(out, "utf8"), row("http://a.example/") + row("http://a.example/b"));
    assert.equal(journal.state.rows, 2);
    assert.deepEqual(journal.state.pending, [{ url: "http://a.example/c", depth: 1 }]);
  }),
);

test(
  "CrawlJournal resumes a crawl that wrote no row yet, and starts afresh when nothing was left",
  withDir(async (dir) => {
    const out = join(dir, "pages.csv");
    writeFileSync(journalPath(out), "0\thttp://a.example/\n");
    const first = await CrawlJournal.open(out, { resume: true });
    first.close();
    assert.equal(first.resumed, false);
    assert.deepEqual(first.state.pending, [{ url: "http://a.example/", depth: 0 }]);

    const fresh = await CrawlJournal.open(join(dir, "none.csv"), { resume: true });
    fresh.close();
    assert.equal(fresh.resumed, false);
    assert.equal(fresh.state.admitted, 0);
  }),
);

test(
  "CrawlJournal refuses to resume an output whose journal is missing",
  withDir(async (dir) => {
    const out = join(dir, "pages.csv");
    writeFileSync(out, HEADER);
    await assert.rejects(
      CrawlJournal.open(out, { resume: true }),
      new UsageError(
        `Cannot resume ${out}: its journal ${out}.journal is missing, as it is once a crawl ends with nothing left to fetch (run without --resume to start over)`,
      ),
    );
  }),
);
