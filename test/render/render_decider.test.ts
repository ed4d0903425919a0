import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSpec, parsePage } from "../../src/parse/parse_page.ts";
import { pageYield, type PageYield, RenderDecider, rendersMore } from "../../src/render/render_decider.ts";
import { textLength } from "../../src/render/text_length.ts";
import { fetchedPage } from "../helpers/page.ts";
import { SPA_SHELL, STATIC_CATALOG } from "../helpers/render_site.ts";

const SPEC = compileSpec({ extract: { h1: "h1", price: ".price" } });

/** What the parse stage finds in `html`, as `auto` compares it. */
function yieldOf(html: string): PageYield {
  return pageYield(parsePage(fetchedPage("https://shop.example/", html), SPEC), textLength(html));
}

/** The shell as fetched, and the DOM its script builds: the catalog, as the browser serializes it. */
const SHELL = yieldOf(SPA_SHELL);
const BUILT = yieldOf(STATIC_CATALOG.replace("<title>", '<script src="/spa.js" defer=""></script><title>'));
const PLAIN = yieldOf(STATIC_CATALOG);

test("pageYield() counts the links, the fields with a value and the text the parse stage found", () => {
  assert.deepEqual(SHELL, { links: 0, fields: 0, text: "Loading…".length });
  assert.deepEqual(PLAIN, { links: 3, fields: 1, text: "Books built by script The first book The second book The third book".length });
  assert.deepEqual(BUILT, PLAIN);
});

test("rendersMore(): a shell and the app its script builds differ; a plain page and its rendering do not", () => {
  assert.equal(rendersMore(SHELL, BUILT), true);
  assert.equal(rendersMore(PLAIN, PLAIN), false);
});

test("rendersMore() asks for clearly more: a field, a fifth more links, half more text and 100 characters", () => {
  const page = { links: 40, fields: 2, text: 5000 };
  assert.equal(rendersMore(page, { ...page, links: 41, text: 5080 }), false, "a banner's link and sentence");
  assert.equal(rendersMore(page, { ...page, fields: 3 }), true);
  assert.equal(rendersMore(page, { ...page, links: 49 }), true);
  assert.equal(rendersMore(page, { ...page, text: 7601 }), true);
  assert.equal(rendersMore({ links: 0, fields: 0, text: 20 }, { links: 0, fields: 0, text: 119 }), false, "a placeholder's text replaced");
  assert.equal(rendersMore({ links: 0, fields: 0, text: 0 }, { links: 1, fields: 0, text: 0 }), true);
});

test("a host of script-built pages is rendered from its first comparison on", () => {
  const decider = new RenderDecider();
  assert.equal(decider.plan("app.example"), "both");
  assert.equal(decider.decision("app.example"), undefined);
  assert.equal(decider.learn("app.example", SHELL, BUILT), true);
  assert.deepEqual([1, 2, 3].map(() => decider.plan("app.example")), ["rendered", "rendered", "rendered"]);
});

test("a host of plain pages is read both ways for its first three pages, then statically", () => {
  const decider = new RenderDecider();
  const plans: string[] = [];
  for (let i = 0; i < 3; i++) {
    plans.push(decider.plan("plain.example"));
    assert.equal(decider.learn("plain.example", PLAIN, PLAIN), i < 2 ? undefined : false);
  }
  plans.push(decider.plan("plain.example"), decider.plan("plain.example"));
  assert.deepEqual(plans, ["both", "both", "both", "static", "static"]);
  assert.equal(decider.plan("other.example"), "both", "each host learns on its own");
});

test("an undecided host has no more comparisons out than it needs: the pages beyond wait for one to be learned", () => {
  const decider = new RenderDecider({ firstPages: 2 });
  assert.deepEqual([1, 2, 3, 4].map(() => decider.plan("busy.example")), ["both", "both", "wait", "wait"]);
  decider.learn("busy.example", PLAIN, PLAIN);
  assert.equal(decider.plan("busy.example"), "wait", "one comparison out, one needed");
  decider.learn("busy.example", PLAIN, PLAIN);
  assert.deepEqual([1, 2].map(() => decider.plan("busy.example")), ["static", "static"]);

  const app = new RenderDecider({ firstPages: 3 });
  assert.deepEqual([1, 2, 3, 4].map(() => app.plan("app.example")), ["both", "both", "both", "wait"]);
  app.learn("app.example", SHELL, BUILT);
  assert.equal(app.plan("app.example"), "rendered", "decided by the first comparison back; the others still count");
});

test("a decision the crawl's state holds is followed, sampled as the host's own would be", () => {
  const decider = new RenderDecider({ firstPages: 3, sampleEvery: 4 });
  const plans = Array.from({ length: 8 }, () => decider.plan("known.example", true));
  assert.deepEqual(plans, ["rendered", "rendered", "rendered", "both", "rendered", "rendered", "rendered", "both"]);
  assert.equal(decider.plan("static.example", false), "static");
  assert.equal(decider.decision("known.example"), undefined, "its own decision is still to learn");
});

test("one page in sampleEvery of a decided host is read both ways again, and the decision can flip", () => {
  const decider = new RenderDecider({ firstPages: 3, sampleEvery: 10 });
  for (let i = 0; i < 3; i++) {
    decider.plan("site.example");
    decider.learn("site.example", PLAIN, PLAIN);
  }
  const plans = Array.from({ length: 17 }, () => decider.plan("site.example"));
  assert.deepEqual(
    plans.map((plan, i) => (plan === "both" ? i + 4 : 0)).filter(Boolean),
    [10, 20],
    "the host's 10th and 20th pages",
  );
  // The site moved to a script-built front end: one re-check that finds more turns the host to rendering...
  assert.equal(decider.learn("site.example", SHELL, BUILT), true);
  assert.equal(decider.plan("site.example"), "rendered");
  // ...and it takes three re-checks in a row that find nothing more to turn it back.
  assert.equal(decider.learn("site.example", PLAIN, PLAIN), true);
  assert.equal(decider.learn("site.example", PLAIN, PLAIN), true);
  assert.equal(decider.learn("site.example", PLAIN, PLAIN), false);
  assert.equal(decider.plan("site.example"), "static");
});

test("RenderDecider names a wrong option", () => {
  assert.throws(() => new RenderDecider({ firstPages: 0 }), { name: "UsageError", message: "Expected firstPages to be a positive integer, got 0" });
  assert.throws(() => new RenderDecider({ sampleEvery: -5 }), { name: "UsageError", message: "Expected sampleEvery to be a positive integer, got -5" });
});
