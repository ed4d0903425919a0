// The pool's life in the real Chromium: tabs recycled, the browser restarted when its memory grows and when it is
// killed under a page, pages held to the number of tabs, images let through on demand, and nothing left behind.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { BrowserPool } from "../../src/render/browser_pool.ts";
import { loadPlaywright } from "../../src/render/load_playwright.ts";
import type { DocumentResponse } from "../../src/render/render_records.ts";
import { UsageError } from "../../src/errors.ts";
import { CATALOG, fetchDocument, type RenderSite, startRenderSite } from "../helpers/render_site.ts";

let site: RenderSite;
let spa: DocumentResponse;
let plain: DocumentResponse;

before(async () => {
  site = await startRenderSite();
  spa = await fetchDocument(site.url("/spa"));
  plain = await fetchDocument(site.url("/static"));
});
after(() => site?.close());

/** The arguments of a process (Chromium's child processes rewrite theirs into one string, split here at spaces). */
function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "latin1").split(/[\0 ]/);
}

/** The browser's own process (the one of its processes with no `--type=`), and its profile directory. */
async function mainProcess(pool: BrowserPool): Promise<{ pid: number; profile: string }> {
  for (const pid of await pool.processes()) {
    const args = commandLine(pid);
    const profile = args.find((arg) => arg.startsWith("--user-data-dir="))?.slice("--user-data-dir=".length);
    if (profile !== undefined && !args.some((arg) => arg.startsWith("--type="))) return { pid, profile };
  }
  throw new Error("no browser process");
}

/** What `pgrep -f` finds for `pattern`: the check a user would make, independent of the pool's own /proc reading. */
function pgrep(pattern: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim().split("\n");
  } catch {
    return []; // pgrep exits with 1 when nothing matches
  }
}

test("a tab is recycled every recycleAfter pages, and close() leaves no browser process and no profile behind", async () => {
  const pool = new BrowserPool({ pages: 1, recycleAfter: 2 });
  try {
    for (let i = 0; i < 5; i++) {
      const result = await pool.render({ url: spa.url, response: spa });
      assert.equal(result.errorCode, "", result.error);
      assert.match(result.html, new RegExp(`<h1>${CATALOG.heading}</h1>`));
    }
    assert.deepEqual({ contexts: pool.stats.contexts, launches: pool.stats.launches, renders: pool.stats.renders }, { contexts: 3, launches: 1, renders: 5 });
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

test("a browser whose memory is past maxBrowserMb is restarted between pages, and the pages still render", async () => {
  const pool = new BrowserPool({ pages: 2, maxBrowserMb: 1 });
  try {
    const first = await pool.render({ url: plain.url, response: plain });
    assert.equal(first.errorCode, "");
    const { pid, profile } = await mainProcess(pool);
    const results = await Promise.all([1, 2, 3].map(() => pool.render({ url: spa.url, response: spa })));
    assert.deepEqual(results.map((result) => result.errorCode), ["", "", ""]);
    const stats = pool.stats;
    assert.ok(stats.memoryRestarts >= 1 && stats.launches === stats.memoryRestarts + 1, JSON.stringify(stats));
    assert.ok(stats.peakBrowserBytes > 2 ** 20);
    assert.notEqual((await mainProcess(pool)).pid, pid, "another browser runs");
    assert.deepEqual(pgrep(profile), [], "the first browser is gone");
  } finally {
    await pool.close();
  }
});

test("a browser killed under a page is started again, and the page is tried once more", async () => {
  let killed = 0;
  const pool: BrowserPool = new BrowserPool(
    { pages: 1 },
    {
      onRequest: async () => {
        if (killed === 0) {
          killed = (await mainProcess(pool)).pid;
          process.kill(killed, "SIGKILL");
        }
        return "continue" as const;
      },
    },
  );
  try {
    const result = await pool.render({ url: spa.url, response: spa });
    assert.equal(result.errorCode, "", result.error);
    assert.match(result.html, new RegExp(`<h1>${CATALOG.heading}</h1>`));
    assert.equal(result.attempts, 2);
    assert.deepEqual({ launches: pool.stats.launches, crashes: pool.stats.crashes, retries: pool.stats.retries }, { launches: 2, crashes: 1, retries: 1 });
    assert.ok(killed > 0 && (await mainProcess(pool)).pid !== killed);
  } finally {
    await pool.close();
  }
});

test("no more pages render at once than the pool has tabs", async () => {
  let inFlight = 0;
  let most = 0;
  const pool = new BrowserPool(
    { pages: 2 },
    {
      // Every page's script is held a moment, so that pages overlap if they may.
      onRequest: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 200));
        inFlight--;
        return "continue" as const;
      },
    },
  );
  try {
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => pool.render({ url: spa.url, response: spa })));
    assert.deepEqual(results.map((result) => result.errorCode), ["", "", "", "", ""]);
    assert.ok(most <= 2, `${most} pages at once`);
    assert.ok(pool.stats.contexts <= 2, `${pool.stats.contexts} tabs`);
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
