import { test } from "node:test";
import assert from "node:assert/strict";
import { from, lastValueFrom, Subject, toArray } from "rxjs";
import { dedupe } from "../../src/state/dedupe.ts";

test("dedupe() drops every repeat and keeps the first of each, in order", async () => {
  const urls = [
    "https://a.example/",
    "https://b.example/",
    "https://a.example/",
    "https://c.example/",
    "https://b.example/",
  ];
  assert.deepEqual(await lastValueFrom(from(urls).pipe(dedupe(), toArray())), [
    "https://a.example/",
    "https://b.example/",
    "https://c.example/",
  ]);
});

test("dedupe() compares by the key function when given one", async () => {
  const requests = [
    { url: "https://a.example/", depth: 0 },
    { url: "https://a.example/", depth: 1 },
    { url: "https://b.example/", depth: 1 },
  ];
  const kept = await lastValueFrom(
    from(requests).pipe(
      dedupe((request) => request.url),
      toArray(),
    ),
  );
  assert.deepEqual(kept, [requests[0], requests[2]]);
});

test("dedupe() keeps one state per subscription: a second subscription starts clean", async () => {
  const stream = from(["x", "y", "x"]).pipe(dedupe());
  assert.deepEqual(await lastValueFrom(stream.pipe(toArray())), ["x", "y"]);
  assert.deepEqual(await lastValueFrom(stream.pipe(toArray())), ["x", "y"]);
});

test("dedupe() keeps apart two subscriptions running at the same time", () => {
  const source = new Subject<string>();
  const stream = source.pipe(dedupe());
  const first: string[] = [];
  const second: string[] = [];
  stream.subscribe((value) => first.push(value));
  source.next("a");
  stream.subscribe((value) => second.push(value));
  source.next("a");
  source.next("b");
  source.next("a");
  assert.deepEqual(first, ["a", "b"]);
  assert.deepEqual(second, ["a", "b"]);
});

test("dedupe() passes on errors and completion", async () => {
  const source = new Subject<string>();
  const done = lastValueFrom(source.pipe(dedupe(), toArray()));
  source.next("a");
  source.error(new Error("upstream failed"));
  await assert.rejects(done, { message: "upstream failed" });
});
