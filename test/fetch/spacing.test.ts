import { test } from "node:test";
import assert from "node:assert/strict";
import { rateSpacingMs, startSpacingMs } from "../../src/fetch/spacing.ts";

test("startSpacingMs() adds 2% to a gap, at least 2 ms, and leaves no gap as none", () => {
  assert.equal(startSpacingMs(500), 510);
  assert.equal(startSpacingMs(50), 52, "2% of 50 ms is under 2 ms");
  assert.equal(startSpacingMs(0), 0);
});

test("rateSpacingMs() is the spaced gap of 1/rate seconds, and 0 for no rate", () => {
  assert.equal(rateSpacingMs(2), 510);
  assert.equal(rateSpacingMs(2.5), 408);
  assert.equal(rateSpacingMs(Infinity), 0);
});
