import { test } from "node:test";
import assert from "node:assert/strict";
import { timelineRates } from "../../src/report/timeline_rates.ts";

test("timelineRates() divides each bucket's counts by its width, and the last by the time it covered", () => {
  const rates = timelineRates({ elapsedSeconds: 5, timeline: { bucketSeconds: 2, pages: [20, 30, 5], errors: [0, 2, 0] } });
  assert.deepEqual(rates, {
    labels: ["0:00", "0:02", "0:04"],
    pagesPerSecond: [10, 15, 5],
    okPerSecond: [10, 14, 5],
    errorsPerSecond: [0, 1, 0],
  });
});

test("timelineRates() counts a last bucket of a few milliseconds as one second, not as a spike", () => {
  const rates = timelineRates({ elapsedSeconds: 10.01, timeline: { bucketSeconds: 1, pages: [...Array(10).fill(12), 3], errors: [] } });
  assert.equal(rates.pagesPerSecond.at(-1), 3);
  assert.equal(rates.labels.at(-1), "0:10");
  assert.deepEqual(rates.errorsPerSecond, Array(11).fill(0));
});

test("timelineRates() of an empty timeline is empty", () => {
  assert.deepEqual(timelineRates({ elapsedSeconds: 0, timeline: { bucketSeconds: 1, pages: [], errors: [] } }), {
    labels: [],
    pagesPerSecond: [],
    okPerSecond: [],
    errorsPerSecond: [],
  });
});
