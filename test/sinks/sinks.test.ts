import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { parse } from "csv-parse/sync";
import { concat, EMPTY, from, lastValueFrom, map, range, Subject, throwError, toArray, type Observable } from "rxjs";
import { UsageError } from "../../src/errors.ts";
import { writeCsv } from "../../src/sinks/csv.ts";
import { writeJsonl } from "../../src/sinks/jsonl.ts";
import { writeRows } from "../../src/sinks/write_rows.ts";

/** Runs `body` with a fresh temporary folder, removed afterwards whatever happens. */
async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rxcrawl-sinks-"));
  try {
    await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The records of a CSV file, each an object keyed by the header row, as a CSV reader sees them. */
function readCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, "utf8"), { columns: true }) as Record<string, string>[];
}

/** The rows of a JSON Lines file; fails on a line that is not complete JSON, or a last line without its newline. */
function readJsonl(file: string): unknown[] {
  const text = fs.readFileSync(file, "utf8");
  if (text === "") return [];
  assert.ok(text.endsWith("\n"), "the file ends with a newline");
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as unknown);
}

async function waitFor(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether reading the file succeeds and gives `count` rows; false while it is incomplete. */
function hasRows(read: () => unknown[], count: number): boolean {
  try {
    return read().length === count;
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Rows whose values need every kind of care in CSV and JSON. */
const TRICKY = [
  {
    url: "https://book.douban.com/subject/1/",
    title: '活着, "典藏版"',
    note: "line one\nline two",
    rating: 9.4,
    ok: true,
  },
  { url: "https://book.douban.com/subject/2/", title: "围城", note: "windows\r\nline", rating: 0, ok: false },
  { url: "https://book.douban.com/subject/3/", title: "", note: null, rating: -1.5, ok: null },
  {
    url: "https://example.com/?a=1,b=2",
    title: " leading and trailing spaces ",
    note: '"quoted"',
    rating: 1e21,
    ok: true,
  },
];

test("writeCsv() writes rows a CSV reader reads back: Chinese, commas, quotes, \\n and \\r\\n, empty, null, numbers", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "nested", "folder", "books.csv");
    const passed = await lastValueFrom(
      from(TRICKY).pipe(writeCsv(file, { columns: ["url", "title", "note", "rating", "ok"] }), toArray()),
    );
    assert.deepEqual(passed, TRICKY);
    assert.deepEqual(readCsv(file), [
      {
        url: "https://book.douban.com/subject/1/",
        title: '活着, "典藏版"',
        note: "line one\nline two",
        rating: "9.4",
        ok: "true",
      },
      { url: "https://book.douban.com/subject/2/", title: "围城", note: "windows\r\nline", rating: "0", ok: "false" },
      { url: "https://book.douban.com/subject/3/", title: "", note: "", rating: "-1.5", ok: "" },
      {
        url: "https://example.com/?a=1,b=2",
        title: " leading and trailing spaces ",
        note: '"quoted"',
        rating: "1e+21",
        ok: "true",
      },
    ]);
  });
});

test("writeCsv() writes the header from explicit columns: their order, empty cells for missing keys, extra keys left out", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "out.csv");
    await lastValueFrom(from([{ b: 1, a: 2, extra: "x" }, { a: 3 }]).pipe(writeCsv(file, { columns: ["a", "b"] })));
    assert.equal(fs.readFileSync(file, "utf8"), "a,b\n2,1\n3,\n");
  });
});

test("writeCsv() without columns takes the keys of the first row and writes nested values as JSON", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "out.csv");
    const rows = [
      { url: "https://a.example/", links: ["https://b.example/"], meta: { depth: 1 } },
      { url: "https://c.example/", later: "dropped" },
    ];
    await lastValueFrom(from(rows).pipe(writeCsv(file)));
    assert.deepEqual(readCsv(file), [
      { url: "https://a.example/", links: '["https://b.example/"]', meta: '{"depth":1}' },
      { url: "https://c.example/", links: "", meta: "" },
    ]);
  });
});

test("writeCsv() leaves the header alone on an empty stream with explicit columns, and an empty file without them", async () => {
  await withTmp(async (dir) => {
    const withColumns = path.join(dir, "with.csv");
    const without = path.join(dir, "without.csv");
    assert.deepEqual(
      await lastValueFrom(EMPTY.pipe(writeCsv(withColumns, { columns: ["url", "title"] }), toArray())),
      [],
    );
    await lastValueFrom(EMPTY.pipe(writeCsv(without), toArray()));
    assert.equal(fs.readFileSync(withColumns, "utf8"), "url,title\n");
    assert.equal(fs.readFileSync(without, "utf8"), "");
  });
});

test("writeCsv() starts the file with a UTF-8 byte order mark when asked", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "excel.csv");
    await lastValueFrom(from([{ title: "活着" }]).pipe(writeCsv(file, { bom: true })));
    assert.deepEqual([...fs.readFileSync(file).subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(fs.readFileSync(file, "utf8"), "\uFEFFtitle\n活着\n");
  });
});

test("writeCsv() rejects an empty columns list up front", () => {
  assert.throws(() => writeCsv("out.csv", { columns: [] }), {
    name: "UsageError",
    message: "Expected columns to name at least one column, got none",
  });
});

test("writeJsonl() writes one JSON object per line that reads back equal, newlines and quotes included", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "pages.jsonl");
    const rows = [...TRICKY, { nested: { links: ["https://a.example/"] }, dropped: undefined }];
    const passed = await lastValueFrom(from(rows).pipe(writeJsonl(file), toArray()));
    assert.deepEqual(passed, rows);
    assert.deepEqual(readJsonl(file), [...TRICKY, { nested: { links: ["https://a.example/"] } }]);
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, rows.length + 1);
  });
});

test("writeJsonl() leaves an empty file on an empty stream", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "empty.jsonl");
    await lastValueFrom(EMPTY.pipe(writeJsonl(file), toArray()));
    assert.equal(fs.readFileSync(file, "utf8"), "");
  });
});

test("writeCsv() and writeJsonl() replace a file that exists", async () => {
  await withTmp(async (dir) => {
    const csv = path.join(dir, "old.csv");
    const jsonl = path.join(dir, "old.jsonl");
    fs.writeFileSync(csv, "old,content\n1,2\n3,4\n");
    fs.writeFileSync(jsonl, '{"old":1}\n{"old":2}\n');
    await lastValueFrom(from([{ a: 1 }]).pipe(writeCsv(csv), writeJsonl(jsonl)));
    assert.equal(fs.readFileSync(csv, "utf8"), "a\n1\n");
    assert.equal(fs.readFileSync(jsonl, "utf8"), '{"a":1}\n');
  });
});

test("writeCsv() and writeJsonl() with append add rows after a file's own, with a header only in a new file", async () => {
  await withTmp(async (dir) => {
    const csv = path.join(dir, "rows.csv");
    const jsonl = path.join(dir, "rows.jsonl");
    const fresh = path.join(dir, "fresh.csv");
    const columns = ["a", "b"];
    fs.writeFileSync(csv, "a,b\n1,x\n");
    fs.writeFileSync(jsonl, '{"a":1}\n');
    await lastValueFrom(
      from([{ a: 2, b: "y, z" }]).pipe(
        writeCsv(csv, { columns, append: true, bom: true }),
        writeJsonl(jsonl, { append: true }),
        writeCsv(fresh, { columns, append: true }),
      ),
    );
    assert.equal(fs.readFileSync(csv, "utf8"), 'a,b\n1,x\n2,"y, z"\n');
    assert.equal(fs.readFileSync(jsonl, "utf8"), '{"a":1}\n{"a":2,"b":"y, z"}\n');
    assert.equal(fs.readFileSync(fresh, "utf8"), 'a,b\n2,"y, z"\n');
  });
});

for (const [name, sink, read, extension] of [
  [
    "writeCsv()",
    (file: string) => writeCsv<{ i: number; title: string }>(file, { columns: ["i", "title"] }),
    readCsv,
    "csv",
  ],
  ["writeJsonl()", (file: string) => writeJsonl<{ i: number; title: string }>(file), readJsonl, "jsonl"],
] as const) {
  test(`${name} writes rows as they arrive: the file holds the first rows before the stream completes`, async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, `live.${extension}`);
      const rows = new Subject<{ i: number; title: string }>();
      let completed = false;
      const passed: number[] = [];
      const done = new Promise<void>((resolve, reject) => {
        rows.pipe(sink(file)).subscribe({
          next: (row) => passed.push(row.i),
          error: reject,
          complete: () => {
            completed = true;
            resolve();
          },
        });
      });
      rows.next({ i: 1, title: "活着" });
      rows.next({ i: 2, title: "围城, 第二版" });
      // A row is passed on from its write's callback, which comes just after the file has it.
      await waitFor(() => hasRows(() => read(file), 2) && passed.length === 2, "the first two rows in the file, and passed on");
      assert.equal(completed, false);
      assert.deepEqual(passed, [1, 2]);
      rows.next({ i: 3, title: "三体" });
      rows.complete();
      await done;
      assert.equal(read(file).length, 3);
      assert.deepEqual(passed, [1, 2, 3]);
    });
  });

  test(`${name} writes 200,000 rows from a fast source fully and in order, and passes them on in order`, async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, `big.${extension}`);
      const count = 200_000;
      let next = 0;
      let outOfOrder = 0;
      await lastValueFrom(
        range(0, count).pipe(
          map((i) => ({ i, title: `书 ${i}` })),
          sink(file),
          map((row) => {
            if (row.i !== next++) outOfOrder++;
          }),
        ),
      );
      assert.equal(next, count);
      assert.equal(outOfOrder, 0);
      const lines = fs.readFileSync(file, "utf8").split("\n");
      const header = extension === "csv" ? 1 : 0;
      assert.equal(lines.length, header + count + 1);
      assert.equal(lines.at(-1), "");
      for (let i = 0; i < count; i++) {
        const line = lines[header + i]!;
        const expected = extension === "csv" ? `${i},书 ${i}` : JSON.stringify({ i, title: `书 ${i}` });
        if (line !== expected)
          assert.fail(`line ${header + i} is ${JSON.stringify(line)}, expected ${JSON.stringify(expected)}`);
      }
    });
  });

  test(`${name} passes a row on only once the file holds it: a row passed on survives the process`, async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, `durable.${extension}`);
      const header = extension === "csv" ? 1 : 0;
      const behind: number[] = [];
      await lastValueFrom(
        range(0, 2000).pipe(
          map((i) => ({ i, title: `书 ${i} `.repeat(i % 7) })),
          sink(file),
          map((row) => {
            const lines = fs.readFileSync(file, "utf8").split("\n").length - 1;
            if (lines < header + row.i + 1) behind.push(row.i);
          }),
        ),
        { defaultValue: undefined },
      );
      assert.deepEqual(behind, [], "rows passed on before the file held them");
      assert.equal(read(file).length, 2000);
    });
  });

  test(`${name} leaves a valid file, every line complete, when unsubscribed mid-stream`, async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, `stopped.${extension}`);
      const rows = new Subject<{ i: number; title: string }>();
      const subscription = rows.pipe(sink(file)).subscribe();
      const count = 5000;
      const long = '"长" 的标题, with commas\nand lines '.repeat(10);
      for (let i = 0; i < count; i++) rows.next({ i, title: `${i} ${long}` });
      subscription.unsubscribe();
      rows.next({ i: count, title: "after the unsubscribe" });
      await waitFor(() => hasRows(() => read(file), count), `${count} complete rows in the file`);
      const written = read(file) as { i: number | string; title: string }[];
      assert.deepEqual(
        written.map((row) => Number(row.i)),
        Array.from({ length: count }, (_, i) => i),
      );
      assert.ok(written.every((row, i) => row.title === `${i} ${long}`));
    });
  });

  test(`${name} flushes the rows so far and passes on the source's own error`, async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, `failed.${extension}`);
      const failure = new Error("upstream failed");
      const source: Observable<{ i: number; title: string }> = concat(
        from([
          { i: 1, title: "a" },
          { i: 2, title: "b" },
        ]),
        throwError(() => failure),
      );
      await assert.rejects(lastValueFrom(source.pipe(sink(file))), (error) => error === failure);
      assert.equal(read(file).length, 2);
    });
  });

  test(`${name} fails with a UsageError "Cannot write ..." for a path under a regular file`, async () => {
    await withTmp(async (dir) => {
      const notAFolder = path.join(dir, "file");
      fs.writeFileSync(notAFolder, "x");
      const target = path.join(notAFolder, `x.${extension}`);
      await assert.rejects(lastValueFrom(from([{ i: 1, title: "a" }]).pipe(sink(target))), (error) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, new RegExp(`^Cannot write ${escapeRegExp(target)}: E(EXIST|NOTDIR)`));
        assert.ok(error.cause instanceof Error);
        return true;
      });
    });
  });

  test(`${name} fails with a UsageError "Cannot write ..." for a path that is a folder`, async () => {
    await withTmp(async (dir) => {
      await assert.rejects(lastValueFrom(from([{ i: 1, title: "a" }]).pipe(sink(dir))), (error) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, new RegExp(`^Cannot write ${escapeRegExp(dir)}: EISDIR`));
        return true;
      });
    });
  });
}

test("writeJsonl() passes rows on at the pace a slow target takes them, not ahead of it", async () => {
  let taken = 0;
  const target = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      setImmediate(() => {
        taken += chunk.length;
        callback();
      });
    },
  });
  const count = 20_000;
  let passed = 0;
  let passedBytes = 0;
  let maxAhead = 0;
  await lastValueFrom(
    range(0, count).pipe(
      map((i) => ({ i, title: `第 ${i} 本书` })),
      writeJsonl(target),
      map((row) => {
        passed++;
        passedBytes += Buffer.byteLength(`${JSON.stringify(row)}\n`);
        maxAhead = Math.max(maxAhead, passedBytes - taken);
      }),
    ),
  );
  assert.equal(passed, count);
  assert.ok(passedBytes > 500_000, `${passedBytes} bytes`);
  // What sits between the sink and the target: the sink's own stream buffer (16 KB) and the target's (1 KB).
  assert.ok(maxAhead <= 64 * 1024, `rows were passed on ${maxAhead} bytes ahead of what the target had taken`);
});

test("writeCsv() and writeJsonl() write to a Writable and leave it open", async () => {
  for (const [sink, expected] of [
    [writeCsv<{ a: number; b: string }>, 'a,b\n1,x\n2,"y,z"\nmore\n'],
    [writeJsonl<{ a: number; b: string }>, '{"a":1,"b":"x"}\n{"a":2,"b":"y,z"}\nmore\n'],
  ] as const) {
    const target = new PassThrough();
    const chunks: Buffer[] = [];
    target.on("data", (chunk: Buffer) => chunks.push(chunk));
    await lastValueFrom(
      from([
        { a: 1, b: "x" },
        { a: 2, b: "y,z" },
      ]).pipe(sink(target)),
    );
    assert.equal(target.writableEnded, false);
    assert.equal(target.destroyed, false);
    target.end("more\n");
    await new Promise((resolve) => target.on("end", resolve));
    assert.equal(Buffer.concat(chunks).toString("utf8"), expected);
  }
});

test("writeRows() picks CSV for .csv and JSON Lines for .jsonl and .ndjson, whatever the case", async () => {
  await withTmp(async (dir) => {
    const rows = [{ url: "https://a.example/", title: "甲, 乙" }];
    for (const name of ["a.csv", "B.CSV", "c.jsonl", "d.ndjson", "E.JSONL"]) {
      await lastValueFrom(from(rows).pipe(writeRows(path.join(dir, name))));
    }
    const csv = 'url,title\nhttps://a.example/,"甲, 乙"\n';
    const jsonl = '{"url":"https://a.example/","title":"甲, 乙"}\n';
    assert.equal(fs.readFileSync(path.join(dir, "a.csv"), "utf8"), csv);
    assert.equal(fs.readFileSync(path.join(dir, "B.CSV"), "utf8"), csv);
    for (const name of ["c.jsonl", "d.ndjson", "E.JSONL"])
      assert.equal(fs.readFileSync(path.join(dir, name), "utf8"), jsonl, name);
  });
});

test("writeRows() passes columns to CSV and writes JSON Lines to a stream", async () => {
  await withTmp(async (dir) => {
    const file = path.join(dir, "cols.csv");
    await lastValueFrom(EMPTY.pipe(writeRows(file, { columns: ["url", "status"] }), toArray()));
    assert.equal(fs.readFileSync(file, "utf8"), "url,status\n");
  });
  const target = new PassThrough();
  let text = "";
  target.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  await lastValueFrom(from([{ status: 200 }]).pipe(writeRows(target)));
  assert.equal(text, '{"status":200}\n');
  assert.equal(target.writableEnded, false);
});

test("writeRows() rejects any other extension up front, before a file is created", async () => {
  await withTmp(async (dir) => {
    for (const name of ["out.json", "out.txt", "out", "out.csv.gz"]) {
      const file = path.join(dir, name);
      assert.throws(() => writeRows(file), {
        name: "UsageError",
        message: `Expected the output file to end in .csv, .jsonl or .parquet, got ${JSON.stringify(file)}`,
      });
    }
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

test("writeRows() rejects up front a path it cannot write: a folder, a file in the way, and creates nothing", async () => {
  await withTmp(async (dir) => {
    fs.mkdirSync(path.join(dir, "rows.csv"));
    fs.writeFileSync(path.join(dir, "a-file"), "");
    const cases: [string, string][] = [
      [path.join(dir, "rows.csv"), "it is a folder"],
      [path.join(dir, "a-file", "deeper", "rows.csv"), `${path.join(dir, "a-file")} is not a folder`],
    ];
    for (const [file, reason] of cases) {
      assert.throws(() => writeRows(file), { name: "UsageError", message: `Cannot write ${file}: ${reason}` });
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a-file", "rows.csv"]);
    // Folders that do not exist yet are fine: the sink makes them.
    assert.doesNotThrow(() => writeRows(path.join(dir, "new", "sub", "rows.jsonl")));
  });
});
