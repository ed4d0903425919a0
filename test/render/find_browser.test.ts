import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBrowser } from "../../src/render/find_browser.ts";
import { UsageError } from "../../src/errors.ts";

/** A directory holding executables of the given names, removed after `body`. */
function withBin(names: string[], body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-bin-"));
  try {
    for (const name of names) {
      writeFileSync(join(dir, name), "#!/bin/sh\n");
      chmodSync(join(dir, name), 0o755);
    }
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("findBrowser() takes the first of chromium, chromium-browser, google-chrome... on PATH, in PATH's order", () => {
  withBin(["google-chrome", "chromium-browser"], (first) =>
    withBin(["chromium"], (second) => {
      assert.equal(findBrowser(undefined, { PATH: `${first}:${second}` }), join(second, "chromium"));
      assert.equal(findBrowser(undefined, { PATH: first }), join(first, "chromium-browser"));
    }),
  );
});

test("findBrowser() finds this machine's Chromium", () => {
  assert.match(findBrowser(), /\/(chromium|chromium-browser|google-chrome|google-chrome-stable|chrome)$/);
});

test("findBrowser() with none on PATH is a UsageError saying what to install", () => {
  withBin([], (empty) => {
    assert.throws(() => findBrowser(undefined, { PATH: empty }), {
      name: "UsageError",
      message:
        "Rendering needs Chromium or Chrome, and none of chromium, chromium-browser, google-chrome, google-chrome-stable, " +
        "chrome is on PATH: install one (Debian, Ubuntu: apt-get install chromium) or give its path with the browser option (--browser PATH)",
    });
  });
});

test("findBrowser(path) takes an executable path as given, and names a path with no executable", () => {
  withBin(["my-chrome", "notes.txt"], (dir) => {
    assert.equal(findBrowser(join(dir, "my-chrome")), join(dir, "my-chrome"));
    chmodSync(join(dir, "notes.txt"), 0o644);
    for (const path of [join(dir, "notes.txt"), join(dir, "nothing-here"), dir]) {
      assert.throws(() => findBrowser(path), (error: Error) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, `Expected browser to be the path of a Chromium or Chrome executable, got "${path}" (no executable file there)`);
        return true;
      });
    }
  });
});
