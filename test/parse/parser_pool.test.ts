import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { ParserPool } from "../../src/parse/parser_pool.ts";
import { parserWorkerBundle } from "../../src/parse/worker_bundle.ts";
import { exitOnExit } from "../fixtures/extractors.ts";
import { fetchedPage } from "../helpers/page.ts";

const page = (name: string, h1: string) =>
  fetchedPage(`https://example.com/${name}`, `<title>${name}</title><h1>${h1}</h1><a href="/after-${name}">next</a>`);

/** A page of `count` links, each an element of its own: a document far bigger in memory than its bytes. */
function densePage(count: number) {
  const links = Array.from({ length: count }, (_, i) => `<a href="/d/${i % 1000}">${i % 10}</a>`).join("");
  return fetchedPage("https://example.com/dense", `<title>dense</title><div>${links}</div>`);
}

test("a page that ends its worker is an EPARSE record; the pages that worker held are parsed by its replacement", async () => {
  const pool = new ParserPool(1, { follow: "a[href]", extract: exitOnExit });
  try {
    // One worker: all four pages are in its hands when the second one ends it.
    const records = await Promise.all([page("a", "A"), page("b", "exit"), page("c", "C"), page("d", "D")].map((p) => pool.parse(p)));
    assert.deepEqual(
      records.map((r) => [r.url, r.errorCode, r.fields.h1 ?? null, r.links]),
      [
        ["https://example.com/a", "", "A", ["https://example.com/after-a"]],
        ["https://example.com/b", "EPARSE", null, []],
        ["https://example.com/c", "", "C", ["https://example.com/after-c"]],
        ["https://example.com/d", "", "D", ["https://example.com/after-d"]],
      ],
    );
    assert.equal(records[1]!.error, "Parser worker failed: Parser worker exited with code 3 (https://example.com/b)");
    const later = await pool.parse(page("e", "E"));
    assert.equal(later.fields.h1, "E", "the pool goes on with the new worker");
  } finally {
    await pool.close();
  }
});

test("a page whose document outgrows a worker's old generation is parsed again alone, without the cap, in full", async () => {
  // The premise: on a worker capped at 24 MB, this page alone runs out of memory.
  const capped = new Worker((await parserWorkerBundle())!, {
    workerData: { spec: { follow: "a[href]", extract: undefined } },
    resourceLimits: { maxOldGenerationSizeMb: 24 },
  });
  await once(capped, "message");
  capped.postMessage({ id: 0, page: densePage(200_000) });
  const [error] = (await once(capped, "error")) as [NodeJS.ErrnoException];
  assert.equal(error.code, "ERR_WORKER_OUT_OF_MEMORY");

  const pool = new ParserPool(1, { follow: "a[href]" }, { oldGenerationMb: 24 });
  try {
    const dense = densePage(200_000);
    const records = await Promise.all([page("a", "A"), dense, page("c", "C")].map((p) => pool.parse(p)));
    assert.deepEqual(
      records.map((r) => [r.url, r.errorCode, r.title, r.links.length]),
      [
        ["https://example.com/a", "", "a", 1],
        ["https://example.com/dense", "", "dense", 1000],
        ["https://example.com/c", "", "c", 1],
      ],
    );
    assert.equal((await pool.parse(page("e", "E"))).title, "e", "the capped pool goes on");
  } finally {
    await pool.close();
  }
});

test("close() while pages are being parsed ends them as EPARSE records", async () => {
  const pool = new ParserPool(1, { follow: "a[href]" });
  const pending = pool.parse(densePage(100_000));
  await new Promise((resolve) => setTimeout(resolve, 300)); // the worker has started on it
  await pool.close();
  const record = await pending;
  assert.equal(record.errorCode, "EPARSE");
  assert.match(record.error, /^Parser worker failed: /);
});

test("parse() after close() rejects: the pool has no thread left", async () => {
  const pool = new ParserPool(1, { follow: "a[href]" });
  await pool.close();
  await assert.rejects(pool.parse(page("a", "A")), { message: "The parser pool is closed" });
});
