import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPlaywright } from "../../src/render/load_playwright.ts";

test("loadPlaywright() loads playwright-core, installed here as a development dependency", async () => {
  const playwright = await loadPlaywright();
  assert.equal(typeof playwright.chromium.launchPersistentContext, "function");
});

test("loadPlaywright() of a package that is not installed is a UsageError saying how to install it", async () => {
  await assert.rejects(loadPlaywright("playwright-core-not-installed"), {
    name: "UsageError",
    message:
      "Rendering needs the playwright-core-not-installed package, which is not installed: npm install playwright-core-not-installed " +
      "(it downloads no browser; rendering drives the system's Chromium)",
  });
});
