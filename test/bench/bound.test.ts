import { test } from "node:test";
import assert from "node:assert/strict";
import { crawlBound } from "../../bench/bound.ts";
import type { Scenario } from "../../bench/scenarios.ts";

const scenario = (overrides: Partial<Scenario>): Scenario => ({
  name: "t",
  about: "",
  pages: 10,
  bodyKb: 1,
  links: 10,
  latencyMs: 100,
  seed: 1,
  concurrency: 50,
  runners: [],
  warmUp: false,
  ...overrides,
});

test("crawlBound() on a chain: robots.txt, then one page per round trip", () => {
  // One link per page, the successor: page i is found only when page i-1 is in.
  assert.deepEqual(crawlBound(scenario({ pages: 5, links: 1 })), { seconds: 0.6, pagesPerSecond: 5 / 0.6 });
});

test("crawlBound() when the first page links to every other: robots.txt, the first page, then full rounds", () => {
  // 100 pages found at once, fetched 50 at a time: two rounds after robots.txt and the first page.
  const { seconds } = crawlBound(scenario({ pages: 101, links: 100, concurrency: 50 }));
  assert.equal(seconds, 0.4);
});

test("crawlBound() of the latency scenario is above the 3.0 s that 1,500 pages at 50 per 100 ms would take", () => {
  const { seconds, pagesPerSecond } = crawlBound(scenario({ pages: 1500, links: 10, concurrency: 50 }));
  assert.ok(seconds >= 3.2, `${seconds} s`); // robots.txt, then 1 page, then 10, before rounds can be full
  assert.ok(pagesPerSecond < 470);
});
