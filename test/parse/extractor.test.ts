import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  checkSelector,
  defineExtractor,
  fieldExtractor,
  isPortable,
  type PageInfo,
  parseFieldFlags,
} from "../../src/parse/extractor.ts";
import { parseDocument } from "../../src/parse/select.ts";

const PAGE: PageInfo = {
  url: "https://example.com/p",
  finalUrl: "https://example.com/p",
  depth: 0,
  status: 200,
  contentType: "text/html",
  error: "",
  errorCode: "",
  attempts: 1,
  retries: 0,
  redirects: 0,
  wireBytes: 0,
  responseMs: 0,
  fetchedAt: "2024-01-01T00:00:00.000Z",
};

const HTML = `<html><head><meta property="og:title" content="活着 (典藏版)"></head><body>
<h1>  活着
  <small>余华</small> </h1>
<img class="cover" src="/covers/1.jpg" alt="">
<a class="next" href="/p/2" rel="next">next</a>
<svg><use xlink:href="#icon"></use></svg>
</body></html>`;

test("fieldExtractor() takes the collapsed text of the first match for `css`", () => {
  const extract = fieldExtractor({ title: "h1", link: "a.next" });
  assert.deepEqual(extract(parseDocument(HTML), PAGE), { title: "活着 余华", link: "next" });
});

test("fieldExtractor() takes an attribute for `css@attr`, with or without space before the @", () => {
  const extract = fieldExtractor({
    cover: "img.cover@src",
    alt: "img.cover @alt",
    og: 'meta[property="og:title"]@content',
    rel: "a[href^='/p/']@rel",
    icon: "use@xlink:href",
  });
  assert.deepEqual(extract(parseDocument(HTML), PAGE), {
    cover: "/covers/1.jpg",
    alt: "",
    og: "活着 (典藏版)",
    rel: "next",
    icon: "#icon",
  });
});

test("fieldExtractor() gives null for a selector that matches nothing and for a missing attribute", () => {
  const extract = fieldExtractor({ price: ".price", priceAttr: ".price@data-value", noTitle: "img.cover@title" });
  assert.deepEqual(extract(parseDocument(HTML), PAGE), { price: null, priceAttr: null, noTitle: null });
});

test("fieldExtractor() keeps the order of the fields", () => {
  const extract = fieldExtractor({ b: "h1", a: "a.next", c: ".none" });
  assert.deepEqual(Object.keys(extract(parseDocument(HTML), PAGE)), ["b", "a", "c"]);
});

test("fieldExtractor() rejects invalid CSS up front with a UsageError naming the field", () => {
  assert.throws(() => fieldExtractor({ ok: "h1", price: "span[class" }), {
    name: "UsageError",
    message: 'Expected field price to be a valid CSS selector, got "span[class"',
  });
  assert.throws(
    () => fieldExtractor({ cover: "img[src@src" }),
    (error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, 'Expected field cover to be a valid CSS selector, got "img[src"');
      return true;
    },
  );
});

test("parseFieldFlags() turns name=css flags into a fields object, trimming both sides", () => {
  assert.deepEqual(
    parseFieldFlags(["price=.price", " cover = img.cover@src ", "next_link=a[rel=next]@href", "data-id=#x"]),
    {
      price: ".price",
      cover: "img.cover@src",
      next_link: "a[rel=next]@href",
      "data-id": "#x",
    },
  );
  assert.deepEqual(parseFieldFlags([]), {});
});

test("parseFieldFlags() rejects a flag without a name, a selector or an '=', or with a bad name, quoting it", () => {
  for (const flag of ["price", "=.price", "price=", "price=   ", "1st=.x", "my price=.x", "价格=.price", ""]) {
    assert.throws(
      () => parseFieldFlags(["ok=.ok", flag]),
      {
        name: "UsageError",
        message: `Expected --extract to be name=<css selector>, got ${JSON.stringify(flag)}`,
      },
      flag,
    );
  }
});

test("checkSelector() returns a valid selector unchanged", () => {
  for (const selector of [
    "#db-rec-section dt a",
    "a[href]",
    'span[property="v:votes"]',
    "ul > li:nth-child(2n+1)",
    "h1, h2",
  ]) {
    assert.equal(checkSelector(selector, "follow"), selector);
  }
});

test("checkSelector() throws a UsageError naming what the selector was for and quoting it", () => {
  for (const selector of ["a[href", "###", "div:no-such-pseudo", ":nth-child(", "a]", "", "   "]) {
    assert.throws(
      () => checkSelector(selector, "follow"),
      {
        name: "UsageError",
        message: `Expected follow to be a valid CSS selector, got ${JSON.stringify(selector)}`,
      },
      selector,
    );
  }
});

test("defineExtractor() marks the same function with its module and export name; plain functions are not portable", () => {
  const fn = (document: Document) => ({ h1: document.title });
  const marked = defineExtractor("file:///x/extract.ts", "h1", fn);
  assert.equal(marked, fn);
  assert.equal(marked.module, "file:///x/extract.ts");
  assert.equal(marked.exportName, "h1");
  assert.equal(isPortable(marked), true);
  assert.equal(
    isPortable(() => ({})),
    false,
  );
  assert.equal(isPortable({ module: "file:///x.ts", exportName: "x" }), false);
});
