import { test } from "node:test";
import assert from "node:assert/strict";
import { collapse, pageTitle, parseDocument, selectAttr, selectText } from "../../src/parse/select.ts";

test("pageTitle() returns the <title> with whitespace collapsed", () => {
  assert.equal(
    pageTitle(parseDocument("<html><head><title>\n  活着\n\t (豆瓣)  </title></head></html>")),
    "活着 (豆瓣)",
  );
});

test("pageTitle() returns an empty string for a page without a <title>, or with an empty one", () => {
  assert.equal(pageTitle(parseDocument("<html><body><h1>No title</h1></body></html>")), "");
  assert.equal(pageTitle(parseDocument("<title>   </title>")), "");
});

test("pageTitle() decodes entities and takes the first <title> only", () => {
  assert.equal(pageTitle(parseDocument("<title>Tom &amp; Jerry &lt;3</title><title>second</title>")), "Tom & Jerry <3");
});

test("selectText() returns the collapsed text of the first match, nested elements included", () => {
  const document = parseDocument('<div class="a"> first  <b>bold</b>\n text </div><div class="a">second</div>');
  assert.equal(selectText(document, "div.a"), "first bold text");
});

test("selectText() returns null when nothing matches, and an empty string for an empty element", () => {
  const document = parseDocument("<p class=empty></p>");
  assert.equal(selectText(document, "h1"), null);
  assert.equal(selectText(document, "p.empty"), "");
});

test("selectText() searches within the element it is given", () => {
  const document = parseDocument('<p class="x">outside</p><section><p class="x">inside</p></section>');
  const section = document.querySelector("section");
  assert.ok(section !== null);
  assert.equal(selectText(section, "p.x"), "inside");
});

test("parseDocument() repairs broken markup instead of throwing: implied ends, stray end tags", () => {
  const document = parseDocument("<ul><li>one<li>two</ul><p>para<div>after</span></div><td>stray");
  assert.equal(selectText(document, "li + li"), "two");
  assert.equal(selectText(document, "p"), "para");
  assert.equal(selectText(document, "div"), "after");
});

test("selectAttr() returns the attribute of the first match, entities decoded", () => {
  const document = parseDocument('<img class="cover" src="/c.jpg?a=1&amp;b=2"><img class="cover" src="/d.jpg">');
  assert.equal(selectAttr(document, "img.cover", "src"), "/c.jpg?a=1&b=2");
});

test("selectAttr() returns null when nothing matches or the attribute is missing, and '' for an empty one", () => {
  const document = parseDocument('<a class="x">no href</a><a class="y" href="">empty</a>');
  assert.equal(selectAttr(document, "img", "src"), null);
  assert.equal(selectAttr(document, "a.x", "href"), null);
  assert.equal(selectAttr(document, "a.y", "href"), "");
});

test("collapse() turns runs of whitespace, non-breaking and ideographic spaces included, into one space and trims", () => {
  assert.equal(collapse("  a \t\n b\r\n\r\nc  "), "a b c");
  assert.equal(collapse("\u3000作者\u00a0\u00a0余华\u3000"), "作者 余华");
  assert.equal(collapse(" \n\t "), "");
  assert.equal(collapse("unchanged"), "unchanged");
});
