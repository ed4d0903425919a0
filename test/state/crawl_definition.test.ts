import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSameCrawl, type CrawlDefinition, crawlDifference } from "../../src/state/crawl_definition.ts";

const STORED: CrawlDefinition = {
  start: ["https://example.com/"],
  follow: { selector: "a[href]" },
  extract: { fields: { h1: "h1", image: "img@src" } },
  hosts: ["example.com"],
  allow: [],
  deny: [],
  maxDepth: null,
  sitemap: false,
  columns: ["url", "h1", "image"],
};

test("crawlDifference() names the first part that differs, in the definition's order, and nothing for the same crawl", () => {
  assert.equal(crawlDifference(STORED, structuredClone(STORED)), undefined);
  assert.equal(crawlDifference(STORED, { ...STORED, extract: { fields: { image: "img@src", h1: "h1" } } }), undefined, "key order aside");
  assert.equal(crawlDifference(STORED, { ...STORED, follow: { selector: "main a" }, maxDepth: 2 }), "follow");
  assert.equal(crawlDifference(STORED, { ...STORED, start: ["https://example.org/"], hosts: ["example.org"] }), "start");
  assert.equal(crawlDifference(STORED, { ...STORED, extract: null, columns: ["url"] }), "extract");
  assert.equal(crawlDifference(STORED, { ...STORED, start: [] }), undefined, "a process joining brings no start URL");
});

test("checkSameCrawl() throws a UsageError naming the part and both values", () => {
  assert.throws(() => checkSameCrawl(STORED, { ...STORED, follow: { selector: "main a" } }, "the crawl of x.csv.journal"), {
    name: "UsageError",
    message: 'Cannot continue the crawl of x.csv.journal: follow differs (it has {"selector":"a[href]"}, got {"selector":"main a"})',
  });
});
