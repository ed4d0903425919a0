import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpillFiles } from "../../src/state/spill_files.ts";

function withDir(body: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "rxcrawl-spill-test-"));
    try {
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const requests = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ url: `http://a.test/${from + i}`, depth: (from + i) % 3 }));
const filesIn = (dir: string) => readdirSync(dir).flatMap((folder) => readdirSync(join(dir, folder)));

test(
  "SpillFiles gives each segment back as written, starts a new file past rotateBytes and deletes a file once all of it was read",
  withDir((dir) => {
    const files = new SpillFiles({ dir, rotateBytes: 400 });
    const segments = Array.from({ length: 12 }, (_, i) => files.write(requests(i * 10, 10)));
    assert.ok(files.files >= 3, `${files.files} files`);
    assert.equal(filesIn(dir).length, files.files);
    const first = files.files;
    // The oldest segments read back: their files go; the one being written stays.
    for (let i = 0; i < 8; i++) assert.deepEqual(files.read(segments[i]!), requests(i * 10, 10));
    assert.ok(files.files < first, `${files.files} files of ${first} left`);
    assert.equal(filesIn(dir).length, files.files);
    for (let i = 8; i < 12; i++) assert.deepEqual(files.read(segments[i]!), requests(i * 10, 10));
    assert.ok(files.files <= 1);
    files.close();
    assert.deepEqual(readdirSync(dir), []);
  }),
);

test(
  "SpillFiles writes part of a list, with the requests' kind, lastmod and progress",
  withDir((dir) => {
    const files = new SpillFiles({ dir });
    const list = [
      { url: "http://a.test/0", depth: 0 },
      { url: "http://a.test/sitemap.xml", depth: 0, kind: "sitemap" as const, lastmod: "2024-01-01" },
      { url: "http://a.test/2", depth: 1, progress: { redirects: ["http://b.test/"], requests: 1, retries: 0, wireBytes: 9, tries: 0 } },
      { url: "http://a.test/3", depth: 1 },
    ];
    assert.deepEqual(files.read(files.write(list, 1, 3)), list.slice(1, 3));
    files.close();
  }),
);
