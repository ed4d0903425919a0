import { test } from "node:test";
import assert from "node:assert/strict";
import { renderConfig } from "../../src/render/render_options.ts";

test("renderConfig() fills in the defaults: four tabs, recycled every 50 pages, images, media and fonts blocked", () => {
  const config = renderConfig();
  assert.deepEqual(
    { ...config, browser: typeof config.browser, block: [...config.block] },
    {
      browser: "string",
      pages: 4,
      recycleAfter: 50,
      maxBrowserMb: 1536,
      block: ["image", "media", "font"],
      timeout: 30_000,
      idleMs: 500,
      waitFor: undefined,
      userAgent: undefined,
      args: [],
    },
  );
});

test("renderConfig() names the option and the value it rejects", () => {
  const cases: [Parameters<typeof renderConfig>[0], string][] = [
    [{ pages: 0 }, "Expected pages to be a positive integer, got 0"],
    [{ recycleAfter: 1.5 }, "Expected recycleAfter to be a positive integer, got 1.5"],
    [{ timeout: -1 }, "Expected timeout to be a positive integer, got -1"],
    [{ waitFor: "h1[" }, 'Expected waitFor to be a valid CSS selector, got "h1["'],
    [
      // @ts-expect-error: a resource type that does not exist, as a user of plain JavaScript could write it
      { block: ["images"] },
      'Expected block to list resource types (document, stylesheet, image, media, font, script, texttrack, xhr, fetch, eventsource, websocket, manifest, beacon, ping, cspreport, other), got "images"',
    ],
  ];
  for (const [options, message] of cases) assert.throws(() => renderConfig(options), { name: "UsageError", message });
});
