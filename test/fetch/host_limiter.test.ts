import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../../src/errors.ts";
import { HostLimiter } from "../../src/fetch/host_limiter.ts";

/** A task that records how many of its kind run at once, and finishes when `release()` is called. */
class Gate {
  running = 0;
  maxRunning = 0;
  started: string[] = [];
  #waiting: (() => void)[] = [];

  task(name: string): () => Promise<string> {
    return async () => {
      this.started.push(name);
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.running--;
      return name;
    };
  }

  /** Lets every task that is waiting finish. */
  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

/** Settles once `condition()` holds, polling; fails the test if it never does. */
async function waitFor(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test("HostLimiter runs at most perHost tasks at once on one host, and runs them all", async () => {
  const limiter = new HostLimiter({ perHost: 2 });
  const gate = new Gate();
  const results = Array.from({ length: 7 }, (_, i) => limiter.run("a.test", gate.task(`t${i}`)));
  await waitFor(() => gate.running === 2, "two tasks to start");
  // Release in steps: each step lets the next two in, never more.
  while (gate.started.length < 7) {
    const before = gate.started.length;
    gate.release();
    await waitFor(() => gate.started.length > before, "the next tasks to start");
  }
  gate.release();
  assert.deepEqual(await Promise.all(results), ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
  assert.equal(gate.maxRunning, 2);
  assert.deepEqual(gate.started, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
});

test("HostLimiter keeps a separate perHost cap for each host", async () => {
  const limiter = new HostLimiter({ perHost: 1 });
  const gate = new Gate();
  const results = ["a.test", "b.test", "a.test", "c.test:8080"].map((host, i) => limiter.run(host, gate.task(`${host}#${i}`)));
  await waitFor(() => gate.running === 3, "one task per host to start");
  assert.deepEqual(gate.started, ["a.test#0", "b.test#1", "c.test:8080#3"]);
  gate.release();
  await waitFor(() => gate.started.length === 4, "the second a.test task to start");
  gate.release();
  assert.equal((await Promise.all(results)).length, 4);
  assert.equal(gate.maxRunning, 3);
});

test("HostLimiter starts at most `rate` tasks per second on one host: 21 starts at rate 20 span at least ~1 s", async () => {
  const limiter = new HostLimiter({ rate: 20 });
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 21 }, () =>
      limiter.run("a.test", async () => {
        starts.push(performance.now());
      }),
    ),
  );
  assert.equal(starts.length, 21);
  const span = starts[20]! - starts[0]!;
  assert.ok(span >= 900, `21 starts spanned ${span.toFixed(0)} ms`);
});

test("HostLimiter paces each host on its own: a second host does not wait for the first one's rate", async () => {
  const limiter = new HostLimiter({ rate: 5 });
  const order: string[] = [];
  const run = (host: string, name: string) => limiter.run(host, async () => void order.push(name));
  await Promise.all([run("a.test", "a0"), run("a.test", "a1"), run("b.test", "b0"), run("b.test", "b1")]);
  // At 5/s, a1 and b1 wait ~200 ms; b0 starts at once.
  assert.deepEqual(order.slice(0, 2).sort(), ["a0", "b0"]);
  assert.deepEqual(order.slice(2).sort(), ["a1", "b1"]);
});

test("HostLimiter without perHost or rate runs every task at once", async () => {
  const limiter = new HostLimiter();
  const gate = new Gate();
  const results = Array.from({ length: 50 }, (_, i) => limiter.run("a.test", gate.task(`t${i}`)));
  await waitFor(() => gate.running === 50, "all tasks to start");
  gate.release();
  assert.equal((await Promise.all(results)).length, 50);
});

test("HostLimiter.run() passes on a task's result and its rejection", async () => {
  const limiter = new HostLimiter({ perHost: 1, rate: 100 });
  assert.equal(await limiter.run("a.test", async () => 42), 42);
  const failure = new Error("task failed");
  await assert.rejects(limiter.run("a.test", () => Promise.reject(failure)), (error) => error === failure);
  assert.equal(await limiter.run("a.test", async () => "after"), "after");
});

test("HostLimiter.run() rejects with the abort reason as soon as the signal aborts while the task waits, and never runs it", async () => {
  const limiter = new HostLimiter({ perHost: 1 });
  const gate = new Gate();
  const first = limiter.run("a.test", gate.task("first"));
  await waitFor(() => gate.running === 1, "the first task to start");

  const controller = new AbortController();
  let ran = false;
  let settled = false;
  const waiting = limiter.run(
    "a.test",
    async () => {
      ran = true;
    },
    controller.signal,
  );
  void waiting.catch(() => {}).finally(() => (settled = true));
  const reason = new Error("gave up");
  controller.abort(reason);
  // The first task still holds the host's only slot: the waiting one must not have to wait for it to give up.
  await waitFor(() => settled, "the aborted task to settle while the host is busy");
  await assert.rejects(waiting, (error) => error === reason);

  gate.release();
  assert.equal(await first, "first");
  assert.equal(await limiter.run("a.test", async () => "next"), "next");
  assert.equal(ran, false);
});

test("HostLimiter.run() rejects at once when the signal is already aborted", async () => {
  const limiter = new HostLimiter({ perHost: 1 });
  let ran = false;
  const reason = new Error("already gone");
  const result = limiter.run(
    "a.test",
    async () => {
      ran = true;
    },
    AbortSignal.abort(reason),
  );
  await assert.rejects(result, (error) => error === reason);
  assert.equal(ran, false);
});

test("HostLimiter.clear() drops the queued tasks so they never run, and lets running ones finish", async () => {
  const limiter = new HostLimiter({ perHost: 1 });
  const gate = new Gate();
  const first = limiter.run("a.test", gate.task("first"));
  void limiter.run("a.test", gate.task("queued"));
  await waitFor(() => gate.running === 1, "the first task to start");
  limiter.clear();
  gate.release();
  assert.equal(await first, "first");
  await sleep(50);
  assert.deepEqual(gate.started, ["first"]);
});

test("HostLimiter.setDelay() spaces a host's requests by at least the delay", async () => {
  const limiter = new HostLimiter();
  limiter.setDelay("slow.test", 150);
  const starts: number[] = [];
  const task = async () => void starts.push(performance.now());
  await Promise.all([limiter.run("slow.test", task), limiter.run("slow.test", task), limiter.run("slow.test", task)]);
  const span = starts[2]! - starts[0]!;
  assert.ok(span >= 270, `3 starts with a 150 ms delay spanned ${span.toFixed(0)} ms`);
});

test("HostLimiter rejects an invalid perHost or rate with a UsageError naming the value", () => {
  assert.throws(() => new HostLimiter({ perHost: 0 }), new UsageError("Expected perHost to be a positive integer, got 0"));
  assert.throws(() => new HostLimiter({ perHost: 1.5 }), new UsageError("Expected perHost to be a positive integer, got 1.5"));
  assert.throws(() => new HostLimiter({ rate: 0 }), new UsageError("Expected rate to be a positive number, got 0"));
  assert.throws(() => new HostLimiter({ rate: Number.NaN }), new UsageError("Expected rate to be a positive number, got NaN"));
  assert.doesNotThrow(() => new HostLimiter({ perHost: Infinity, rate: Infinity }));
});
