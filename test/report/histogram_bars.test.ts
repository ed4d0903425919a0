import { test } from "node:test";
import assert from "node:assert/strict";
import type { Histogram } from "../../src/stats/crawl_summary.ts";
import { bucketLabel, histogramBars } from "../../src/report/histogram_bars.ts";

const MS: Histogram = {
  bounds: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  counts: [0, 0, 0, 0, 9, 211, 877, 0, 1599, 345, 4],
  count: 3045,
  sum: 400000,
  max: 1800,
  p50: 178,
  p90: 491,
  p99: 1500,
};

test("histogramBars() keeps the buckets from the first to the last that holds a value, gaps included", () => {
  const bars = histogramBars(MS, "ms");
  assert.deepEqual(bars.labels, ["10–20 ms", "20–50 ms", "50–100 ms", "100–200 ms", "200–500 ms", "0.5–1 s", "≥ 1 s"]);
  assert.deepEqual(bars.counts, [9, 211, 877, 0, 1599, 345, 4]);
});

test("histogramBars() places each percentile inside its bar, on the log scale of the buckets", () => {
  const [p50, p90, p99] = histogramBars(MS, "ms").markers;
  // 178 ms is in 100–200 ms, bar 3 of the drawn ones, at log(1.78)/log(2) of its width.
  assert.equal(p50?.label, "p50");
  assert.ok(Math.abs((p50?.position ?? 0) - (3 - 0.5 + Math.log(1.78) / Math.log(2))) < 1e-9);
  assert.ok((p90?.position ?? 0) > 3.5 && (p90?.position ?? 0) < 4.5, "491 ms is in 200–500 ms");
  // The open last bucket ends at the largest value seen: 1500 of 1000–1800.
  assert.ok(Math.abs((p99?.position ?? 0) - (6 - 0.5 + Math.log(1.5) / Math.log(1.8))) < 1e-9);
});

test("histogramBars() of an empty histogram draws nothing; bucketLabel() names the open ends", () => {
  const empty = { ...MS, counts: MS.counts.map(() => 0), count: 0, sum: 0, max: 0, p50: 0, p90: 0, p99: 0 };
  assert.deepEqual(histogramBars(empty, "ms"), { labels: [], counts: [], markers: [] });
  assert.equal(bucketLabel([1024, 4096], 0, "bytes"), "< 1 KB");
  assert.equal(bucketLabel([1024, 4096], 1, "bytes"), "1–4 KB");
  assert.equal(bucketLabel([1024, 4096], 2, "bytes"), "≥ 4 KB");
  assert.equal(bucketLabel([], 0, "bytes"), "all");
});
