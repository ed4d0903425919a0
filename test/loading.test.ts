// The outputs load right where users load them, DuckDB and pandas, as the README says: "no value" reads as NULL (NaN)
// from both formats, numbers stay numbers, and the CSV and JSONL of the same crawl read alike.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemoSite } from "../src/demo/demo_site.ts";
import { needsPandas, runDuckDb, runPython } from "./helpers/analysis.ts";
import { run } from "./helpers/pipeline.ts";
import { html, startServer } from "./helpers/server.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-loading-"));
after(() => rm(TMP, { recursive: true, force: true }));

/** A URL on 127.0.0.1 where nothing listens: a row with status 0 and an error. */
async function refusedUrl(path: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

/** Crawls of a small site with every kind of row, to CSV and to JSONL; and the demo's books, with a failed start. */
const written = (async () => {
  const server = await startServer({
    "/": html('<title>Home</title><h1>Welcome</h1><a href="/a">a</a> <a href="/gone">gone</a> <a href="/untitled">u</a>'),
    "/a": html("<title>A</title><h1></h1>"),
    "/untitled": html("<p>no title, no h1</p>"),
  });
  const site = await startDemoSite({ pages: 40, bodyKb: 1 });
  try {
    const [refused, refusedBook] = [await refusedUrl("/"), await refusedUrl("/subject/1/")];
    const crawl = (out: string) =>
      run("crawl.ts", [server.url("/"), refused, "--extract", "h1=h1", "--retries", "0", "--out", join(TMP, out), "--workers", "0"]);
    const books = (out: string) =>
      run("douban-books.ts", [site.startUrl, refusedBook, "--rate", "1000", "--retries", "0", "--out", join(TMP, out), "--workers", "0"]);
    const results = await Promise.all([crawl("pages.csv"), crawl("pages.jsonl"), books("books.csv"), books("books.jsonl")]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
  } finally {
    await Promise.all([server.close(), site.close()]);
  }
})();

test("DuckDB reads the CSV and the JSONL of a crawl alike: no error is NULL in both, status a number", async () => {
  await written;
  const query = (from: string) => [
    `SELECT url, status, title, h1, error IS NULL AS ok FROM ${from} ORDER BY url`,
    `SELECT count(*) AS n FROM ${from} WHERE error IS NULL`,
    `SELECT count(*) AS n FROM ${from} WHERE error = ''`,
    `SELECT DISTINCT typeof(status) AS type FROM ${from}`,
  ];
  const [csv, jsonl] = await Promise.all([runDuckDb(query("'pages.csv'"), TMP), runDuckDb(query("'pages.jsonl'"), TMP)]);
  assert.deepEqual(csv, jsonl);
  const [rows, ok, empty, types] = csv;
  const seen = rows!.map((row) => [new URL(String(row.url)).pathname, row.status, row.title, row.h1, row.ok]);
  assert.deepEqual(
    seen.sort((a, b) => String(a).localeCompare(String(b))),
    [
      ["/", 0, null, null, false], // the refused start URL, on a port of its own
      ["/", 200, "Home", "Welcome", true],
      ["/a", 200, "A", null, true], // an empty <h1>
      ["/gone", 404, null, null, false],
      ["/untitled", 200, null, null, true],
    ],
  );
  assert.deepEqual([ok, empty, types], [[{ n: 3 }], [{ n: 0 }], [{ type: "BIGINT" }]]);
});

test("DuckDB reads douban-books' CSV and JSONL alike, ISBN as text with the types the README gives", async () => {
  await written;
  const query = (from: string) => [
    `SELECT url, title, year, rating, ratings, isbn, status FROM ${from} ORDER BY url`,
    `SELECT typeof(year) AS year, typeof(rating) AS rating, typeof(ratings) AS ratings, typeof(isbn) AS isbn FROM ${from} LIMIT 1`,
    `SELECT count(*) AS n FROM ${from} WHERE error IS NULL`,
  ];
  const [csv, jsonl] = await Promise.all([
    runDuckDb(query(`read_csv('books.csv', types = {'isbn': 'VARCHAR'})`), TMP),
    runDuckDb(query("'books.jsonl'"), TMP),
  ]);
  assert.deepEqual(csv, jsonl);
  assert.equal(csv[0]!.length, 41, "40 books and the failed start URL");
  assert.deepEqual(csv[1], [{ year: "BIGINT", rating: "DOUBLE", ratings: "BIGINT", isbn: "VARCHAR" }]);
  assert.deepEqual(csv[2], [{ n: 40 }]);
});

test("pandas reads both formats alike with the dtypes the README gives: years and counts stay integers, ISBN text", { skip: needsPandas() }, async () => {
  await written;
  const script = `
import json
import pandas as pd
dtypes = {"isbn": "string", "year": "Int64", "ratings": "Int64"}
frames = {
    "pages.csv": pd.read_csv("pages.csv"),
    "pages.jsonl": pd.read_json("pages.jsonl", lines=True),
    "books.csv": pd.read_csv("books.csv", dtype=dtypes),
    "books.jsonl": pd.read_json("books.jsonl", lines=True, dtype=dtypes),
}
print(json.dumps({
    name: {
        "rows": len(frame),
        "ok": int(frame.error.isna().sum()),
        "dtypes": {column: str(frame[column].dtype) for column in ["status", "error", *(["year", "ratings", "rating", "isbn"] if "isbn" in frame else [])]},
    }
    for name, frame in frames.items()
}))
`;
  const seen = JSON.parse(runPython(script, TMP)) as Record<string, { rows: number; ok: number; dtypes: Record<string, string> }>;
  const pages = { rows: 5, ok: 3, dtypes: { status: "int64", error: "object" } };
  const books = { rows: 41, ok: 40, dtypes: { status: "int64", error: "object", year: "Int64", ratings: "Int64", rating: "float64", isbn: "string" } };
  assert.deepEqual(seen, { "pages.csv": pages, "pages.jsonl": pages, "books.csv": books, "books.jsonl": books });
});
