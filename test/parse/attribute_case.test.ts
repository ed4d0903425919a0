// Pages written in upper case, as many old sites are: HTML attribute names are case-insensitive, and links and fields
// must be found whatever the case of the markup, as a browser finds them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as dom from "linkedom";
import { lowerCaseAttributeNames } from "../../src/parse/linkedom/attribute_case.ts";
import { compileSpec, parsePage, type PageSpec } from "../../src/parse/parse_page.ts";
import { ParserPool } from "../../src/parse/parser_pool.ts";
import { parseDocument } from "../../src/parse/select.ts";
import { fetchedPage } from "../helpers/page.ts";

const PAGE_URL = "http://bob.example/trains/index.html";
const UPPER = readFileSync(new URL("../fixtures/upper_case.html", import.meta.url));
/** The page as an old server sends it: `Content-Type: text/html`, the charset in a <META HTTP-EQUIV>. */
const upperCasePage = () => fetchedPage(PAGE_URL, UPPER, { contentType: "text/html" });

const SPEC: PageSpec = {
  follow: "a[href], AREA[HREF]",
  extract: {
    banner: "IMG@SRC",
    alt: "img@alt",
    sku: "[data-sku]@DATA-SKU",
    price: "p.Price",
    updated: "#Updated",
    description: 'meta[name="Description"]@content',
    search: "form@Action",
  },
};

const EXPECTED = {
  title: "Bob's Model Railway Page",
  fields: {
    banner: "images/banner.gif",
    alt: "Bob's Trains",
    sku: "HO-1234",
    price: "$49.95",
    updated: "March 3, 1999",
    description: "Layouts, kits and links since 1997",
    search: "search.cgi",
  },
  links: [
    "http://bob.example/trains/layouts.html",
    "http://bob.example/trains/kits/index.html",
    "http://bob.example/guestbook.cgi?action=sign",
    "http://bob.example/trains/links.html",
    "http://bob.example/trains/area.html",
  ],
};

test("an upper-case page parses with lower-case attribute names and tag names, as a browser's parser gives them", () => {
  const document = parseDocument(UPPER.toString("latin1"));
  const img = document.querySelector("img")!;
  assert.deepEqual([...img.getAttributeNames()], ["src", "width", "height", "alt", "border"]);
  assert.equal(img.tagName, "IMG");
  assert.equal(document.querySelector("a")!.outerHTML, '<a href="layouts.html">Layouts</a>');
  assert.equal(document.querySelectorAll("a[href]").length, 5, "mixed case (Href) and lower case too; not <A NAME>");
  assert.equal(document.querySelector("[class=Date]")?.textContent, "March 3, 1999", "values keep their case");
});

test("parsePage() follows every link and takes every field of an upper-case page, whatever the selectors' case", () => {
  const record = parsePage(upperCasePage(), compileSpec(SPEC));
  assert.equal(record.error, "");
  assert.deepEqual({ title: record.title, fields: record.fields, links: record.links }, EXPECTED);
  assert.equal(record.charset, "windows-1252", "the charset of its <META HTTP-EQUIV>");
});

test("parser threads, on the bundled parser, see an upper-case page as the fetching thread does", async () => {
  const pool = new ParserPool(1, SPEC);
  try {
    const record = await pool.parse(upperCasePage());
    assert.deepEqual({ title: record.title, fields: record.fields, links: record.links }, EXPECTED);
  } finally {
    await pool.close();
  }
});

test("lowerCaseAttributeNames() changes HTML documents only, once however often it is called", () => {
  lowerCaseAttributeNames(dom);
  lowerCaseAttributeNames(dom);
  const html = new dom.DOMParser().parseFromString('<P ID="a" dataFoo="x">x</P>', "text/html");
  assert.deepEqual([...html.querySelector("p")!.getAttributeNames()], ["id", "datafoo"]);
  assert.equal(html.createAttribute("ÄBC").name, "Äbc", "ASCII letters only, as HTML lower-cases names");
  const xml = new dom.DOMParser().parseFromString('<root><Item Kind="x"/></root>', "text/xml");
  assert.deepEqual([...xml.querySelector("Item")!.getAttributeNames()], ["Kind"], "XML keeps its case");
});
