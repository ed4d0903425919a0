import { test } from "node:test";
import assert from "node:assert/strict";
import type { PageRecord } from "../../src/records.ts";
import { nullForEmpty, pageColumns, pageRow } from "../../src/sinks/page_row.ts";
import { pageRecord } from "../helpers/page.ts";

const RECORD = pageRecord("https://book.douban.com/subject/1/", {
  finalUrl: "https://book.douban.com/subject/1/?r=1",
  depth: 2,
  title: "活着 (豆瓣)",
  fields: { isbn: "9787506365437", rating: 9.4, missing: null, unused: true },
  links: ["https://book.douban.com/subject/2/"],
});

test("pageColumns() without fields lists the page columns in order", () => {
  assert.deepEqual(pageColumns(), [
    "url",
    "final_url",
    "status",
    "content_type",
    "depth",
    "title",
    "error",
    "fetched_at",
  ]);
});

test("pageColumns() puts the fields between title and error, in the order given", () => {
  assert.deepEqual(pageColumns(["rating", "isbn"]), [
    "url",
    "final_url",
    "status",
    "content_type",
    "depth",
    "title",
    "rating",
    "isbn",
    "error",
    "fetched_at",
  ]);
});

test("pageColumns() rejects a field named like a page column, quoting it", () => {
  for (const name of ["url", "title", "error", "fetched_at"]) {
    assert.throws(() => pageColumns(["isbn", name]), {
      name: "UsageError",
      message: `Expected a field name other than the column "${name}"`,
    });
  }
});

test("pageRow() flattens a record with the keys of pageColumns(), in the same order", () => {
  const row = pageRow(RECORD, ["rating", "isbn"]);
  assert.deepEqual(row, {
    url: "https://book.douban.com/subject/1/",
    final_url: "https://book.douban.com/subject/1/?r=1",
    status: 200,
    content_type: "text/html; charset=utf-8",
    depth: 2,
    title: "活着 (豆瓣)",
    rating: 9.4,
    isbn: "9787506365437",
    error: null,
    fetched_at: "2024-05-01T08:00:00.000Z",
  });
  assert.deepEqual(Object.keys(row), pageColumns(["rating", "isbn"]));
});

test("pageRow() gives null for a field the record lacks and leaves out fields not asked for", () => {
  assert.deepEqual(pageRow(RECORD, ["missing", "absent"]), {
    ...pageRow(RECORD),
    missing: null,
    absent: null,
  });
  assert.equal("unused" in pageRow(RECORD, ["isbn"]), false);
});

test("pageRow() keeps a failed page's error and a status of 0 when no response came", () => {
  const failed: PageRecord = {
    ...RECORD,
    status: 0,
    error: "Connection refused (https://x.example/)",
    errorCode: "ENETWORK",
    title: "",
    fields: {},
  };
  const row = pageRow({ ...failed, contentType: "" }, ["isbn"]);
  assert.deepEqual(
    [row.status, row.error, row.isbn, row.title, row.content_type],
    [0, "Connection refused (https://x.example/)", null, null, null],
  );
});

test("pageRow() writes no value as null, never as an empty string: an error on success, an empty title or field", () => {
  const row = pageRow({ ...RECORD, title: "", fields: { h1: "", n: 0, flag: false } }, ["h1", "n", "flag"]);
  assert.deepEqual([row.error, row.title, row.h1, row.n, row.flag], [null, null, null, 0, false]);
  assert.equal(Object.values(row).includes(""), false);
});

test("nullForEmpty() turns each empty string into null and keeps every other value and the key order", () => {
  const row = nullForEmpty({ a: "", b: "x", c: 0, d: null, e: false, f: " " });
  assert.deepEqual(row, { a: null, b: "x", c: 0, d: null, e: false, f: " " });
  assert.deepEqual(Object.keys(row), ["a", "b", "c", "d", "e", "f"]);
});

test("with rendered, the rows have a rendered column after title, true or false, and a field may not take its name", () => {
  const options = { rendered: true };
  assert.deepEqual(pageColumns(["isbn"], options).slice(5, 8), ["title", "rendered", "isbn"]);
  assert.equal(pageRow({ ...RECORD, rendered: true }, ["isbn"], options).rendered, true);
  assert.equal(pageRow({ ...RECORD, rendered: false }, ["isbn"], options).rendered, false, "false, not null: the page was read");
  assert.equal(pageRow(RECORD, ["isbn"], options).rendered, false);
  assert.equal("rendered" in pageRow({ ...RECORD, rendered: true }, ["isbn"]), false, "no column unless asked for");
  assert.throws(() => pageColumns(["rendered"], options), { name: "UsageError", message: 'Expected a field name other than the column "rendered"' });
});
