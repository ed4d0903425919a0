import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { from, lastValueFrom, toArray } from "rxjs";
import { renderDemoPage } from "../../src/demo/demo_site.ts";
import { DOUBAN_FIELDS, DOUBAN_RECOMMENDATIONS, doubanBook } from "../../src/parse/douban.ts";
import { extractLinks } from "../../src/parse/links.ts";
import { parseHtml } from "../../src/parse/parse_html.ts";
import { compileSpec, parsePage } from "../../src/parse/parse_page.ts";
import { parseDocument } from "../../src/parse/select.ts";
import { fetchedPage } from "../helpers/page.ts";

const FIXTURE_URL = "https://book.douban.com/subject/1770782/";
const FIXTURE = readFileSync(new URL("../fixtures/douban_book.html", import.meta.url), "utf8");
const ORIGIN = "http://127.0.0.1:8080";

function book(html: string) {
  return doubanBook(parseDocument(html));
}

/** What a demo page says about its book, read from the HTML with patterns independent of the extractor. */
function demoBook(html: string) {
  const pick = (pattern: RegExp): string => {
    const value = pattern.exec(html)?.[1];
    assert.ok(value !== undefined, `the demo page has no match for ${pattern}`);
    return value;
  };
  return {
    title: pick(/<span property="v:itemreviewed">([^<]+)<\/span>/),
    author: pick(/作者<\/span>: <a[^>]*>([^<]+)<\/a>/),
    publisher: pick(/出版社:<\/span> <a[^>]*>([^<]+)<\/a>/),
    year: Number(pick(/出版年:<\/span> (\d{4})-\d{1,2}<br/)),
    rating: Number(pick(/property="v:average"> (\d+\.\d) </)),
    ratings: Number(pick(/<span property="v:votes">(\d+)<\/span>/)),
    isbn: pick(/ISBN:<\/span> (\d{13})<br/),
  };
}

test("doubanBook() extracts every field from a real-shaped Douban book page", () => {
  assert.deepEqual(book(FIXTURE), {
    title: "追风筝的人",
    author: "[美] 卡勒德·胡赛尼",
    publisher: "上海人民出版社",
    year: 2006,
    rating: 8.9,
    ratings: 1046125,
    isbn: "9787208061644",
  });
});

test("doubanBook() returns its fields in DOUBAN_FIELDS order", () => {
  assert.deepEqual(Object.keys(book(FIXTURE)), [...DOUBAN_FIELDS]);
});

test("DOUBAN_RECOMMENDATIONS selects the recommended books of a Douban page, in order, once each", () => {
  assert.deepEqual(extractLinks(parseDocument(FIXTURE), DOUBAN_RECOMMENDATIONS, FIXTURE_URL), [
    "https://book.douban.com/subject/2143732/",
    "https://book.douban.com/subject/25836270/",
    "https://book.douban.com/subject/10554308/",
    "https://book.douban.com/subject/4913064/",
    "https://book.douban.com/subject/25862578/",
    "https://book.douban.com/subject/1046265/?from=rec",
  ]);
});

test("parsePage() with doubanBook and DOUBAN_RECOMMENDATIONS reads the fixture's title, fields and links", () => {
  const record = parsePage(
    fetchedPage(FIXTURE_URL, FIXTURE),
    compileSpec({ extract: doubanBook, follow: DOUBAN_RECOMMENDATIONS }),
  );
  assert.equal(record.title, "追风筝的人 (豆瓣)");
  assert.equal(record.fields.isbn, "9787208061644");
  assert.equal(record.links.length, 6);
  assert.equal(record.error, "");
});

test("doubanBook() extracts every field of demo site pages, as the page's own markup states them", () => {
  for (let id = 0; id < 20; id++) {
    const html = renderDemoPage(id, ORIGIN, { pages: 20, links: 5, bodyKb: 2 });
    const expected = demoBook(html);
    assert.deepEqual(book(html), expected, `page ${id}`);
    assert.match(expected.isbn, /^9787\d{9}$/);
  }
  // Titles follow the id: page 3 is one that needs quoting in CSV.
  assert.equal(book(renderDemoPage(3, ORIGIN, { pages: 20 })).title, '百年孤独 3, "典藏版"');
});

test("DOUBAN_RECOMMENDATIONS selects exactly the recommendations of a demo site page", () => {
  const html = renderDemoPage(7, ORIGIN, { pages: 50, links: 10 });
  const links = extractLinks(parseDocument(html), DOUBAN_RECOMMENDATIONS, `${ORIGIN}/subject/7/`);
  const recommended = [...html.matchAll(/<dt><a href="([^"]+)"/g)].map((match) => match[1]);
  assert.equal(links.length, 10);
  assert.deepEqual(links, recommended);
  assert.equal(links[0], `${ORIGIN}/subject/8/`);
});

test("doubanBook() gives null for what a page lacks, and takes the title from <title> without ' (豆瓣)'", () => {
  assert.deepEqual(book("<html><head><title>活着 (豆瓣)</title></head><body><div id='info'></div></body></html>"), {
    title: "活着",
    author: null,
    publisher: null,
    year: null,
    rating: null,
    ratings: null,
    isbn: null,
  });
  assert.equal(book("<p>no title at all</p>").title, null);
});

test("doubanBook() reads 出版年 in other spellings, an empty rating and several authors", () => {
  const page = (year: string) => `<div id="info">
    <span><span class="pl">作者</span>: <a href="/a/1">[英] 尼尔·盖曼</a> / <a href="/a/2">[英] 特里·普拉切特</a></span><br/>
    <span class="pl">出版年:</span> ${year}<br/>
  </div><strong class="ll rating_num " property="v:average"> </strong>`;
  assert.deepEqual(book(page("2019年3月")), {
    title: null,
    author: "[英] 尼尔·盖曼 / [英] 特里·普拉切特",
    publisher: null,
    year: 2019,
    rating: null,
    ratings: null,
    isbn: null,
  });
  assert.equal(book(page("1998-1-1")).year, 1998);
  assert.equal(book(page("不详")).year, null);
});

test("doubanBook() runs on worker threads and gives the same fields there as inline", async () => {
  const pages = () => [
    fetchedPage(FIXTURE_URL, FIXTURE),
    ...Array.from({ length: 5 }, (_, id) =>
      fetchedPage(`${ORIGIN}/subject/${id}/`, renderDemoPage(id, ORIGIN, { pages: 5, links: 3 })),
    ),
  ];
  const run = (workers: number) =>
    lastValueFrom(
      from(pages()).pipe(parseHtml({ extract: doubanBook, follow: DOUBAN_RECOMMENDATIONS, workers }), toArray()),
    );
  const inline = await run(0);
  const threaded = await run(1);
  assert.equal(inline[0]?.fields.title, "追风筝的人");
  // Workers emit in the order pages finish: put them back in input order.
  const order = inline.map((record) => record.url);
  assert.deepEqual(
    threaded.sort((a, b) => order.indexOf(a.url) - order.indexOf(b.url)),
    inline,
  );
});
