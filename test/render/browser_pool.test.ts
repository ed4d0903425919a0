// The pool's life in the real Chromium: pages held to the number of tabs, tabs recycled, images let through on demand,
// usage errors, and nothing left behind. Restarts of the browser are in browser_pool_restarts.test.ts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { BrowserPool } from "../../src/render/browser_pool.ts";
import { loadPlaywright } from "../../src/render/load_playwright.ts";
import type { DocumentResponse } from "../../src/render/render_records.ts";
import { UsageError } from "../../src/errors.ts";
import { mainProcess, pgrep } from "../helpers/browser_process.ts";
import { CATALOG, fetchDocument, type RenderSite, startRenderSite } from "../helpers/render_site.ts";

let site: RenderSite;
let spa: DocumentResponse;

before(async () => {
  site = await startRenderSite();
  spa = await fetchDocument(site.url("/spa"));
});
after(() => site?.close());

test("pages render in no more tabs than the pool has, each recycled after recycleAfter pages; close() leaves nothing behind", async () => {
  let inFlight = 0;
  let most = 0;
  const pool = new BrowserPool(
    { pages: 2, recycleAfter: 2 },
    {
      // Every page's script is held a moment, so that pages overlap if they may.
      onRequest: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight--;
        return "continue" as const;
      },
    },
  );
  try {
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => pool.render({ url: spa.url, response: spa })));
    for (const result of results) assert.match(result.html, new RegExp(`<h1>${CATALOG.heading}</h1>`), result.error);
    assert.ok(most <= 2, `${most} pages at once`);
    const { contexts, launches, renders } = pool.stats;
    assert.deepEqual({ launches, renders }, { launches: 1, renders: 6 });
    // Two tabs render two pages each and are replaced; the last two pages take one fresh tab or two, as they overlap.
    assert.ok(contexts === 3 || contexts === 4, `${contexts} tabs opened`);
    const { profile } = await mainProcess(pool);
    assert.ok((await pool.processes()).length >= 3, "a browser, its zygotes and renderers");
    assert.ok(pgrep(profile).length >= 3);
    await pool.close();
    assert.deepEqual(pgrep(profile), []);
    assert.equal(existsSync(profile), false, `${profile} is removed`);
    assert.deepEqual(await pool.processes(), []);
  } finally {
    await pool.close();
  }
});

test("with an empty block list, images and fonts are requested like any other resource", async () => {
  const pool = new BrowserPool({ pages: 1, block: [] });
  try {
    const result = await pool.render({ url: site.url("/media"), fetch: fetchDocument });
    assert.equal(result.errorCode, "", result.error);
    const fromBrowser = site.pathsFrom("HeadlessChrome");
    assert.ok(fromBrowser.includes("/img/cover.png") && fromBrowser.includes("/fonts/fancy.woff2"), fromBrowser.join(" "));
    assert.equal(result.aborted, 0);
  } finally {
    await pool.close();
  }
});

test("an executable that is not a browser, or a missing playwright-core, is a UsageError on start", async () => {
  const notBrowser = new BrowserPool({ browser: "/bin/true" });
  await assert.rejects(notBrowser.start(), (error: Error) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /^Expected browser to be a Chromium that starts, but \/bin\/true failed: /);
    return true;
  });
  await notBrowser.close();

  const missing = new BrowserPool({}, { load: () => loadPlaywright("playwright-core-not-installed") });
  await assert.rejects(missing.render({ url: spa.url, response: spa }), {
    name: "UsageError",
    message:
      "Rendering needs the playwright-core-not-installed package, which is not installed: npm install playwright-core-not-installed " +
      "(it downloads no browser; rendering drives the system's Chromium)",
  });
  await missing.close();
});
