import { test } from "node:test";
import assert from "node:assert/strict";
import { textLength } from "../../src/render/text_length.ts";

test("textLength() counts the visible text: no head, title, script, style, template or comment, whitespace collapsed", () => {
  const html =
    "<!DOCTYPE html><html><head><title>Title</title><style>p { color: red }</style></head><body>\n" +
    "  <h1>Hello,</h1> <!-- a note -->\n  <p>wide <b>world</b></p><script>document.write('no')</script>" +
    '<template><p>later</p></template><noscript>Enable JavaScript</noscript><SCRIPT type="module">x()</SCRIPT></body></html>';
  assert.equal(textLength(html), "Hello, wide world".length);
});

test("textLength() of a shell is its placeholder, of nothing is 0", () => {
  assert.equal(textLength('<div id="app"><p>Loading…</p></div><script src="/app.js"></script>'), "Loading…".length);
  assert.equal(textLength(""), 0);
});
