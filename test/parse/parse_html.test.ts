import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { from, lastValueFrom, toArray } from "rxjs";
import { UsageError } from "../../src/errors.ts";
import type { PageInfo } from "../../src/parse/extractor.ts";
import { parseHtml, type ParseHtmlOptions } from "../../src/parse/parse_html.ts";
import type { FetchedPage, PageRecord } from "../../src/records.ts";
import { misnamed, nextLinks, product } from "../fixtures/extractors.ts";
import { fetchedPage } from "../helpers/page.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const GBK_TITLE = Buffer.concat([
  Buffer.from('<meta charset="gbk"><title>'),
  Buffer.from("d6d0cec4", "hex"),
  Buffer.from("</title><h1>gbk</h1>"),
]);

/** A fresh set of pages of every kind parseHtml() meets. */
function samplePages(): FetchedPage[] {
  const item = (i: number) =>
    `<title>Item ${i}</title><h1>Item ${i}</h1><span class="price">${i}.5</span><img class="cover" src="/img/${i}.jpg">` +
    `<a href="/items/${i + 1}">next</a> <a class="next" href="?page=${i}#top">page</a> <a href="mailto:x@example.com">m</a>`;
  return [
    ...Array.from({ length: 12 }, (_, i) =>
      fetchedPage(`https://shop.example.com/items/${i}`, item(i), { depth: i % 3 }),
    ),
    fetchedPage("https://shop.example.com/gbk", GBK_TITLE, { contentType: "text/html" }),
    fetchedPage("https://shop.example.com/boom", "<title>Boom</title><h1>boom</h1><a href='/x'>x</a>"),
    fetchedPage("https://shop.example.com/missing", "<title>404</title>", {
      status: 404,
      error: "HTTP 404 Not Found",
      errorCode: "EHTTP",
    }),
    fetchedPage("https://shop.example.com/data.json", '{"a":1}', { contentType: "application/json" }),
    fetchedPage("https://shop.example.com/timeout", "", {
      status: 0,
      error: "No complete response within the timeout",
      errorCode: "ETIMEOUT",
    }),
  ];
}

async function parseAll(options: ParseHtmlOptions): Promise<PageRecord[]> {
  return lastValueFrom(from(samplePages()).pipe(parseHtml(options), toArray()));
}

function byUrl(records: PageRecord[]): PageRecord[] {
  return [...records].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

test("parseHtml() inline (workers: 0) emits one record per page, in input order, each parsed per its kind", async () => {
  const records = await parseAll({ extract: product, follow: "a[href]" });
  assert.deepEqual(
    records.map((r) => r.url),
    samplePages().map((p) => p.url),
  );
  const [first, gbk, boom, missing, json, timeout] = [0, 12, 13, 14, 15, 16].map((i) => records[i]!);
  assert.deepEqual(
    [first?.title, first?.fields, first?.links],
    [
      "Item 0",
      { h1: "Item 0", price: 0.5, cover: "/img/0.jpg", seenUrl: "https://shop.example.com/items/0", sawBody: false },
      ["https://shop.example.com/items/1", "https://shop.example.com/items/0?page=0"],
    ],
  );
  assert.deepEqual([gbk?.title, gbk?.charset], ["中文", "gbk"]);
  assert.deepEqual(
    [boom?.errorCode, boom?.error, boom?.links],
    ["EPARSE", "Extracting failed: no price on this page (https://shop.example.com/boom)", []],
  );
  assert.deepEqual([missing?.errorCode, missing?.title, missing?.charset], ["EHTTP", "", ""]);
  assert.deepEqual([json?.error, json?.title, json?.charset], ["", "", ""]);
  assert.deepEqual([timeout?.errorCode, timeout?.title], ["ETIMEOUT", ""]);
});

test("parseHtml() with workers: 1 and 2 gives the same records as inline for a portable extract and follow", async () => {
  const options = { extract: product, follow: nextLinks };
  const inline = byUrl(await parseAll(options));
  assert.equal(inline.find((r) => r.url.endsWith("/items/3"))?.links[0], "https://shop.example.com/items/3?page=3");
  // Both pools at once: most of the time goes to starting the worker threads.
  const [one, two] = await Promise.all([parseAll({ ...options, workers: 1 }), parseAll({ ...options, workers: 2 })]);
  assert.deepEqual(byUrl(one), inline);
  assert.deepEqual(byUrl(two), inline);
});

test("parseHtml() with workers gives the same records as inline for field selectors and follow: false", async () => {
  const options = { extract: { h1: "h1", cover: "img.cover@src", none: ".none" }, follow: false } as const;
  const inline = byUrl(await parseAll(options));
  assert.deepEqual(inline.find((r) => r.url.endsWith("/items/5"))?.fields, {
    h1: "Item 5",
    cover: "/img/5.jpg",
    none: null,
  });
  assert.deepEqual(byUrl(await parseAll({ ...options, workers: 1 })), inline);
});

test("parseHtml() rejects a plain function with workers > 0 up front, before anything is subscribed", () => {
  const extract = (document: Document) => ({ h1: document.title });
  const follow = (_document: Document, _page: PageInfo) => ["/x"];
  const message = (what: string) =>
    `Expected ${what} to be CSS or a function made with defineExtractor() to run in worker threads; use workers: 0 for a plain function`;
  assert.throws(() => parseHtml({ extract, workers: 1 }), { name: "UsageError", message: message("extract") });
  assert.throws(() => parseHtml({ follow, extract: product, workers: 2 }), {
    name: "UsageError",
    message: message("follow"),
  });
  assert.doesNotThrow(() => parseHtml({ extract, follow, workers: 0 }));
});

test("parseHtml() on workers fails with a UsageError when a defineExtractor() export does not exist", async () => {
  const started = performance.now();
  await assert.rejects(parseAll({ extract: misnamed, workers: 2 }), (error) => {
    assert.ok(error instanceof UsageError);
    assert.equal(
      error.message,
      `Parser workers cannot load the extract or follow function: ${misnamed.module} exports no function misspelled`,
    );
    return true;
  });
  // Not after restarting threads that die the same way for every page.
  assert.ok(performance.now() - started < 10_000);
});

test("parseHtml() rejects invalid selectors and a bad workers count up front", () => {
  assert.throws(() => parseHtml({ follow: "a[href", workers: 2 }), {
    name: "UsageError",
    message: 'Expected follow to be a valid CSS selector, got "a[href"',
  });
  for (const workers of [-1, 1.5, NaN]) {
    assert.throws(() => parseHtml({ workers }), {
      name: "UsageError",
      message: `Expected workers to be a non-negative integer, got ${workers}`,
    });
  }
});

test("parseHtml() on workers finishes, even when unsubscribed mid-stream, and leaves no thread running: the process exits", async () => {
  const script = fileURLToPath(new URL("../fixtures/parse_in_workers.ts", import.meta.url));
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", script],
        { cwd: ROOT, timeout: 15_000 },
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
        },
      );
    },
  );
  assert.equal(code, 0, `the script did not exit by itself within 15 s (code ${code}): ${stderr}`);
  assert.deepEqual(JSON.parse(stdout), { all: 40, errors: 0, some: 3, first: 0.5, last: 39.5 });
});
