// The pool's browser restarted in the real Chromium: when its memory grows past the limit, and when it is killed under
// a page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { BrowserPool } from "../../src/render/browser_pool.ts";
import type { DocumentResponse } from "../../src/render/render_records.ts";
import { mainProcess, pgrep } from "../helpers/browser_process.ts";
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

test("a browser whose memory is past maxBrowserMb is restarted between pages, and the pages still render", async () => {
  const pool = new BrowserPool({ pages: 2, maxBrowserMb: 1 });
  try {
    const first = await pool.render({ url: plain.url, response: plain });
    assert.equal(first.errorCode, "");
    const { profile } = await mainProcess(pool);
    // The first page's browser is over 1 MB: the pages asked for now wait until it is replaced.
    const results = await Promise.all([1, 2, 3].map(() => pool.render({ url: spa.url, response: spa })));
    for (const result of results) assert.match(result.html, new RegExp(`<h1>${CATALOG.heading}</h1>`), result.error);
    const stats = pool.stats;
    assert.ok(stats.memoryRestarts >= 1 && stats.launches >= 2, JSON.stringify(stats));
    assert.ok(stats.peakBrowserBytes > 100 * 2 ** 20, `${stats.peakBrowserBytes} bytes`);
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

