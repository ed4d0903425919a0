import { test } from "node:test";
import assert from "node:assert/strict";
import type { PageInfo } from "../../src/parse/extractor.ts";
import { compileSpec, parsePage } from "../../src/parse/parse_page.ts";
import type { PageRecord } from "../../src/records.ts";
import { nextLinks, product } from "../fixtures/extractors.ts";
import { fetchedPage } from "../helpers/page.ts";

const URL_A = "https://shop.example.com/items/1";

const HTML = `<!DOCTYPE html><html><head><title> Item  1 | Shop </title></head><body>
<nav><a href="/">home</a> <a href="/items/2#reviews">next item</a> <a href="mailto:shop@example.com">mail</a></nav>
<h1>Item 1</h1><span class="price">12.5</span><img class="cover" src="/img/1.jpg">
<div class="pager"><a class="next" href="?page=2">2</a> <a class="next" href="https://Other.example:443/x#y">x</a></div>
</body></html>`;

/** The fields every record copies from its fetched page. */
function meta(url = URL_A, body = HTML): Omit<PageRecord, "title" | "fields" | "links" | "charset"> {
  const { body: bytes, ...rest } = fetchedPage(url, body);
  return { ...rest, bytes: bytes.byteLength };
}

test("parsePage() returns the page's metadata, title, charset and, by default, every a[href] link", () => {
  const record = parsePage(fetchedPage(URL_A, HTML), compileSpec({}));
  assert.deepEqual(record, {
    ...meta(),
    title: "Item 1 | Shop",
    fields: {},
    links: [
      "https://shop.example.com/",
      "https://shop.example.com/items/2",
      "https://shop.example.com/items/1?page=2",
      "https://other.example/x",
    ],
    charset: "utf-8",
  });
  assert.equal("body" in record, false);
});

test("parsePage() extracts fields given as { name: css | css@attr }", () => {
  const record = parsePage(
    fetchedPage(URL_A, HTML),
    compileSpec({ extract: { h1: "h1", price: ".price", cover: "img.cover@src", missing: ".nope" }, follow: false }),
  );
  assert.deepEqual(record.fields, { h1: "Item 1", price: "12.5", cover: "/img/1.jpg", missing: null });
});

test("parsePage() runs an extract function with the document and the page without its body", () => {
  const record = parsePage(
    fetchedPage(URL_A, HTML, { finalUrl: "https://shop.example.com/items/1?ref=redirect" }),
    compileSpec({ extract: product }),
  );
  assert.deepEqual(record.fields, {
    h1: "Item 1",
    price: 12.5,
    cover: "/img/1.jpg",
    seenUrl: "https://shop.example.com/items/1?ref=redirect",
    sawBody: false,
  });
});

test("parsePage() follows only the links a `follow` selector matches", () => {
  const record = parsePage(fetchedPage(URL_A, HTML), compileSpec({ follow: ".pager a" }));
  assert.deepEqual(record.links, ["https://shop.example.com/items/1?page=2", "https://other.example/x"]);
});

test("parsePage() resolves the hrefs of a follow function against the final URL, normalized and without repeats", () => {
  const html =
    '<a class="next" href="?page=2">2</a><a class="next" href="?page=2#top">again</a><a class="next" href="javascript:go()">js</a><a class="next" href="HTTP://B.example:80/">b</a>';
  const page = fetchedPage(URL_A, html, { finalUrl: "https://shop.example.com/moved/1" });
  assert.deepEqual(parsePage(page, compileSpec({ follow: nextLinks })).links, [
    "https://shop.example.com/moved/1?page=2",
    "http://b.example/",
  ]);
});

test("parsePage() with follow: false finds no links but still takes the title and fields", () => {
  const record = parsePage(fetchedPage(URL_A, HTML), compileSpec({ follow: false, extract: { h1: "h1" } }));
  assert.deepEqual([record.title, record.fields, record.links], ["Item 1 | Shop", { h1: "Item 1" }, []]);
});

test("parsePage() decodes the body with the page's charset and records it", () => {
  const gbk = Buffer.concat([
    Buffer.from("<title>"),
    Buffer.from("d6d0cec4", "hex"),
    Buffer.from("</title><h1>"),
    Buffer.from("c4e3bac3", "hex"),
    Buffer.from("</h1>"),
  ]);
  const record = parsePage(
    fetchedPage(URL_A, gbk, { contentType: "text/html; charset=GB2312" }),
    compileSpec({ extract: { h1: "h1" } }),
  );
  assert.deepEqual([record.title, record.fields, record.charset], ["中文", { h1: "你好" }, "gbk"]);
});

test("parsePage() passes a failed page through unparsed, its error kept, even when it has an HTML body", () => {
  const page = fetchedPage(URL_A, "<title>404 Not Found</title><a href='/x'>x</a>", {
    status: 404,
    error: "HTTP 404 Not Found (" + URL_A + ")",
    errorCode: "EHTTP",
  });
  assert.deepEqual(parsePage(page, compileSpec({ extract: { h1: "h1" } })), {
    ...meta(URL_A, "<title>404 Not Found</title><a href='/x'>x</a>"),
    status: 404,
    error: `HTTP 404 Not Found (${URL_A})`,
    errorCode: "EHTTP",
    title: "",
    fields: {},
    links: [],
    charset: "",
  });
});

test("parsePage() passes a non-HTML page and an empty body through unparsed", () => {
  const spec = compileSpec({ extract: product });
  for (const page of [
    fetchedPage(URL_A, '{"title":"<title>x</title>"}', { contentType: "application/json" }),
    fetchedPage(URL_A, "", { contentType: "text/html" }),
  ]) {
    const record = parsePage(page, spec);
    assert.deepEqual(
      [record.title, record.fields, record.links, record.charset, record.error],
      ["", {}, [], "", ""],
      page.contentType,
    );
  }
});

test("parsePage() parses a page without a Content-Type only when it looks like HTML", () => {
  const spec = compileSpec({});
  const html = parsePage(
    fetchedPage(URL_A, "<!-- generated -->\n<!doctype html><title>Untyped</title><a href='/a'>a</a>", {
      contentType: "",
    }),
    spec,
  );
  assert.deepEqual([html.title, html.links, html.charset], ["Untyped", ["https://shop.example.com/a"], "utf-8"]);
  const text = parsePage(
    fetchedPage(URL_A, "plain text that mentions <title>x</title> later", { contentType: "" }),
    spec,
  );
  assert.deepEqual([text.title, text.links, text.charset], ["", [], "utf-8"]);
});

test("parsePage() turns an extractor that throws into an EPARSE record with the page's URL, not a thrown error", () => {
  const page = fetchedPage(URL_A, "<title>Boom</title><h1>boom</h1><a href='/x'>x</a>");
  const record = parsePage(page, compileSpec({ extract: product }));
  assert.equal(record.errorCode, "EPARSE");
  assert.equal(record.error, `Extracting failed: no price on this page (${URL_A})`);
  assert.deepEqual([record.fields, record.links, record.status], [{}, [], 200]);
});

test("parsePage() turns a follow function that throws, even a non-Error, into an EPARSE record", () => {
  const follow = (_document: Document, _page: PageInfo): string[] => {
    throw "links unavailable";
  };
  const record = parsePage(fetchedPage(URL_A, HTML), compileSpec({ follow, extract: { h1: "h1" } }));
  assert.equal(record.errorCode, "EPARSE");
  assert.equal(record.error, `Extracting failed: links unavailable (${URL_A})`);
  assert.deepEqual(record.links, []);
});

test("compileSpec() rejects an invalid follow or field selector with a UsageError", () => {
  assert.throws(() => compileSpec({ follow: "a[href" }), {
    name: "UsageError",
    message: 'Expected follow to be a valid CSS selector, got "a[href"',
  });
  assert.throws(() => compileSpec({ extract: { price: ".price," } }), {
    name: "UsageError",
    message: 'Expected field price to be a valid CSS selector, got ".price,"',
  });
});

test("compileSpec() follows a[href] by default and has no extractor for an empty fields object", () => {
  const spec = compileSpec({ extract: {} });
  assert.equal(spec.extract, undefined);
  assert.notEqual(spec.follow, undefined);
  assert.equal(compileSpec({ follow: false }).follow, undefined);
});
