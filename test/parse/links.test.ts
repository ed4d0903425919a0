import { test } from "node:test";
import assert from "node:assert/strict";
import { extractLinks } from "../../src/parse/links.ts";
import { parseDocument } from "../../src/parse/select.ts";

const PAGE = "https://book.example.com/subject/1/";

function links(html: string, selector = "a[href]", pageUrl = PAGE): string[] {
  return extractLinks(parseDocument(html), selector, pageUrl);
}

test("extractLinks() resolves relative links against the page URL", () => {
  const html =
    '<a href="../2/">up</a><a href="3/">down</a><a href="/top">root</a><a href="?page=2">query</a><a href="//cdn.example.org/x">scheme-relative</a>';
  assert.deepEqual(links(html), [
    "https://book.example.com/subject/2/",
    "https://book.example.com/subject/1/3/",
    "https://book.example.com/top",
    "https://book.example.com/subject/1/?page=2",
    "https://cdn.example.org/x",
  ]);
});

test("extractLinks() resolves relative links against <base href>, itself relative to the page URL", () => {
  const html =
    '<html><head><base href="/mirror/books/"></head><body><a href="a.html">a</a><a href="/b">b</a><a href="https://other.example/c">c</a></body></html>';
  assert.deepEqual(links(html), [
    "https://book.example.com/mirror/books/a.html",
    "https://book.example.com/b",
    "https://other.example/c",
  ]);
});

test("extractLinks() uses an absolute <base href> on another host", () => {
  const html = '<base href="http://Static.Example.NET:8080/v2/"><a href="page">p</a>';
  assert.deepEqual(links(html), ["http://static.example.net:8080/v2/page"]);
});

test("extractLinks() falls back to the page URL when <base href> is not an http(s) URL", () => {
  assert.deepEqual(links('<base href="javascript:void(0)"><a href="x">x</a>'), [
    "https://book.example.com/subject/1/x",
  ]);
});

test("extractLinks() drops fragments, lower-cases the scheme and host, drops default ports, keeps the path's case", () => {
  const html =
    '<a href="HTTP://WWW.Example.COM:80/Path/To?Q=1#section">1</a>' +
    '<a href="https://Example.com:443/#top">2</a>' +
    '<a href="http://example.com:8080/kept">3</a>' +
    '<a href="#only-a-fragment">4</a>';
  assert.deepEqual(links(html), [
    "http://www.example.com/Path/To?Q=1",
    "https://example.com/",
    "http://example.com:8080/kept",
    "https://book.example.com/subject/1/",
  ]);
});

test("extractLinks() skips javascript:, mailto:, tel:, data: and malformed hrefs", () => {
  const html =
    '<a href="javascript:void(0)">js</a><a href="JavaScript:alert(1)">JS</a><a href=" mailto:me@example.com">mail</a>' +
    '<a href="tel:+861012345678">tel</a><a href="data:text/html,<p>x</p>">data</a><a href="ftp://files.example/">ftp</a>' +
    '<a href="http://[::1">bad ipv6</a><a href="http://exa mple.com/">space in host</a><a href="http://">no host</a>' +
    '<a href="/ok">ok</a>';
  assert.deepEqual(links(html), ["https://book.example.com/ok"]);
});

test("extractLinks() removes repeats, counting a URL and its fragment variants once, and keeps document order", () => {
  const html =
    '<a href="/c">c</a><a href="/a">a</a><a href="/c#again">c</a><a href="https://BOOK.example.com/a">a</a><a href="/b">b</a>';
  assert.deepEqual(links(html), [
    "https://book.example.com/c",
    "https://book.example.com/a",
    "https://book.example.com/b",
  ]);
});

test("extractLinks() trims whitespace around an href and skips elements without one", () => {
  const html = '<a href="  /spaced  ">s</a><a name="anchor">no href</a><area href="/area">';
  assert.deepEqual(links(html, "a, area"), ["https://book.example.com/spaced", "https://book.example.com/area"]);
});

test("extractLinks() takes only the elements the selector matches", () => {
  const html =
    '<div id="nav"><a href="/nav">nav</a></div><div id="db-rec-section"><dl><dt><a href="/subject/2/">2</a></dt></dl></div>';
  assert.deepEqual(links(html, "#db-rec-section dt a"), ["https://book.example.com/subject/2/"]);
  assert.deepEqual(links(html, "table a"), []);
});
