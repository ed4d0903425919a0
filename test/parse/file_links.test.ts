import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS } from "../../src/defaults.ts";
import { UsageError } from "../../src/errors.ts";
import { fileLinkFilter, skipExtensions } from "../../src/parse/file_links.ts";

const SITE = "https://docs.example.com";

/** Which of `paths` the filter made by `options` takes for files. */
function files(options: Parameters<typeof fileLinkFilter>[0], paths: readonly string[]): string[] {
  const isFile = fileLinkFilter(options);
  return paths.filter((path) => isFile(`${SITE}${path}`));
}

const LINKS = [
  "/",
  "/library/os.html",
  "/download/python-3.11-docs.pdf",
  "/_static/logo.PNG",
  "/archives/python-3.11-docs-html.tar.gz",
  "/archives/docs.zip",
  "/includes/sqlite3/adapter.py",
  "/_sources/library/os.rst.txt",
  "/fonts/mono.woff2",
  "/page.html?download=docs.zip",
  "/v3.11/",
  "/release-3.11",
  "/sitemap.xml",
  "/feed.rss",
];

test("fileLinkFilter() takes links whose path ends in a default extension for files, whatever their case, and not the query", () => {
  assert.deepEqual(files({}, LINKS), [
    "/download/python-3.11-docs.pdf",
    "/_static/logo.PNG",
    "/archives/python-3.11-docs-html.tar.gz",
    "/archives/docs.zip",
    "/includes/sqlite3/adapter.py",
    "/_sources/library/os.rst.txt",
    "/fonts/mono.woff2",
  ]);
});

test("fileLinkFilter() with keepFiles takes no link for a file", () => {
  assert.deepEqual(files({ keepFiles: true }, LINKS), []);
  assert.equal(files({ keepFiles: false }, LINKS).length, 7);
});

test("skipExtensions entries replace the default list; +ext adds to it and -ext takes from it", () => {
  assert.deepEqual(files({ skipExtensions: ["pdf", ".ZIP"] }, LINKS), ["/download/python-3.11-docs.pdf", "/archives/docs.zip"]);
  assert.deepEqual(files({ skipExtensions: ["+rss", "-py", "-txt"] }, LINKS), [
    "/download/python-3.11-docs.pdf",
    "/_static/logo.PNG",
    "/archives/python-3.11-docs-html.tar.gz",
    "/archives/docs.zip",
    "/fonts/mono.woff2",
    "/feed.rss",
  ]);
  // An extension of two parts matches that ending only.
  assert.deepEqual(files({ skipExtensions: ["tar.gz"] }, [...LINKS, "/sitemap.xml.gz"]), ["/archives/python-3.11-docs-html.tar.gz"]);
  assert.deepEqual(files({ skipExtensions: ["pdf", "+zip", "-pdf"] }, LINKS), ["/archives/docs.zip"]);
});

test("skipExtensions() gives the default list without entries, lower-case and without dots", () => {
  assert.deepEqual([...skipExtensions(undefined)], [...DEFAULTS.skipExtensions]);
  assert.deepEqual([...skipExtensions([" .PDF ", "tar.GZ"])], ["pdf", "tar.gz"]);
  for (const extension of ["png", "jpg", "svg", "mp3", "mp4", "zip", "gz", "pdf", "docx", "xlsx", "pptx", "woff2", "exe", "py"]) {
    assert.ok(skipExtensions(undefined).has(extension), `${extension} is skipped by default`);
  }
  for (const extension of ["html", "htm", "xhtml", "xml", "php", "asp", "aspx", "jsp"]) {
    assert.ok(!skipExtensions(undefined).has(extension), `${extension} is a page`);
  }
});

test("fileLinkFilter() rejects wrong options with a UsageError that names the option and the value", () => {
  const expected = (got: string) => new UsageError(`Expected skipExtensions to list extensions such as "pdf", "+md" or "-svg", got ${got}`);
  assert.throws(() => fileLinkFilter({ skipExtensions: [] }), expected("[]"));
  assert.throws(() => fileLinkFilter({ skipExtensions: ["pdf", ""] }), expected('""'));
  assert.throws(() => fileLinkFilter({ skipExtensions: ["*.pdf"] }), expected('"*.pdf"'));
  assert.throws(() => fileLinkFilter({ skipExtensions: ["+-pdf"] }), expected('"+-pdf"'));
  assert.throws(() => fileLinkFilter({ skipExtensions: "pdf" as never }), expected('"pdf"'));
  assert.throws(
    () => fileLinkFilter({ keepFiles: true, skipExtensions: ["pdf"] }),
    new UsageError("Expected keepFiles or skipExtensions, not both: keepFiles follows the links to every file"),
  );
  assert.throws(() => fileLinkFilter({ keepFiles: "yes" as never }), new UsageError('Expected keepFiles to be true or false, got "yes"'));
  assert.throws(() => skipExtensions(["a b"], "--skip-ext"), new UsageError('Expected --skip-ext to list extensions such as "pdf", "+md" or "-svg", got "a b"'));
});
