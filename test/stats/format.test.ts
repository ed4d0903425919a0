import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatBytes,
  formatClock,
  formatCount,
  formatDecimal,
  formatDuration,
  formatMs,
  formatPercent,
  formatRange,
  formatTime,
} from "../../src/stats/format.ts";

test("formatCount() and formatDecimal() write counts with separators and decimals to about three digits", () => {
  assert.deepEqual([0, 999, 12345, 1234567].map(formatCount), ["0", "999", "12,345", "1,234,567"]);
  assert.deepEqual([0, 1.234, 12.345, 123.45, 0.5, 2].map(formatDecimal), ["0", "1.23", "12.3", "123", "0.5", "2"]);
});

test("formatBytes() and formatMs() pick the largest unit the value reaches", () => {
  assert.deepEqual([0, 512, 1024, 1536, 65536, 262565671, 3 * 1024 ** 3].map(formatBytes), [
    "0 B",
    "512 B",
    "1 KB",
    "1.5 KB",
    "64 KB",
    "250 MB",
    "3 GB",
  ]);
  assert.deepEqual([0, 0.4, 82, 999, 1000, 1250, 19483].map(formatMs), ["0 ms", "0.4 ms", "82 ms", "999 ms", "1 s", "1.25 s", "19.5 s"]);
});

test("formatRange() writes a bucket in the unit of its upper end", () => {
  assert.equal(formatRange(50, 100, "ms"), "50–100 ms");
  assert.equal(formatRange(500, 1000, "ms"), "0.5–1 s");
  assert.equal(formatRange(2000, 5000, "ms"), "2–5 s");
  assert.equal(formatRange(16384, 65536, "bytes"), "16–64 KB");
  assert.equal(formatRange(256, 1024, "bytes"), "0.25–1 KB");
  assert.equal(formatRange(0, 1, "ms"), "0–1 ms");
});

test("formatDuration() and formatClock() write wall times as a person says them", () => {
  assert.deepEqual([0.027, 0.85, 42.34, 412.62, 3600, 11107].map(formatDuration), [
    "27 ms",
    "850 ms",
    "42.3 s",
    "6 min 53 s",
    "1 h 00 min",
    "3 h 05 min",
  ]);
  assert.deepEqual([0, 2, 60, 412.9, 3723].map(formatClock), ["0:00", "0:02", "1:00", "6:52", "1:02:03"]);
});

test("formatTime() writes an ISO time in UTC and leaves anything else as it is; formatPercent() of nothing is 0%", () => {
  assert.equal(formatTime("2026-11-25T21:00:03.118Z"), "2026-11-25 21:00:03 UTC");
  assert.equal(formatTime("2026-11-25T22:00:03+01:00"), "2026-11-25 21:00:03 UTC");
  assert.equal(formatTime("not a time"), "not a time");
  assert.deepEqual([formatPercent(12, 500), formatPercent(1, 3), formatPercent(5, 0)], ["2.4%", "33.3%", "0%"]);
});
