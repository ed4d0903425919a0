import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeHtml } from "../../src/parse/charset.ts";

/** Bytes from hex pairs, spaces allowed: `hex("d6 d0")`. */
function hex(pairs: string): Uint8Array {
  return Uint8Array.from(Buffer.from(pairs.replace(/\s+/g, ""), "hex"));
}

/** A body made of ASCII markup and raw encoded bytes, in order. */
function body(...parts: (string | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(
    Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : part))),
  );
}

// The words below, encoded by hand (TextEncoder only encodes UTF-8).
const GBK_ZHONGWEN = hex("d6 d0 ce c4"); // 中文
const GBK_NIHAO = hex("c4 e3 ba c3"); // 你好
const GB18030_EMOJI = hex("94 39 fc 36"); // 😀, a four-byte sequence that GBK proper lacks
const GB18030_RARE = hex("81 39 ef 30"); // 㐁 (U+3401), four bytes
const BIG5_FANTI = hex("c1 63 c5 e9"); // 繁體
const BIG5_ZHONGWEN = hex("a4 a4 a4 e5"); // 中文
const SJIS_NIHONGO = hex("93 fa 96 7b 8c ea"); // 日本語
const SJIS_KONNICHIWA = hex("82 b1 82 f1 82 c9 82 bf 82 cd"); // こんにちは

test("decodeHtml() decodes a body without any declaration as UTF-8", () => {
  const decoded = decodeHtml(Buffer.from("<title>活着</title><p>héllo</p>", "utf8"));
  assert.deepEqual(decoded, { text: "<title>活着</title><p>héllo</p>", charset: "utf-8" });
});

test("decodeHtml() decodes an empty body as empty UTF-8 text", () => {
  assert.deepEqual(decodeHtml(new Uint8Array(0), "text/html; charset=gbk"), { text: "", charset: "gbk" });
});

test("decodeHtml() takes the charset from the Content-Type header, whatever its case and quoting", () => {
  const page = body("<title>", GBK_ZHONGWEN, "</title>");
  for (const contentType of [
    "text/html; charset=gbk",
    "text/html;charset=GBK",
    'text/html; charset="gbk"',
    "text/html; Charset='gbk'",
  ]) {
    assert.deepEqual(decodeHtml(page, contentType), { text: "<title>中文</title>", charset: "gbk" }, contentType);
  }
});

test("decodeHtml() reports the WHATWG name of a header label (gb2312 is gbk, x-sjis is shift_jis, utf8 is utf-8)", () => {
  assert.equal(decodeHtml(body(GBK_NIHAO), "text/html; charset=gb2312").charset, "gbk");
  assert.equal(decodeHtml(body(SJIS_NIHONGO), "text/html; charset=x-sjis").charset, "shift_jis");
  assert.equal(decodeHtml(Buffer.from("é", "utf8"), "text/html; charset=utf8").charset, "utf-8");
});

test("decodeHtml() takes the charset from <meta charset> when the header has none", () => {
  const page = body('<html><head><meta charset="gbk"><title>', GBK_NIHAO, "</title></head></html>");
  assert.deepEqual(decodeHtml(page, "text/html"), {
    text: '<html><head><meta charset="gbk"><title>你好</title></head></html>',
    charset: "gbk",
  });
});

test('decodeHtml() takes the charset from <meta http-equiv="Content-Type" content="text/html; charset=gbk">', () => {
  const meta = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">';
  const page = body(`<html><head>${meta}<title>`, GBK_ZHONGWEN, "</title></head></html>");
  assert.deepEqual(decodeHtml(page, ""), {
    text: `<html><head>${meta}<title>中文</title></head></html>`,
    charset: "gbk",
  });

  const reversed = '<META CONTENT="text/html; charset=GBK" HTTP-EQUIV="Content-Type">';
  assert.equal(decodeHtml(body(reversed, GBK_ZHONGWEN)).text, `${reversed}中文`);
});

test("decodeHtml() prefers the header to a <meta> that disagrees, as browsers do", () => {
  const page = body('<meta charset="big5"><p>', GBK_ZHONGWEN, "</p>");
  assert.deepEqual(decodeHtml(page, "text/html; charset=gbk"), {
    text: '<meta charset="big5"><p>中文</p>',
    charset: "gbk",
  });
});

test("decodeHtml() only looks for <meta> in the first 4 KB", () => {
  const page = body("<p>", " ".repeat(5000), '</p><meta charset="gbk"><p>', GBK_ZHONGWEN, "</p>");
  const decoded = decodeHtml(page);
  assert.equal(decoded.charset, "utf-8");
  assert.ok(decoded.text.endsWith("<p>\uFFFD\uFFFD\uFFFD\uFFFD</p>"), decoded.text.slice(-20));
});

test("decodeHtml() lets a UTF-8 byte order mark win over the header and <meta>, and strips it", () => {
  const page = body(hex("ef bb bf"), '<meta charset="gbk"><title>', Buffer.from("活着", "utf8"), "</title>");
  assert.deepEqual(decodeHtml(page, "text/html; charset=windows-1252"), {
    text: '<meta charset="gbk"><title>活着</title>',
    charset: "utf-8",
  });
});

test("decodeHtml() lets a UTF-16 byte order mark win over the header, LE and BE", () => {
  const text = "<title>活着 ok</title>";
  const le = body(hex("ff fe"), Buffer.from(text, "utf16le"));
  assert.deepEqual(decodeHtml(le, "text/html; charset=gbk"), { text, charset: "utf-16le" });

  const be = Buffer.from(text, "utf16le").swap16();
  assert.deepEqual(decodeHtml(body(hex("fe ff"), be), "text/html; charset=utf-8"), { text, charset: "utf-16be" });
});

test('decodeHtml() reads <meta charset="utf-16"> as UTF-8, as the HTML prescan does: an ASCII-readable page is not UTF-16', () => {
  // An even number of bytes, which UTF-16 would happily turn into CJK-looking noise.
  const page = '<meta charset="utf-16"><title>ok</title>';
  assert.equal(page.length % 2, 0);
  assert.deepEqual(decodeHtml(Buffer.from(page, "utf8")), { text: page, charset: "utf-8" });
});

test("decodeHtml() decodes GBK, GB18030, Big5 and Shift_JIS bodies to the right text", () => {
  const cases: [string, Uint8Array, string, string][] = [
    ["gbk", body(GBK_ZHONGWEN, " ", GBK_NIHAO), "中文 你好", "gbk"],
    ["gb18030", body(GBK_ZHONGWEN, GB18030_RARE, GB18030_EMOJI), "中文㐁😀", "gb18030"],
    ["big5", body(BIG5_FANTI, BIG5_ZHONGWEN), "繁體中文", "big5"],
    ["shift_jis", body(SJIS_NIHONGO, "/", SJIS_KONNICHIWA), "日本語/こんにちは", "shift_jis"],
  ];
  for (const [label, bytes, text, charset] of cases) {
    assert.deepEqual(decodeHtml(body("<p>", bytes, "</p>"), `text/html; charset=${label}`), {
      text: `<p>${text}</p>`,
      charset,
    });
  }
});

test("decodeHtml() decodes GB18030 four-byte characters in a page labelled gbk or gb2312, as browsers do", () => {
  const page = body("<p>", GBK_ZHONGWEN, GB18030_RARE, GB18030_EMOJI, "</p>");
  for (const label of ["gbk", "gb2312"]) {
    assert.deepEqual(
      decodeHtml(page, `text/html; charset=${label}`),
      { text: "<p>中文㐁😀</p>", charset: "gbk" },
      label,
    );
  }
});

test("decodeHtml() decodes a view into a larger buffer from its own bytes only", () => {
  const whole = body('<meta charset="big5">', "<p>", GBK_ZHONGWEN, "</p>");
  const view = whole.subarray('<meta charset="big5">'.length);
  assert.deepEqual(decodeHtml(view, "text/html; charset=gbk"), { text: "<p>中文</p>", charset: "gbk" });
  assert.deepEqual(decodeHtml(body("<p>ok</p>").subarray(3, 5)), { text: "ok", charset: "utf-8" });
});

test("decodeHtml() decodes a page labelled utf-8 whose bytes are GBK with the <meta> charset when that fits", () => {
  const page = body('<meta charset="gbk"><title>', GBK_ZHONGWEN, "</title>");
  assert.deepEqual(decodeHtml(page, "text/html; charset=utf-8"), {
    text: '<meta charset="gbk"><title>中文</title>',
    charset: "gbk",
  });
});

test("decodeHtml() decodes a page labelled utf-8 whose bytes are GBK, with no other candidate, as UTF-8 with U+FFFD", () => {
  const decoded = decodeHtml(body("<title>", GBK_ZHONGWEN, "</title>"), "text/html; charset=utf-8");
  assert.deepEqual(decoded, { text: "<title>\uFFFD\uFFFD\uFFFD\uFFFD</title>", charset: "utf-8" });
});

test("decodeHtml() decodes a page labelled gbk whose bytes are UTF-8, and not valid GBK, as UTF-8", () => {
  // Each character is three bytes in UTF-8, so "活着。" is nine: its last byte is a GBK lead byte followed by "<".
  const page = Buffer.from("<title>中文网页</title><p>活着。</p>", "utf8");
  assert.deepEqual(decodeHtml(page, "text/html; charset=gbk"), {
    text: "<title>中文网页</title><p>活着。</p>",
    charset: "utf-8",
  });
});

test("decodeHtml() keeps the declared charset when the bytes are valid in it, even if they are also valid UTF-8", () => {
  // The UTF-8 bytes of "中文" (e4 b8 ad e6 96 87) happen to be three valid GBK pairs: the label is believed.
  const decoded = decodeHtml(Buffer.from("中文", "utf8"), "text/html; charset=gbk");
  assert.equal(decoded.charset, "gbk");
  assert.equal(decoded.text, new TextDecoder("gbk").decode(hex("e4 b8 ad e6 96 87")));
  assert.notEqual(decoded.text, "中文");
});

test("decodeHtml() ignores an unknown charset label without throwing and uses the next candidate", () => {
  assert.deepEqual(decodeHtml(Buffer.from("<p>活着</p>", "utf8"), "text/html; charset=klingon"), {
    text: "<p>活着</p>",
    charset: "utf-8",
  });
  const page = body('<meta charset="gbk"><p>', GBK_ZHONGWEN, "</p>");
  assert.deepEqual(decodeHtml(page, "text/html; charset=x-no-such-thing"), {
    text: '<meta charset="gbk"><p>中文</p>',
    charset: "gbk",
  });
  assert.deepEqual(decodeHtml(body('<meta charset="nonsense"><p>ok</p>')), {
    text: '<meta charset="nonsense"><p>ok</p>',
    charset: "utf-8",
  });
});
