import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { type DuckDBConnection, DuckDBInstance, type JS } from "@duckdb/node-api";
import { concat, defer, EMPTY, from, lastValueFrom, map, range, Subject, throwError, toArray } from "rxjs";
import { UsageError } from "../../src/errors.ts";
import type { PageRecord } from "../../src/records.ts";
import { pageRow } from "../../src/sinks/page_row.ts";
import { type InvalidParquetValue, pageParquetSchema, type ParquetSchema, writeParquet } from "../../src/sinks/parquet.ts";
import { pageRecord } from "../helpers/page.ts";

// Files are read back the way a user would check them: with DuckDB.
let duckdb: DuckDBInstance;
let db: DuckDBConnection;
before(async () => {
  duckdb = await DuckDBInstance.create(":memory:");
  db = await duckdb.connect();
  await db.run("SET TimeZone = 'UTC'");
});
after(() => {
  db.closeSync();
  duckdb.closeSync();
});

/** The rows of a SQL query, as JavaScript values (INTEGER a number, BIGINT a bigint, TIMESTAMP a Date). */
async function query(sql: string): Promise<Record<string, JS>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS();
}

function quoted(file: string): string {
  return `'${file.replaceAll("'", "''")}'`;
}

/** Column name and DuckDB type of each column of a Parquet file. */
async function describe(file: string): Promise<[string, string][]> {
  const rows = await query(`DESCRIBE SELECT * FROM ${quoted(file)}`);
  return rows.map((row) => [String(row.column_name), String(row.column_type)]);
}

/** The number of rows in each row group of a Parquet file, in order. */
async function rowGroups(file: string): Promise<number[]> {
  const rows = await query(
    `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${quoted(file)}) ORDER BY row_group_id`,
  );
  return rows.map((row) => Number(row.row_group_num_rows));
}

/** Runs `body` with a fresh temporary folder, removed afterwards whatever happens. */
async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rxcrawl-parquet-"));
  try {
    await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const TYPES: ParquetSchema = {
  text: "string",
  small: "int32",
  large: "int64",
  real: "double",
  flag: "boolean",
  at: "timestamp",
};

test("writeParquet() writes typed columns: DuckDB sees VARCHAR, INTEGER, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP WITH TIME ZONE", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "types.parquet");
    const row = { text: "活着", small: 1, large: 2n, real: 0.5, flag: true, at: new Date(0) };
    await lastValueFrom(from([row]).pipe(writeParquet(file, { schema: TYPES })));
    assert.deepEqual(await describe(file), [
      ["text", "VARCHAR"],
      ["small", "INTEGER"],
      ["large", "BIGINT"],
      ["real", "DOUBLE"],
      ["flag", "BOOLEAN"],
      ["at", "TIMESTAMP WITH TIME ZONE"],
    ]);
  });
});

test("writeParquet() writes values DuckDB reads back: Chinese, nulls, numbers and booleans from strings, timestamps from ISO 8601 and Date", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "values.parquet");
    const rows: Record<string, unknown>[] = [
      { text: "活着, “典藏版” 🙂", small: -2147483648, large: 9007199254740993n, real: 9.4, flag: false, at: "2026-03-01T08:00:00.123Z" },
      { text: "", small: " 42 ", large: "-9223372036854775808", real: "1e-3", flag: "TRUE", at: "2026-03-01T16:00:00+08:00" },
      { text: null, small: "", large: "", real: "", flag: "", at: "" },
      { text: undefined, small: null, large: undefined, real: NaN, flag: null, at: null },
      {}, // every key missing
      { text: 42, small: 2147483647, large: 7, real: -Infinity, flag: "false", at: "2026-03-01" },
      { text: { a: [1, "二"] }, small: "+7", large: " 12 ", real: 3n, at: "2026-03-01 08:00:00" },
      { text: true, at: new Date("2026-03-01T08:00:00.5Z") },
      { at: "2028-02-29T23:30:00-01:00" },
      { at: "2026-03-01t08:00:00.123456z" },
    ];
    await lastValueFrom(from(rows).pipe(writeParquet(file, { schema: TYPES })));
    const at = (iso: string) => new Date(iso);
    assert.deepEqual(await query(`SELECT * FROM ${quoted(file)}`), [
      {
        text: "活着, “典藏版” 🙂",
        small: -2147483648,
        large: 9007199254740993n,
        real: 9.4,
        flag: false,
        at: at("2026-03-01T08:00:00.123Z"),
      },
      { text: "", small: 42, large: -9223372036854775808n, real: 0.001, flag: true, at: at("2026-03-01T08:00:00Z") },
      { text: null, small: null, large: null, real: null, flag: null, at: null },
      { text: null, small: null, large: null, real: null, flag: null, at: null },
      { text: null, small: null, large: null, real: null, flag: null, at: null },
      { text: "42", small: 2147483647, large: 7n, real: -Infinity, flag: false, at: at("2026-03-01T00:00:00Z") },
      { text: '{"a":[1,"二"]}', small: 7, large: 12n, real: 3, flag: null, at: at("2026-03-01T08:00:00Z") },
      { text: "true", small: null, large: null, real: null, flag: null, at: at("2026-03-01T08:00:00.500Z") },
      { text: null, small: null, large: null, real: null, flag: null, at: at("2028-03-01T00:30:00Z") },
      { text: null, small: null, large: null, real: null, flag: null, at: at("2026-03-01T08:00:00.123Z") },
    ]);
  });
});

test("writeParquet() passes every row on, in order, the very objects it was given", async () => {
  await withTmp(async (dir) => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ text: `第 ${i} 行`, small: i }));
    const passed = await lastValueFrom(
      from(rows).pipe(writeParquet(path.join(dir, "out.parquet"), { schema: TYPES, rowGroupSize: 1000 }), toArray()),
    );
    assert.equal(passed.length, rows.length);
    assert.ok(passed.every((row, i) => row === rows[i]));
  });
});

test("writeParquet() writes a row group each rowGroupSize rows as they arrive: 4,500 rows in groups of 1,000 make 5", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "groups.parquet");
    const partial = `${file}.partial`;
    const rows = new Subject<{ small: number; text: string }>();
    const done = lastValueFrom(rows.pipe(writeParquet(file, { schema: TYPES, rowGroupSize: 1000 })));
    for (let i = 0; i < 999; i++) rows.next({ small: i, text: `书 ${i}` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fs.statSync(partial).size, 0, "nothing is written before a row group is full");
    rows.next({ small: 999, text: "书 999" });
    await waitFor(() => fs.statSync(partial).size > 1000, "the first row group in the file");
    for (let i = 1000; i < 4500; i++) rows.next({ small: i, text: `书 ${i}` });
    rows.complete();
    await done;
    assert.deepEqual(await rowGroups(file), [1000, 1000, 1000, 1000, 500]);
    const read = await query(`SELECT small, text FROM ${quoted(file)}`);
    assert.equal(read.length, 4500);
    assert.ok(read.every((row, i) => row.small === i && row.text === `书 ${i}`), "every row, in order");
  });
});

test("writeParquet() writes <path>.partial and renames it when complete: an earlier file stays whole until then", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "pages.parquet");
    await lastValueFrom(from([{ text: "old" }]).pipe(writeParquet(file, { schema: TYPES })));
    const rows = new Subject<{ text: string }>();
    const done = lastValueFrom(rows.pipe(writeParquet(file, { schema: TYPES, rowGroupSize: 10 })));
    for (let i = 0; i < 25; i++) rows.next({ text: `new ${i}` });
    await waitFor(() => fs.statSync(`${file}.partial`).size > 0, "row groups in the .partial file");
    assert.deepEqual(await query(`SELECT text FROM ${quoted(file)}`), [{ text: "old" }]);
    rows.complete();
    await done;
    assert.equal((await query(`SELECT count(*) AS n FROM ${quoted(file)}`))[0]?.n, 25n);
    assert.deepEqual(fs.readdirSync(dir), ["pages.parquet"]);
  });
});

test("writeParquet() killed with SIGKILL mid-stream leaves the earlier file whole at the path, the rows so far in <path>.partial", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "killed.parquet");
    await lastValueFrom(from([{ text: "earlier run" }]).pipe(writeParquet(file, { schema: TYPES })));
    const sink = new URL("../../src/sinks/parquet.ts", import.meta.url).href;
    const script = `import { interval, map } from "rxjs";
      import { writeParquet } from ${JSON.stringify(sink)};
      interval(1).pipe(map((i) => ({ small: i })), writeParquet(process.env.OUT, { schema: { small: "int32" }, rowGroupSize: 10 })).subscribe();`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env: { ...process.env, OUT: file },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    try {
      const written = () => (fs.statSync(`${file}.partial`, { throwIfNoEntry: false })?.size ?? 0) > 0;
      await waitFor(written, "row groups in the .partial file", 30_000);
    } finally {
      child.kill("SIGKILL");
    }
    assert.equal(await exited, "SIGKILL");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["killed.parquet", "killed.parquet.partial"]);
    assert.deepEqual(await query(`SELECT text FROM ${quoted(file)}`), [{ text: "earlier run" }]);
  });
});

test("writeParquet() completes the file when unsubscribed mid-stream: every row so far, readable by DuckDB", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "stopped.parquet");
    const rows = new Subject<{ small: number; text: string }>();
    const subscription = rows.pipe(writeParquet(file, { schema: TYPES, rowGroupSize: 1000 })).subscribe();
    const count = 2500;
    for (let i = 0; i < count; i++) rows.next({ small: i, text: `${i} 长的标题`.repeat(5) });
    subscription.unsubscribe();
    rows.next({ small: count, text: "after the unsubscribe" });
    await waitFor(() => fs.existsSync(file), "the file at its path");
    assert.deepEqual(await rowGroups(file), [1000, 1000, 500]);
    const read = await query(`SELECT small FROM ${quoted(file)}`);
    assert.deepEqual(
      read.map((row) => row.small),
      Array.from({ length: count }, (_, i) => i),
    );
    assert.equal(fs.existsSync(`${file}.partial`), false);
  });
});

test("writeParquet() completes the file with the rows so far and passes on the source's own error", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "failed.parquet");
    const failure = new Error("upstream failed");
    const source = concat(from([{ small: 1 }, { small: 2 }]), throwError(() => failure));
    await assert.rejects(lastValueFrom(source.pipe(writeParquet(file, { schema: TYPES }))), (error) => error === failure);
    assert.deepEqual(await query(`SELECT small FROM ${quoted(file)}`), [{ small: 1 }, { small: 2 }]);
  });
});

test("writeParquet() on an empty stream writes a valid file with the schema's columns and no rows", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "empty.parquet");
    assert.deepEqual(await lastValueFrom(EMPTY.pipe(writeParquet(file, { schema: TYPES }), toArray())), []);
    assert.deepEqual(
      (await describe(file)).map(([name]) => name),
      Object.keys(TYPES),
    );
    assert.deepEqual(await query(`SELECT count(*) AS n FROM ${quoted(file)}`), [{ n: 0n }]);
    // What a strict Thrift reader (arrow-rs) needs besides: the empty list of row groups declared a list of structs.
    // After num_rows 0 (0x16 0x00) comes row_groups (0x19), size 0 of type struct (0x0c).
    assert.ok(fs.readFileSync(file).includes(Buffer.from([0x16, 0x00, 0x19, 0x0c])), "row_groups: an empty list of structs");
  });
});

test("writeParquet() fails with a UsageError \"Cannot write ...\" for a path under a regular file, before the source runs", async () => {
  await withTmp(async (dir) => {
    const notAFolder = path.join(dir, "file");
    fs.writeFileSync(notAFolder, "x");
    const target = path.join(notAFolder, "x.parquet");
    let subscribed = false;
    const source = defer(() => {
      subscribed = true;
      return from([{ small: 1 }]);
    });
    await assert.rejects(lastValueFrom(source.pipe(writeParquet(target, { schema: TYPES }))), (error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, new RegExp(`^Cannot write ${escapeRegExp(target)}: E(EXIST|NOTDIR)`));
      assert.ok(error.cause instanceof Error);
      return true;
    });
    assert.equal(subscribed, false);
  });
});

test("writeParquet() fails with a UsageError \"Cannot write ...\" for a path that is a folder, and leaves the folder alone", async () => {
  await withTmp(async (dir) => {
    const folder = path.join(dir, "out.parquet");
    fs.mkdirSync(folder);
    await assert.rejects(lastValueFrom(from([{ small: 1 }]).pipe(writeParquet(folder, { schema: TYPES }))), (error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, new RegExp(`^Cannot write ${escapeRegExp(folder)}: EISDIR`));
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), ["out.parquet"]);
  });
});

test("writeParquet() fails with a UsageError naming column, value and row for a value its type cannot hold, and writes no file", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ small: "n/a" }, 'Expected column "small" to be int32, got "n/a" (row 2)'],
    [{ small: 9.5 }, 'Expected column "small" to be int32, got 9.5 (row 2)'],
    [{ small: 2 ** 31 }, 'Expected column "small" to be int32, got 2147483648 (row 2)'],
    [{ small: true }, 'Expected column "small" to be int32, got true (row 2)'],
    [{ large: "12a" }, 'Expected column "large" to be int64, got "12a" (row 2)'],
    [{ large: 2n ** 63n }, 'Expected column "large" to be int64, got 9223372036854775808n (row 2)'],
    [{ real: "1,5" }, 'Expected column "real" to be double, got "1,5" (row 2)'],
    [{ flag: "yes" }, 'Expected column "flag" to be boolean, got "yes" (row 2)'],
    [{ at: "yesterday" }, 'Expected column "at" to be timestamp, got "yesterday" (row 2)'],
    [{ at: "2026-13-01" }, 'Expected column "at" to be timestamp, got "2026-13-01" (row 2)'],
    [{ at: "2026-02-30T08:00:00Z" }, 'Expected column "at" to be timestamp, got "2026-02-30T08:00:00Z" (row 2)'],
    [{ at: 1772352000000 }, 'Expected column "at" to be timestamp, got 1772352000000 (row 2)'],
    [{ at: new Date(NaN) }, 'Expected column "at" to be timestamp, got Invalid Date (row 2)'],
    [{ text: Symbol("s") }, 'Expected column "text" to be string, got Symbol(s) (row 2)'],
    [{ text: { n: 1n } }, 'Expected column "text" to be string, got [object Object] (row 2)'],
  ];
  await withTmp(async (dir) => {
    for (const [bad, message] of cases) {
      const file = path.join(dir, "bad.parquet");
      const passed: unknown[] = [];
      const rows = from([{ small: 1 }, bad, { small: 3 }]).pipe(
        writeParquet(file, { schema: TYPES }),
        map((row) => passed.push(row)),
      );
      await assert.rejects(lastValueFrom(rows), { name: "UsageError", message });
      assert.deepEqual(passed, [{ small: 1 }], message);
      await waitFor(() => fs.readdirSync(dir).length === 0, `no file left after ${message}`);
    }
  });
});

test("writeParquet() with onInvalidValue writes null for such a value, and tells the column, type, value and row", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "lenient.parquet");
    const invalid: InvalidParquetValue[] = [];
    const rows = [
      { text: "a", small: "7" },
      { text: "b", small: "n/a", real: "—" },
    ];
    const passed = await lastValueFrom(
      from(rows).pipe(writeParquet(file, { schema: TYPES, onInvalidValue: (value) => invalid.push(value) }), toArray()),
    );
    assert.deepEqual(passed, rows);
    assert.deepEqual(invalid, [
      { column: "small", type: "int32", value: "n/a", row: 2 },
      { column: "real", type: "double", value: "—", row: 2 },
    ]);
    assert.deepEqual(await query(`SELECT text, small, real FROM ${quoted(file)}`), [
      { text: "a", small: 7, real: null },
      { text: "b", small: null, real: null },
    ]);
  });
});

test("writeParquet() passes on the error thrown by onInvalidValue, and writes no file", async () => {
  await withTmp(async (dir) => {
    const failure = new Error("too many bad values");
    const sink = writeParquet(path.join(dir, "x.parquet"), {
      schema: TYPES,
      onInvalidValue: () => {
        throw failure;
      },
    });
    await assert.rejects(lastValueFrom(from([{ small: "x" }]).pipe(sink)), (error) => error === failure);
    await waitFor(() => fs.readdirSync(dir).length === 0, "no file left");
  });
});

test("writeParquet() writes to a stream, which it leaves open", async () => {
  await withTmp(async (dir) => {
    const target = new PassThrough();
    const chunks: Buffer[] = [];
    target.on("data", (chunk: Buffer) => chunks.push(chunk));
    const rows = Array.from({ length: 30 }, (_, i) => ({ small: i, text: `第 ${i} 本` }));
    await lastValueFrom(from(rows).pipe(writeParquet(target, { schema: TYPES, rowGroupSize: 10 })));
    assert.equal(target.writableEnded, false);
    assert.equal(target.destroyed, false);
    const file = path.join(dir, "from-stream.parquet");
    fs.writeFileSync(file, Buffer.concat(chunks));
    assert.deepEqual(await rowGroups(file), [10, 10, 10]);
    assert.deepEqual(await query(`SELECT small, text FROM ${quoted(file)} WHERE small = 29`), [{ small: 29, text: "第 29 本" }]);
  });
});

test("writeParquet() rejects a schema without columns, an unknown type and a row-group size below 1, up front", () => {
  assert.throws(() => writeParquet("x.parquet", { schema: {} }), {
    name: "UsageError",
    message: "Expected schema to name at least one column, got none",
  });
  assert.throws(() => writeParquet("x.parquet", { schema: { n: "int" as "int32" } }), {
    name: "UsageError",
    message: 'Expected the type of column "n" to be one of string, int32, int64, double, boolean, timestamp, got "int"',
  });
  assert.throws(() => writeParquet("x.parquet", { schema: TYPES, rowGroupSize: 0 }), {
    name: "UsageError",
    message: "Expected rowGroupSize to be a positive integer, got 0",
  });
});

test("pageParquetSchema() types the crawler's columns, and the rows of a crawl written with it read back typed", async () => {
  const schema = pageParquetSchema(["price", "author"]);
  assert.deepEqual(Object.entries(schema), [
    ["url", "string"],
    ["final_url", "string"],
    ["status", "int32"],
    ["content_type", "string"],
    ["depth", "int32"],
    ["title", "string"],
    ["price", "string"],
    ["author", "string"],
    ["error", "string"],
    ["fetched_at", "timestamp"],
  ]);
  const page = (overrides: Partial<PageRecord>): PageRecord =>
    pageRecord("https://book.example.com/subject/1/", {
      depth: 1,
      fetchedAt: "2026-03-01T08:00:00.000Z",
      title: "活着 (豆瓣)",
      fields: { price: "20.00元", author: "余华" },
      ...overrides,
    });
  const pages = [
    page({}),
    page({ url: "https://book.example.com/gone", status: 0, contentType: "", title: "", fields: {}, error: "ECONNRESET" }),
  ];
  await withTmp(async (dir) => {
    const file = path.join(dir, "pages.parquet");
    await lastValueFrom(from(pages).pipe(map((p) => pageRow(p, ["price", "author"])), writeParquet(file, { schema })));
    assert.deepEqual(
      (await describe(file)).map(([, type]) => type),
      ["VARCHAR", "VARCHAR", "INTEGER", "VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMP WITH TIME ZONE"],
    );
    const read = await query(`SELECT status, title, price, author, error, fetched_at FROM ${quoted(file)}`);
    assert.deepEqual(read, [
      { status: 200, title: "活着 (豆瓣)", price: "20.00元", author: "余华", error: null, fetched_at: new Date("2026-03-01T08:00:00Z") },
      { status: 0, title: null, price: null, author: null, error: "ECONNRESET", fetched_at: new Date("2026-03-01T08:00:00Z") },
    ]);
  });
});

test("writeParquet() writes 200,000 rows from a fast source fully and in order, in row groups of the default size", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "big.parquet");
    const count = 200_000;
    let next = 0;
    let outOfOrder = 0;
    const started = performance.now();
    await lastValueFrom(
      range(0, count).pipe(
        map((i) => ({ small: i, text: `https://book.example.com/subject/${i}/ 书 ${i}` })),
        writeParquet(file, { schema: TYPES }),
        map((row) => {
          if (row.small !== next++) outOfOrder++;
        }),
      ),
    );
    const elapsed = performance.now() - started;
    assert.equal(next, count);
    assert.equal(outOfOrder, 0);
    // A few seconds here; the bound catches a cost per row that grows with the rows written.
    assert.ok(elapsed < 60_000, `writing ${count} rows took ${Math.round(elapsed)} ms`);
    assert.deepEqual(await rowGroups(file), Array.from({ length: 20 }, () => 10_000));
    const [totals] = await query(
      `SELECT count(*) AS n, sum(small) AS total, count(DISTINCT text) AS texts FROM ${quoted(file)}`,
    );
    assert.deepEqual(totals, { n: BigInt(count), total: BigInt((count * (count - 1)) / 2), texts: BigInt(count) });
  });
});
