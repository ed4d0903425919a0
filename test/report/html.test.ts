import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, jsonForScript, urlLink } from "../../src/report/html.ts";

test("escapeHtml() escapes the five characters that matter in text and quoted attributes", () => {
  assert.equal(escapeHtml(`a & b < c > d "e" 'f'`), "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;");
});

test("jsonForScript() writes no '<', so no string can close the script or open a comment, and reads back the same", () => {
  const value = { url: "https://x.test/</script><!--", line: "a\u2028b\u2029c" };
  const json = jsonForScript(value);
  assert.doesNotMatch(json, /<|\u2028|\u2029/);
  assert.deepEqual(JSON.parse(json), value);
});

test("urlLink() links http(s) URLs, reads them without https:// and with escapes decoded, and only shows others", () => {
  assert.equal(
    urlLink("https://book.douban.com/tag/%E5%B0%8F%E8%AF%B4?start=20&type=T"),
    '<a href="https://book.douban.com/tag/%E5%B0%8F%E8%AF%B4?start=20&amp;type=T">book.douban.com/tag/小说?start=20&amp;type=T</a>',
  );
  assert.equal(urlLink("http://example.com/"), '<a href="http://example.com/">http://example.com/</a>');
  assert.equal(urlLink("https://x.test/%E5%B0"), '<a href="https://x.test/%E5%B0">x.test/%E5%B0</a>', "a broken escape stays");
  assert.equal(urlLink("javascript:alert(1)"), "javascript:alert(1)");
  assert.equal(urlLink('https://x.test/"><b>'), '<a href="https://x.test/&quot;&gt;&lt;b&gt;">x.test/&quot;&gt;&lt;b&gt;</a>');
});
