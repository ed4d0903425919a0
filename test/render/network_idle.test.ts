import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { NetworkIdle } from "../../src/render/network_idle.ts";

test("quiet() resolves only once every request started has ended, a quiet period after the last", async () => {
  const idle = new NetworkIdle(30);
  const [a, b] = [{}, {}];
  idle.started(a);
  idle.started(b);
  const events: string[] = [];
  const quiet = idle.quiet(new AbortController().signal).then(() => events.push("quiet"));
  await sleep(60);
  events.push("a ended");
  idle.ended(a);
  await sleep(60);
  events.push("b ended");
  idle.ended(b);
  await quiet;
  assert.deepEqual(events, ["a ended", "b ended", "quiet"]);
  assert.equal(idle.inFlight, 0);
});

test("a request started after quiet() was called keeps it waiting until the request ends", async () => {
  const idle = new NetworkIdle(40);
  const events: string[] = [];
  const quiet = idle.quiet(new AbortController().signal).then(() => events.push("quiet"));
  const late = {};
  idle.started(late);
  await sleep(100);
  events.push("late ended");
  idle.ended(late);
  await quiet;
  assert.deepEqual(events, ["late ended", "quiet"]);
});

test("a request ended twice, or never seen started, changes nothing", async () => {
  const idle = new NetworkIdle(10);
  const request = {};
  idle.ended({});
  idle.started(request);
  idle.ended(request);
  idle.ended(request);
  assert.equal(idle.inFlight, 0);
  await idle.quiet(new AbortController().signal);
});

test("quiet() rejects with the signal's reason when it aborts first", async () => {
  const idle = new NetworkIdle(10);
  idle.started({});
  const controller = new AbortController();
  const quiet = idle.quiet(controller.signal);
  controller.abort(new Error("timed out"));
  await assert.rejects(quiet, { message: "timed out" });
  await assert.rejects(idle.quiet(controller.signal), { message: "timed out" });
});
