// Compares Parquet writers for Node on page-like rows: each writer runs in a child process of its own, the writers
// take turns within each repetition (so noise on a shared machine falls on all of them), and each child is measured
// from outside with measure.ts (wall time, peak RSS, CPU time). Every file is read back with DuckDB and checked
// against the same totals. Input: none (rows are generated). Output: a table on stdout, JSON with --json.
//
// The writers that are not dependencies of the package are not installed by npm ci: install them in a folder of
// their own and name it with --from, for example
//   mkdir -p /tmp/pq && cd /tmp/pq && npm init -y && npm i hyparquet-writer parquetjs@0.11 parquet-wasm apache-arrow
//   node --import tsx bench/parquet_writers.ts --from /tmp/pq --rows 1000000 --runs 3
// No #! line: tsx scans a file that imports at run time for its imports, and takes the slashes of a #! line in the
// minified code for the start of a regular expression.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { lastValueFrom, map, Observable, range } from "rxjs";
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { writeCsv } from "../src/sinks/csv.ts";
import { writeParquet } from "../src/sinks/parquet.ts";
import { measure } from "./measure.ts";

/**
 * The writers compared; `rows` generates the rows and drops them, the floor under every other figure; `writeParquet`
 * and `writeCsv` are the package's own sinks, with the rows coming through an RxJS pipe as in a crawl.
 */
const WRITERS = ["rows", "hyparquet-writer", "parquetjs", "parquet-wasm", "duckdb", "writeParquet", "writeCsv"] as const;
type WriterName = (typeof WRITERS)[number];

const HELP = `usage: parquet_writers.ts [--rows N] [--runs N] [--row-group N] [--bursts N] [--writers a,b] [--from <dir>] [--json]

Writes the same page-like rows with each writer, in a child process each, and prints time, peak RSS, CPU and size.

  --rows N        rows per file (default: 1000000)
  --runs N        repetitions; the writers take turns within each (default: 3)
  --row-group N   rows per row group, the same for every writer (default: 10000, as writeParquet)
  --writers a,b   which to run (default: all): ${WRITERS.join(", ")}
  --bursts N      writeParquet and writeCsv get N rows per turn of the event loop, as from a crawl
                  (default: 0, all rows at once: nothing reaches the disk before the last row)
  --from <dir>    a folder whose node_modules holds the writers not in package.json
  --json          print the runs as JSON instead of a table
  -h, --help      this help`;

/** A page row as the generic crawler writes it, with two extracted text fields. */
interface BenchRow {
  url: string;
  final_url: string;
  status: number;
  content_type: string;
  depth: number;
  title: string;
  author: string;
  publisher: string;
  error: string | null;
  fetched_at: string;
}

const TEXT_COLUMNS = ["url", "final_url", "content_type", "title", "author", "publisher", "error"] as const;
const START = Date.parse("2026-03-01T08:00:00.000Z");
const TITLES = ["活着", "围城", "三体", "平凡的世界", "红楼梦", "百年孤独", "The Pragmatic Programmer", "追风筝的人"];

/** Row `i`: a URL of about 60 characters, a title of about 30 with Chinese, an error on one row in 50. */
function benchRow(i: number): BenchRow {
  const url = `https://book.example.com/subject/${10_000_000 + i}/?from=rec&page=${i % 97}`;
  const failed = i % 50 === 49;
  return {
    url,
    final_url: i % 10 === 0 ? `https://book.example.com/subject/${10_000_000 + i}/` : url,
    status: failed ? 404 : 200,
    content_type: "text/html; charset=utf-8",
    depth: i % 7,
    title: `${TITLES[i % TITLES.length]!} (第${(i % 9) + 1}版) - 读书 #${i}`,
    author: `作者 ${i % 5000} / Author ${i % 5000}`,
    publisher: `出版社 ${i % 300}`,
    error: failed ? `HTTP 404 (${url})` : null,
    fetched_at: new Date(START + i * 37).toISOString(),
  };
}

function* benchRows(count: number): Generator<BenchRow> {
  for (let i = 0; i < count; i++) yield benchRow(i);
}

/** Loads a package from the node_modules of `--from` if it is there, else from the project's. */
async function load(from: string | undefined, name: string): Promise<unknown> {
  const bases = [...(from === undefined ? [] : [join(from, "package.json")]), fileURLToPath(import.meta.url)];
  for (const base of bases) {
    try {
      const module = (await import(pathToFileURL(createRequire(base).resolve(name)).href)) as { default?: unknown };
      return module.default ?? module; // a CommonJS module's exports are its default export

    } catch (error) {
      if ((error as { code?: string }).code !== "MODULE_NOT_FOUND") throw error;
    }
  }
  throw new Error(`Cannot find ${name}: install it and pass its folder with --from`);
}

// ---- The writers, each as a user of the library would write a million rows with it, row groups of `group` rows.

/** What a child writes: `count` rows in row groups of `group`, writers not in package.json from `from`. */
interface Job {
  count: number;
  group: number;
  from: string | undefined;
  /** Rows per turn of the event loop for the package's sinks, as from a crawl; 0 for all at once. */
  bursts: number;
}

type Write = (file: string, job: Job) => Promise<void>;

/** Columns of `group` rows at a time, transposed from the rows as they come. */
function* columnBatches(count: number, group: number): Generator<Record<keyof BenchRow, unknown[]>> {
  let batch = emptyBatch();
  for (const row of benchRows(count)) {
    for (const key of Object.keys(batch) as (keyof BenchRow)[]) batch[key].push(row[key]);
    if (batch.url.length === group) {
      yield batch;
      batch = emptyBatch();
    }
  }
  if (batch.url.length > 0) yield batch;
}

function emptyBatch(): Record<keyof BenchRow, unknown[]> {
  return {
    url: [],
    final_url: [],
    status: [],
    content_type: [],
    depth: [],
    title: [],
    author: [],
    publisher: [],
    error: [],
    fetched_at: [],
  };
}

interface HyparquetWriterModule {
  ByteWriter: new () => { index: number; getBytes(): Uint8Array };
  ParquetWriter: new (options: { writer: unknown; schema: unknown[] }) => {
    write(options: { columnData: { name: string; data: unknown[] }[]; rowGroupSize: number }): void | Promise<void>;
    finish(): void | Promise<void>;
  };
}

/** hyparquet-writer: ParquetWriter.write() per row group into a ByteWriter, whose bytes go to the file each time. */
const hyparquetWriter: Write = async (file, { count, group, from }) => {
  const { ByteWriter, ParquetWriter } = (await load(from, "hyparquet-writer")) as HyparquetWriterModule;
  const { open } = await import("node:fs/promises");
  const handle = await open(file, "w");
  const bytes = new ByteWriter();
  const optional = "OPTIONAL";
  const schema = [
    { name: "root", num_children: 10 },
    ...["url", "final_url"].map((name) => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: optional })),
    { name: "status", type: "INT32", repetition_type: optional },
    { name: "content_type", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: optional },
    { name: "depth", type: "INT32", repetition_type: optional },
    ...["title", "author", "publisher", "error"].map((name) => ({
      name,
      type: "BYTE_ARRAY",
      converted_type: "UTF8",
      repetition_type: optional,
    })),
    { name: "fetched_at", type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type: optional },
  ];
  const writer = new ParquetWriter({ writer: bytes, schema });
  const drain = async () => {
    await handle.write(bytes.getBytes());
    bytes.index = 0;
  };
  for (const batch of columnBatches(count, group)) {
    batch.fetched_at = batch.fetched_at.map((iso) => BigInt(Date.parse(iso as string)));
    await writer.write({ columnData: Object.entries(batch).map(([name, data]) => ({ name, data })), rowGroupSize: group });
    await drain();
  }
  await writer.finish();
  await drain();
  await handle.close();
};

interface ParquetjsModule {
  ParquetSchema: new (fields: Record<string, { type: string; optional: boolean; compression: string }>) => unknown;
  ParquetWriter: {
    openFile(
      schema: unknown,
      path: string,
      options: { rowGroupSize: number },
    ): Promise<{ appendRow(row: object): Promise<void>; close(): Promise<void> }>;
  };
}

/** parquetjs 0.11: appendRow() per row; it buffers `rowGroupSize` rows and writes them as a row group. */
const parquetjs: Write = async (file, { count, group, from }) => {
  const { ParquetSchema, ParquetWriter } = (await load(from, "parquetjs")) as ParquetjsModule;
  const field = (type: string) => ({ type, optional: true, compression: "SNAPPY" });
  const schema = new ParquetSchema({
    ...Object.fromEntries(TEXT_COLUMNS.map((name) => [name, field("UTF8")])),
    status: field("INT32"),
    depth: field("INT32"),
    fetched_at: field("TIMESTAMP_MILLIS"),
  });
  const writer = await ParquetWriter.openFile(schema, file, { rowGroupSize: group });
  for (const row of benchRows(count)) {
    // parquetjs writes a missing key as null, and fails on a null value.
    const { error, ...rest } = row;
    await writer.appendRow({ ...rest, ...(error === null ? {} : { error }), fetched_at: new Date(row.fetched_at) });
  }
  await writer.close();
};

interface ArrowModule {
  Utf8: new () => unknown;
  Int32: new () => unknown;
  TimestampMillisecond: new () => unknown;
  vectorFromArray(values: unknown[], type: unknown): unknown;
  Table: new (columns: Record<string, unknown>) => unknown;
  tableToIPC(table: unknown, format: "stream"): Uint8Array;
}

interface ParquetWasmModule {
  Table: { fromIPCStream(bytes: Uint8Array): { recordBatches(): unknown[] } };
  WriterPropertiesBuilder: new () => {
    setCompression(codec: number): ParquetWasmModule["WriterPropertiesBuilder"]["prototype"];
    setMaxRowGroupSize(rows: number): ParquetWasmModule["WriterPropertiesBuilder"]["prototype"];
    build(): unknown;
  };
  Compression: { SNAPPY: number };
  transformParquetStream(batches: ReadableStream, properties: unknown): Promise<ReadableStream<Uint8Array>>;
}

/**
 * parquet-wasm with apache-arrow: each group becomes an Arrow table (built in JS), is handed to WASM as Arrow IPC,
 * and transformParquetStream() turns the stream of record batches into the file's bytes.
 */
const parquetWasm: Write = async (file, { count, group, from }) => {
  const arrow = (await load(from, "apache-arrow")) as ArrowModule;
  const wasm = (await load(from, "parquet-wasm")) as ParquetWasmModule;
  const { createWriteStream } = await import("node:fs");
  const { Writable } = await import("node:stream");
  const batches = columnBatches(count, group);
  const source = new ReadableStream({
    pull(controller) {
      const next = batches.next();
      if (next.done === true) return controller.close();
      const batch = next.value;
      const columns: Record<string, unknown> = {};
      for (const name of TEXT_COLUMNS) columns[name] = arrow.vectorFromArray(batch[name], new arrow.Utf8());
      columns.status = arrow.vectorFromArray(batch.status, new arrow.Int32());
      columns.depth = arrow.vectorFromArray(batch.depth, new arrow.Int32());
      columns.fetched_at = arrow.vectorFromArray(
        batch.fetched_at.map((iso) => Date.parse(iso as string)),
        new arrow.TimestampMillisecond(),
      );
      const ipc = arrow.tableToIPC(new arrow.Table(columns), "stream");
      for (const recordBatch of wasm.Table.fromIPCStream(ipc).recordBatches()) controller.enqueue(recordBatch);
    },
  });
  const properties = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression.SNAPPY)
    .setMaxRowGroupSize(group)
    .build();
  const bytes = await wasm.transformParquetStream(source, properties);
  await bytes.pipeTo(Writable.toWeb(createWriteStream(file)) as WritableStream<Uint8Array>);
};

/** DuckDB (@duckdb/node-api): an appender fills an in-memory table row by row, then COPY ... TO writes the file. */
const duckdb: Write = async (file, { count, group }) => {
  const { DuckDBInstance, DuckDBTimestampValue } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE pages (url VARCHAR, final_url VARCHAR, status INTEGER, content_type VARCHAR,
    depth INTEGER, title VARCHAR, author VARCHAR, publisher VARCHAR, error VARCHAR, fetched_at TIMESTAMP)`);
  const appender = await connection.createAppender("pages");
  for (const row of benchRows(count)) {
    appender.appendVarchar(row.url);
    appender.appendVarchar(row.final_url);
    appender.appendInteger(row.status);
    appender.appendVarchar(row.content_type);
    appender.appendInteger(row.depth);
    appender.appendVarchar(row.title);
    appender.appendVarchar(row.author);
    appender.appendVarchar(row.publisher);
    if (row.error === null) appender.appendNull();
    else appender.appendVarchar(row.error);
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Date.parse(row.fetched_at)) * 1000n));
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(`COPY pages TO '${file.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE ${group})`);
  connection.closeSync();
  instance.closeSync();
};

/** Generates the rows and keeps none: what every writer's figures include before any writing. */
const rowsOnly: Write = async (_file, { count }) => {
  let length = 0;
  for (const row of benchRows(count)) length += row.url.length;
  if (length === 0 && count > 0) throw new Error("no rows");
};

/**
 * The rows as an Observable: all at once, as `range()` gives them (the worst case for a sink's memory: nothing is
 * written until the last row is in), or `bursts` rows per turn of the event loop, as pages come from a crawl.
 */
function rowStream(count: number, bursts: number): Observable<BenchRow> {
  if (bursts === 0) return range(0, count).pipe(map(benchRow));
  return new Observable<BenchRow>((subscriber) => {
    let i = 0;
    let immediate = setImmediate(function burst() {
      for (const end = Math.min(i + bursts, count); i < end && !subscriber.closed; i++) subscriber.next(benchRow(i));
      if (i < count) immediate = setImmediate(burst);
      else subscriber.complete();
    });
    return () => clearImmediate(immediate);
  });
}

/** The package's Parquet sink, rows from an RxJS pipe. */
const rxcrawlParquet: Write = async (file, { count, group, bursts }) => {
  const schema = {
    ...Object.fromEntries(TEXT_COLUMNS.map((name) => [name, "string" as const])),
    status: "int32",
    depth: "int32",
    fetched_at: "timestamp",
  } as const;
  await lastValueFrom(rowStream(count, bursts).pipe(writeParquet(file, { schema, rowGroupSize: group })));
};

/** The package's CSV sink on the same rows, for comparison. */
const rxcrawlCsv: Write = async (file, { count, bursts }) => {
  const columns = Object.keys(benchRow(0));
  await lastValueFrom(rowStream(count, bursts).pipe(writeCsv(file, { columns })));
};

const WRITE: Record<WriterName, Write> = {
  rows: rowsOnly,
  "hyparquet-writer": hyparquetWriter,
  parquetjs,
  "parquet-wasm": parquetWasm,
  duckdb,
  writeParquet: rxcrawlParquet,
  writeCsv: rxcrawlCsv,
};

// ---- The harness.

/** What one run gave. */
interface Run {
  writer: string;
  run: number;
  /** From the first row to the file closed, measured in the child: start-up and imports left out. */
  writeSeconds: number;
  wallSeconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  fileMb: number;
  /** The totals DuckDB reads back from the file, equal for every writer; "" for `rows`. */
  check: string;
}

/** Reads a file back with DuckDB: row count, nulls, sums and lengths, the last timestamp and the row groups. */
async function readBack(file: string): Promise<string> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const path = file.replaceAll("'", "''");
  const groups = file.endsWith(".parquet")
    ? `(SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${path}'))`
    : "NULL";
  // In UTC, a TIMESTAMP WITH TIME ZONE (writeParquet) prints as the TIMESTAMP of the others.
  await connection.run("SET TimeZone = 'UTC'");
  const reader = await connection.runAndReadAll(`SELECT count(*) AS n, count(error) AS errors, sum(status) AS status,
    sum(depth) AS depth, sum(length(title)) AS title_chars, strftime(max(fetched_at), '%Y-%m-%d %H:%M:%S.%g') AS last,
    ${groups} AS groups FROM '${path}'`);
  const row = reader.getRowObjectsJson()[0];
  connection.closeSync();
  instance.closeSync();
  return JSON.stringify(row);
}

async function child(name: WriterName, file: string, job: Job) {
  const started = performance.now();
  await WRITE[name](file, job);
  process.stdout.write(`${JSON.stringify({ writeSeconds: (performance.now() - started) / 1000 })}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function table(runs: Run[], names: readonly string[]): string {
  const lines = [
    "| writer | write s (median, min-max) | peak RSS MB (median, max) | CPU s (median) | file MB | read back by DuckDB |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const name of names) {
    const mine = runs.filter((run) => run.writer === name);
    if (mine.length === 0) continue;
    const write = mine.map((run) => run.writeSeconds);
    const rss = mine.map((run) => run.peakRssMb);
    const checks = [...new Set(mine.map((run) => run.check))];
    lines.push(
      `| ${name} | ${median(write).toFixed(2)} (${Math.min(...write).toFixed(2)}-${Math.max(...write).toFixed(2)}) | ` +
        `${median(rss).toFixed(0)} (${Math.max(...rss).toFixed(0)}) | ${median(mine.map((run) => run.cpuSeconds)).toFixed(2)} | ` +
        `${median(mine.map((run) => run.fileMb)).toFixed(1)} | ${checks.join(" / ")} |`,
    );
  }
  return lines.join("\n");
}

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: {
      rows: { type: "string" },
      runs: { type: "string" },
      "row-group": { type: "string" },
      bursts: { type: "string" },
      writers: { type: "string" },
      from: { type: "string" },
      json: { type: "boolean" },
      child: { type: "string" },
      out: { type: "string" },
    },
  });
  const count = integerFlag(values, "rows", 0) ?? 1_000_000;
  const group = integerFlag(values, "row-group") ?? 10_000;
  const from = typeof values.from === "string" ? values.from : undefined;
  const bursts = integerFlag(values, "bursts", 0) ?? 0;
  if (typeof values.child === "string") {
    await child(values.child as WriterName, String(values.out), { count, group, from, bursts });
    return;
  }
  const runs = integerFlag(values, "runs") ?? 3;
  const names = typeof values.writers === "string" ? values.writers.split(",") : [...WRITERS];
  for (const name of names) {
    if (!(WRITERS as readonly string[]).includes(name)) throw new Error(`Expected a writer among ${WRITERS.join(", ")}, got ${name}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-parquet-bench-"));
  const results: Run[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      // Each repetition starts with the next writer, so no writer always runs first or last.
      const order = names.map((_, i) => names[(i + run - 1) % names.length]!);
      for (const name of order) {
        const file = join(dir, `${name}-${run}.${name === "writeCsv" ? "csv" : "parquet"}`);
        const args = ["--import", "tsx", fileURLToPath(import.meta.url), "--child", name, "--out", file];
        args.push("--rows", String(count), "--row-group", String(group), "--bursts", String(bursts));
        if (from !== undefined) args.push("--from", from);
        const measured = await measure(process.execPath, args);
        if (measured.code !== 0) throw new Error(`${name} failed: ${measured.stderrTail}`);
        const { writeSeconds } = JSON.parse(measured.stdout) as { writeSeconds: number };
        const written = name !== "rows";
        results.push({
          writer: name,
          run,
          writeSeconds,
          wallSeconds: measured.wallSeconds,
          peakRssMb: measured.peakRssMb,
          cpuSeconds: measured.cpuSeconds,
          fileMb: written ? statSync(file).size / 1e6 : 0,
          check: written ? await readBack(file) : "",
        });
        rmSync(file, { force: true });
        process.stderr.write(`run ${run} ${name}: ${writeSeconds.toFixed(2)} s, ${measured.peakRssMb.toFixed(0)} MB\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(values.json === true ? `${JSON.stringify(results, null, 2)}\n` : `${table(results, names)}\n`);
  const source = bursts === 0 ? "all rows at once" : `rows in bursts of ${bursts}`;
  process.stdout.write(`${count} rows, row groups of ${group}, ${runs} runs, ${source}, node ${process.version}\n`);
});
