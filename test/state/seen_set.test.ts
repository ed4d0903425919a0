import { test } from "node:test";
import assert from "node:assert/strict";
import { SeenSet } from "../../src/state/seen_set.ts";

test("SeenSet.add() returns true for a new string and false for one seen before; size counts distinct strings", () => {
  const seen = new SeenSet();
  assert.equal(seen.size, 0);
  assert.equal(seen.add("https://example.com/"), true);
  assert.equal(seen.add("https://example.com/"), false);
  assert.equal(seen.add("https://example.com"), true);
  assert.equal(seen.add(""), true);
  assert.equal(seen.add(""), false);
  assert.equal(seen.size, 3);
});

test("SeenSet.has() answers without adding", () => {
  const seen = new SeenSet();
  assert.equal(seen.has("https://example.com/a"), false);
  assert.equal(seen.size, 0);
  seen.add("https://example.com/a");
  assert.equal(seen.has("https://example.com/a"), true);
  assert.equal(seen.has("https://example.com/b"), false);
  assert.equal(seen.size, 1);
});

test("SeenSet tells apart strings that differ in one character, case or non-ASCII code unit", () => {
  const seen = new SeenSet();
  const keys = [
    "https://example.com/subject/1/",
    "https://example.com/subject/2/",
    "https://Example.com/subject/1/",
    "https://例子.com/",
    "https://例子.cn/",
  ];
  for (const key of keys) assert.equal(seen.add(key), true, key);
  assert.equal(seen.size, keys.length);
});

test("SeenSet remembers 100,000 URLs with no false negatives while it grows from a tiny capacity", () => {
  const seen = new SeenSet(1);
  const url = (i: number) => `https://book.douban.com/subject/${i}/`;
  const count = 100_000;
  for (let i = 0; i < count; i++) assert.equal(seen.add(url(i)), true, url(i));
  assert.equal(seen.size, count);
  let found = 0;
  let repeated = 0;
  for (let i = 0; i < count; i++) {
    if (seen.has(url(i))) found++;
    if (!seen.add(url(i))) repeated++;
  }
  assert.equal(found, count);
  assert.equal(repeated, count);
  assert.equal(seen.size, count);
  // The hash is deterministic, so this checks these exact 100,000 other URLs: none collides with the first ones.
  let falsePositives = 0;
  for (let i = count; i < 2 * count; i++) if (seen.has(url(i))) falsePositives++;
  assert.equal(falsePositives, 0);
});
