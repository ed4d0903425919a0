import { test } from "node:test";
import assert from "node:assert/strict";
import { HostRequestLog } from "../../src/demo/request_log.ts";

test("gaps() counts, per host, the gaps between consecutive arrivals shorter than the interval, hosts interleaved", () => {
  const log = new HostRequestLog(3, 10);
  // host 0 at 0, 600, 900 (gaps 600, 300); host 1 at 100, 150 (gap 50); host 2 once.
  for (const [host, at] of [[0, 0], [1, 100], [1, 150], [2, 200], [0, 600], [0, 900]] as const) log.arrive(host, undefined, at);
  assert.deepEqual(log.gaps(500), { hosts: 3, gaps: 3, below: 2, hostsBelow: 2, shortestMs: 50 });
  assert.deepEqual(log.gaps(100), { hosts: 3, gaps: 3, below: 1, hostsBelow: 1, shortestMs: 50 });
  assert.deepEqual(log.gaps(50), { hosts: 3, gaps: 3, below: 0, hostsBelow: 0, shortestMs: 50 }, "a gap of exactly the interval is not short");
  assert.deepEqual(log.arrivals(0), [0, 600, 900]);
});

test("gaps() of hosts that were each asked once has no shortest gap", () => {
  const log = new HostRequestLog(2, 1);
  assert.deepEqual(log.gaps(500), { hosts: 0, gaps: 0, below: 0, hostsBelow: 0, shortestMs: null });
  log.arrive(0, 0, 10);
  log.arrive(1, 0, 10);
  assert.deepEqual(log.gaps(500), { hosts: 2, gaps: 0, below: 0, hostsBelow: 0, shortestMs: null });
});

test("pages asked twice are duplicates; robots.txt and strays count as requests, not pages", () => {
  const log = new HostRequestLog(2, 3);
  log.arrive(0, 1, 0);
  log.arrive(1, 1, 1);
  log.arrive(0, 1, 2);
  log.arrive(0, undefined, 3); // robots.txt
  log.arrive(-1, undefined, 4); // another address
  assert.equal(log.requests, 5);
  assert.equal(log.pageRequests, 3);
  assert.equal(log.pagesRequested(), 2);
  assert.equal(log.duplicates(), 1);
  assert.equal(log.strays, 1);
  assert.deepEqual(log.span(), { firstMs: 0, lastMs: 2 });
  assert.deepEqual(log.arrivals(0), [0, 2, 3], "robots.txt counts among host 0's arrivals");
  assert.equal(log.gaps(10).gaps, 2, "host 0's three requests make two gaps; the stray belongs to no host");
});

test("the most requests in flight, at all hosts and at one host, and reset() keeps what is still in flight", () => {
  const log = new HostRequestLog(2, 5);
  log.arrive(0, 0, 0);
  log.arrive(0, 1, 1);
  log.arrive(1, 0, 2);
  assert.equal(log.maxInFlight, 3);
  assert.equal(log.maxInFlightPerHost, 2);
  log.leave(0);
  log.leave(0);
  log.reset();
  assert.equal(log.inFlight, 1);
  assert.equal(log.maxInFlight, 1);
  assert.equal(log.maxInFlightPerHost, 1, "host 1's request is still in flight");
  assert.equal(log.requests, 0);
  assert.equal(log.duplicates(), 0);
  assert.equal(log.span(), undefined);
  log.arrive(0, 0, 5);
  assert.equal(log.pagesRequested(), 1, "a page asked before the reset is new after it");
  assert.deepEqual(log.arrivals(0), [5]);
});

test("the log grows past its first block of arrivals and keeps them all in order", () => {
  const log = new HostRequestLog(4, 1000);
  for (let i = 0; i < 4000; i++) log.arrive(i % 4, Math.floor(i / 4), i);
  assert.equal(log.pagesRequested(), 4000);
  assert.deepEqual(log.gaps(4), { hosts: 4, gaps: 3996, below: 0, hostsBelow: 0, shortestMs: 4 });
  assert.deepEqual(log.arrivals(3).slice(0, 3), [3, 7, 11]);
});
