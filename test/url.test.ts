import { test } from "node:test";
import assert from "node:assert/strict";
import { hostOf, normalizeUrl, originOf, parseHttpUrl } from "../src/url.ts";

test("normalizeUrl() lower-cases the scheme and host and keeps the path and query as written", () => {
  assert.equal(
    normalizeUrl("HTTPS://Book.DOUBAN.com/Subject/35196328/?From=Tag"),
    "https://book.douban.com/Subject/35196328/?From=Tag",
  );
});

test("normalizeUrl() drops the default port of the scheme and keeps any other", () => {
  assert.equal(normalizeUrl("http://example.com:80/a"), "http://example.com/a");
  assert.equal(normalizeUrl("https://example.com:443/a"), "https://example.com/a");
  assert.equal(normalizeUrl("http://example.com:443/a"), "http://example.com:443/a");
  assert.equal(normalizeUrl("https://example.com:8443/a"), "https://example.com:8443/a");
});

test("normalizeUrl() drops the fragment, an empty one included", () => {
  assert.equal(normalizeUrl("https://example.com/a?x=1#comments"), "https://example.com/a?x=1");
  assert.equal(normalizeUrl("https://example.com/a#"), "https://example.com/a");
});

test("normalizeUrl() resolves a relative href against the base", () => {
  assert.equal(normalizeUrl("../b?x=1#top", "HTTP://Example.COM:80/a/c"), "http://example.com/b?x=1");
  assert.equal(normalizeUrl("/root", new URL("https://example.com/deep/page")), "https://example.com/root");
  assert.equal(normalizeUrl("//other.example/x", "http://example.com/"), "http://other.example/x");
});

test("normalizeUrl() adds the root path, resolves dot segments and percent-encodes non-ASCII paths and hosts", () => {
  assert.equal(normalizeUrl("https://example.com"), "https://example.com/");
  assert.equal(normalizeUrl("https://example.com/a/./b/../c"), "https://example.com/a/c");
  assert.equal(
    normalizeUrl("http://例子.测试/路径?q=中文"),
    "http://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=%E4%B8%AD%E6%96%87",
  );
});

test("normalizeUrl() trims surrounding whitespace", () => {
  assert.equal(normalizeUrl("  \n /a \t", "https://example.com/"), "https://example.com/a");
});

test("normalizeUrl() returns undefined for javascript:, mailto:, tel:, data: and other non-http(s) URLs", () => {
  for (const href of [
    "javascript:void(0)",
    " JAVASCRIPT:x",
    "mailto:someone@example.com",
    "tel:123",
    "data:text/plain,x",
    "ftp://example.com/",
    "file:///etc/hosts",
    "about:blank",
    "blob:https://example.com/x",
  ]) {
    assert.equal(normalizeUrl(href, "https://example.com/"), undefined, href);
  }
});

test("normalizeUrl() returns undefined for malformed URLs and for a relative href without a base", () => {
  for (const href of [
    "http://",
    "http://[::1",
    "http://exa mple.com/",
    "https://example.com:99999/",
    "/relative",
    "",
  ]) {
    assert.equal(normalizeUrl(href), undefined, href);
  }
});

test("parseHttpUrl() returns the parsed URL without its fragment, or undefined", () => {
  const url = parseHttpUrl("/x?y=1#z", "https://Example.com/");
  assert.ok(url instanceof URL);
  assert.equal(url.href, "https://example.com/x?y=1");
  assert.equal(url.hash, "");
  assert.equal(url.host, "example.com");
  assert.equal(parseHttpUrl("mailto:a@example.com"), undefined);
});

test("hostOf() cuts the host and port out of a normalized URL, user info left out", () => {
  assert.equal(hostOf("https://example.com/a/b"), "example.com");
  assert.equal(hostOf("http://example.com:8080/a"), "example.com:8080");
  assert.equal(hostOf("https://user:pw@example.com:8080/a"), "example.com:8080");
  assert.equal(hostOf("http://[::1]:3000/"), "[::1]:3000");
  assert.equal(hostOf("https://example.com"), "example.com");
});

test("hostOf() agrees with URL#host on normalized URLs", () => {
  for (const href of [
    "HTTP://A.example:80/x",
    "https://b.example:444/?q=/x",
    "http://user@c.example/",
    "http://127.0.0.1:8080",
  ]) {
    const normalized = normalizeUrl(href);
    assert.ok(normalized !== undefined, href);
    assert.equal(hostOf(normalized), new URL(normalized).host, href);
  }
});

test("originOf() agrees with URL#origin on normalized URLs", () => {
  for (const href of [
    "HTTP://A.example:80/x",
    "https://b.example:444/?q=/x",
    "http://user:pw@c.example/p@q",
    "http://[::1]:9/x",
    "https://d.example",
  ]) {
    const normalized = normalizeUrl(href);
    assert.ok(normalized !== undefined, href);
    assert.equal(originOf(normalized), new URL(normalized).origin, href);
  }
});
