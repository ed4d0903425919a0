import { test } from "node:test";
import assert from "node:assert/strict";
import { addBroadBounds, type BroadRun, politenessBound, runBroad } from "../../bench/broad.ts";
import { type BroadScenario, SCENARIOS } from "../../bench/scenarios.ts";

const scenario = (overrides: Partial<BroadScenario> = {}): BroadScenario => ({
  name: "t",
  kind: "broad",
  about: "",
  site: { hosts: 3, pagesPerHost: 4, ownLinks: 2, otherLinks: 1, bodyKb: 1, latencyMs: 50, seed: 1, robots: "allow", scriptHosts: 0 },
  concurrency: 8,
  rate: 4,
  obeyRobots: false,
  runners: ["rxcrawl"],
  ...overrides,
});

test("politenessBound() is the lower of hosts × rate and concurrency / latency", () => {
  assert.equal(politenessBound(SCENARIOS.broad as BroadScenario), 200);
  assert.equal(politenessBound(SCENARIOS["broad-10k"] as BroadScenario), 5120);
  assert.equal(politenessBound(scenario({ site: { ...scenario().site, latencyMs: 0 } })), 12, "no latency: the hosts alone");
});

test("addBroadBounds() judges crawls against the got ceiling where it is below the politeness bound, and not the ceiling itself", () => {
  const run = (runner: string, pagesPerSecond: number, ceiling = false) => ({ scenario: "t", runner, pagesPerSecond, ceiling }) as BroadRun;
  const runs = [run("got", 6, true), run("rxcrawl", 3)];
  addBroadBounds(scenario(), runs);
  assert.deepEqual([runs[0]!.bound, runs[1]!.bound, runs[1]!.ofBound], [undefined, 6, 0.5]);
  const alone = [run("rxcrawl", 3)];
  addBroadBounds(scenario(), alone);
  assert.deepEqual([alone[0]!.bound, alone[0]!.ofBound], [12, 0.25]);
  const both = [run("got", 10, true), run("got-parse", 4, true), run("rxcrawl", 3)];
  addBroadBounds(scenario(), both);
  assert.deepEqual([both[2]!.bound, both[2]!.ofBound], [4, 0.75], "the slower ceiling: fetching and parsing");
});

test("the fetch-and-parse ceiling fetches every page of a broad site once and parses each: its title and links", async () => {
  const lines: string[] = [];
  const [run] = await runBroad(scenario({ runners: ["got-parse"] }), ["got-parse"], 60_000, (line) => lines.push(line));
  assert.ok(run !== undefined);
  assert.equal(run.check, "ok", lines.join("\n"));
  assert.equal(run.ceiling, true);
  assert.deepEqual([run.pages, run.errors, run.site.pageRequests], [12, 0, 12], "every page once, each with a title");
  assert.deepEqual(run.exitCodes, [0]);
});

test("runBroad() crawls a small broad site with crawl.ts and counts its pages and each host's gaps as the site saw them", async () => {
  const lines: string[] = [];
  const [run] = await runBroad(scenario(), ["rxcrawl"], 60_000, (line) => lines.push(line));
  assert.ok(run !== undefined);
  assert.equal(run.check, "ok", lines.join("\n"));
  assert.equal(run.pages, 12);
  assert.equal(run.titled, 12);
  assert.equal(run.site.pageRequests, 12);
  assert.equal(run.site.gaps.hosts, 3);
  assert.equal(run.site.gaps.gaps, 9, "4 requests at each of 3 hosts, no robots.txt");
  assert.deepEqual(run.exitCodes, [0]);
  assert.ok(run.peakRssMb > 20 && run.cpuSeconds > 0, `${run.peakRssMb} MB, ${run.cpuSeconds} CPU s`);
  assert.equal(run.bound, 12);
});
