import { test } from "node:test";
import assert from "node:assert/strict";
import { rateSpacingMs, startSpacingMs } from "../../src/fetch/spacing.ts";

test("startSpacingMs() adds 5% to a gap, at most 25 ms and at least 2 ms, and leaves no gap as none", () => {
  assert.equal(startSpacingMs(500), 525);
  assert.equal(startSpacingMs(1000), 1025, "5% of 1 s is over 25 ms");
  assert.equal(startSpacingMs(10_000), 10_025);
  assert.equal(startSpacingMs(20), 22, "5% of 20 ms is under 2 ms");
  assert.equal(startSpacingMs(0), 0);
});

test("rateSpacingMs() is the spaced gap of 1/rate seconds, and 0 for no rate", () => {
  assert.equal(rateSpacingMs(2), 525);
  assert.equal(rateSpacingMs(2.5), 420);
  assert.equal(rateSpacingMs(Infinity), 0);
});
