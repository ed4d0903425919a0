import { test } from "node:test";
import assert from "node:assert/strict";
import { headerFlags, integerFlag, listFlag, numberFlag, parseCli } from "../../src/cli/parse_cli.ts";
import { UsageError } from "../../src/errors.ts";

const SPEC = {
  help: "usage: x.ts [--concurrency N] [--rate N] [--demo]",
  options: { concurrency: { type: "string" }, rate: { type: "string" }, demo: { type: "boolean" } },
  positionals: true,
} as const;

test("parseCli() gives a flag that takes a value the next argument even when it starts with a dash", () => {
  const { values, positionals } = parseCli(SPEC, ["--concurrency", "-3", "https://example.com/"]);
  assert.equal(values.concurrency, "-3");
  assert.deepEqual(positionals, ["https://example.com/"]);
});

test("--concurrency -3 is reported as a bad value of --concurrency, not as an ambiguous argument", () => {
  const { values } = parseCli(SPEC, ["--concurrency", "-3"]);
  assert.throws(
    () => integerFlag(values, "concurrency"),
    (error) =>
      error instanceof UsageError &&
      error.message === 'Expected --concurrency to be an integer of at least 1, got "-3"',
  );
});

test("parseCli() turns an unknown flag into a one-sentence UsageError", () => {
  assert.throws(() => parseCli(SPEC, ["--bogus"]), (error) => error instanceof UsageError && error.message === "Unknown option '--bogus'");
});

test("integerFlag() takes whole numbers of at least min and refuses fractions, signs and words", () => {
  assert.equal(integerFlag({ n: "8" }, "n"), 8);
  assert.equal(integerFlag({ n: "0" }, "n", 0), 0);
  assert.equal(integerFlag({}, "n"), undefined);
  for (const raw of ["0", "1.5", "+2", "-1", "abc", ""]) {
    assert.throws(() => integerFlag({ n: raw }, "n"), { message: `Expected --n to be an integer of at least 1, got ${JSON.stringify(raw)}` });
  }
});

test("numberFlag() takes a positive number and headerFlags() a name: value pair", () => {
  assert.equal(numberFlag({ rate: "0.5" }, "rate"), 0.5);
  assert.throws(() => numberFlag({ rate: "-1" }, "rate"), { message: 'Expected --rate to be a positive number, got "-1"' });
  assert.deepEqual(headerFlags(["Referer: https://book.douban.com/"]), { Referer: "https://book.douban.com/" });
  assert.throws(() => headerFlags(["no colon"]), { message: 'Expected --header to be "name: value", got "no colon"' });
});

test("listFlag() splits every given value at its commas, and refuses an empty item", () => {
  assert.equal(listFlag({}, "skip-ext"), undefined);
  assert.deepEqual(listFlag({ "skip-ext": ["pdf, zip", "+md"] }, "skip-ext"), ["pdf", "zip", "+md"]);
  assert.deepEqual(listFlag({ "skip-ext": "-svg" }, "skip-ext"), ["-svg"]);
  const message = (got: string) => new UsageError(`Expected --skip-ext to be a comma-separated list without empty items, got ${got}`);
  assert.throws(() => listFlag({ "skip-ext": ["pdf,"] }, "skip-ext"), message('"pdf,"'));
  assert.throws(() => listFlag({ "skip-ext": ["pdf", " "] }, "skip-ext"), message('" "'));
});
