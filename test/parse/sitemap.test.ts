import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { parseSitemap, SITEMAP_MAX_BYTES } from "../../src/parse/sitemap.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"';

test("parseSitemap() reads a urlset's URLs with their lastmod, normalized, in order, without repeats", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<urlset ${NS}>
  <url><loc> https://Example.com/a#top </loc><lastmod>2026-11-01</lastmod><changefreq>daily</changefreq></url>
  <url><loc>https://example.com/b?x=1&amp;y=2</loc></url>
  <url><loc>https://example.com/a</loc></url>
  <url><loc><![CDATA[https://example.com/c]]></loc><lastmod>2026-10-31T08:00:00+08:00</lastmod></url>
  <url><loc>mailto:someone@example.com</loc></url>
  <url><loc>/relative</loc></url>
</urlset>`;
  assert.deepEqual(parseSitemap(bytes(xml)), {
    requests: [
      { url: "https://example.com/a", depth: 0, lastmod: "2026-11-01" },
      { url: "https://example.com/b?x=1&y=2", depth: 0 },
      { url: "https://example.com/c", depth: 0, lastmod: "2026-10-31T08:00:00+08:00" },
    ],
    error: "",
  });
});

test("parseSitemap() reads a sitemap index's sitemaps as requests of kind sitemap, and namespace prefixes", () => {
  const xml = `<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
<sm:sitemap><sm:loc>https://example.com/s1.xml.gz</sm:loc><sm:lastmod>2026-01-02</sm:lastmod></sm:sitemap>
<sm:sitemap><sm:loc>https://example.com/s2.xml</sm:loc></sm:sitemap>
</sm:sitemapindex>`;
  assert.deepEqual(parseSitemap(bytes(xml)).requests, [
    { url: "https://example.com/s1.xml.gz", depth: 0, kind: "sitemap", lastmod: "2026-01-02" },
    { url: "https://example.com/s2.xml", depth: 0, kind: "sitemap" },
  ]);
});

test("parseSitemap() reads a gzipped sitemap, and one of 50,000 URLs", () => {
  const urls = Array.from({ length: 50_000 }, (_, i) => `<url><loc>https://example.com/p/${i}</loc></url>`);
  const xml = `<urlset ${NS}>${urls.join("\n")}</urlset>`;
  const sitemap = parseSitemap(gzipSync(bytes(xml)));
  assert.equal(sitemap.error, "");
  assert.equal(sitemap.requests.length, 50_000);
  assert.equal(sitemap.requests.at(-1)!.url, "https://example.com/p/49999");
});

test("parseSitemap() says what is wrong with a malformed sitemap and keeps the URLs read before the fault", () => {
  const cut = parseSitemap(bytes(`<urlset ${NS}><url><loc>https://example.com/a</loc></url><url><loc>https://exa`));
  assert.deepEqual(cut.requests, [{ url: "https://example.com/a", depth: 0 }]);
  assert.match(cut.error, /^Malformed sitemap at line 1: .+ \(the 1 URLs before it are kept\)$/);

  const broken = parseSitemap(bytes(`<urlset ${NS}><url><loc>https://example.com/a</loc></url><url><loc>x</lo></url></urlset>`));
  assert.match(broken.error, /^Malformed sitemap at line 1: /);
  assert.equal(broken.requests.length, 1);

  assert.equal(parseSitemap(bytes("<!doctype html><html><title>Not found</title></html>")).error, "Not a sitemap: its root element is <html>");
  assert.equal(parseSitemap(bytes("")).error, "Not a sitemap: the document is empty");
  assert.match(parseSitemap(Uint8Array.from([0x1f, 0x8b, 1, 2, 3])).error, /^Cannot decompress the sitemap: /);
});

test("parseSitemap() refuses a gzipped sitemap over the protocol's 50 MB once uncompressed", () => {
  const huge = gzipSync(Buffer.alloc(SITEMAP_MAX_BYTES + 1, 0x20));
  assert.equal(parseSitemap(huge).error, `Cannot decompress the sitemap: over ${SITEMAP_MAX_BYTES} bytes uncompressed`);
});
