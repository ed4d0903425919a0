// Every code block of README.md runs as a reader would run it (the convention: test/helpers/doctest.ts). The harness
// itself is tested here too: a block it cannot run must fail, never pass unnoticed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { needsPandas } from "./helpers/analysis.ts";
import { type Block, type Outcome, readBlocks, Sandbox, type Setup } from "./helpers/doctest.ts";
import { readCsv, ROOT } from "./helpers/pipeline.ts";
import { startMicrosocks, startTinyproxy } from "./helpers/proxies.ts";
import { freePort, NO_REDIS } from "./helpers/redis.ts";

/** The setups README blocks may name with `<!-- doctest: setup=NAME -->`. */
const SETUPS: Record<string, Setup> = {
  // The README's Redis runs at 10.0.0.5:6379 (and 127.0.0.1:6379 in code), keeping its files in /var/lib/rxcrawl;
  // here, the server its block starts listens on a free port of 127.0.0.1 and keeps them in the sandbox, and is
  // stopped when the sandbox closes.
  redis: async (box) => {
    if (NO_REDIS !== false) throw new Error(NO_REDIS);
    const port = await freePort();
    const dir = join(box.dir, "redis");
    await mkdir(dir);
    box.replacements.push(["--port 6379", `--port ${port} --bind 127.0.0.1`], ["/var/lib/rxcrawl", dir]);
    box.replacements.push(["10.0.0.5:6379", `127.0.0.1:${port}`], ["127.0.0.1:6379", `127.0.0.1:${port}`]);
    box.cleanups.push(async () => {
      spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
    });
  },
  // The README's cluster runs on ports 7000 to 7002 of 127.0.0.1, in /var/lib/rxcrawl/<port>; here on free ports of
  // 127.0.0.1, in the sandbox, its servers shut down when the sandbox closes.
  "redis-cluster": async (box) => {
    if (NO_REDIS !== false) throw new Error(NO_REDIS);
    const ports = [await freePort(), await freePort(), await freePort()];
    const dir = join(box.dir, "cluster");
    await mkdir(dir);
    box.replacements.push(["for port in 7000 7001 7002", `for port in ${ports.join(" ")}`], ["--port $port", "--port $port --bind 127.0.0.1"]);
    box.replacements.push(["-p 7000", `-p ${ports[0]}`], ["/var/lib/rxcrawl", dir]);
    for (const [i, port] of ports.entries()) box.replacements.push([`127.0.0.1:${7000 + i}`, `127.0.0.1:${port}`]);
    box.cleanups.push(async () => {
      for (const port of ports) spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
    });
  },
  // The README's proxies listen on 127.0.0.1:3128 (HTTP) and 127.0.0.1:1080 (SOCKS5, user crawler, password s3cret);
  // here, a tinyproxy and a microsocks the setup starts on free ports, stopped when the sandbox closes.
  proxies: async (box) => {
    if (box.replacements.some(([from]) => from === "127.0.0.1:3128")) return;
    const http = await startTinyproxy();
    box.cleanups.push(() => http.stop());
    const socks = await startMicrosocks({ user: "crawler", password: "s3cret" });
    box.cleanups.push(() => socks.stop());
    box.replacements.push(["127.0.0.1:3128", `127.0.0.1:${http.port}`], ["127.0.0.1:1080", `127.0.0.1:${socks.port}`]);
  },
};

const README = readBlocks(await readFile(join(ROOT, "README.md"), "utf8"), "README.md");

function assertOutcome(block: Block, outcome: Outcome): void {
  const shown = `\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`;
  assert.equal(outcome.code, block.directive.exit, `${block.where}: exit code${shown}`);
  assert.doesNotMatch(outcome.stderr, /^\s+at /m, `${block.where}: a stack trace${shown}`);
}

test("every code block of README.md runs, in order, against local stand-ins of the sites it names", { timeout: 600_000 }, async (t) => {
  assert.ok(README.length >= 10, `README.md has ${README.length} code blocks`);
  const sandbox = await Sandbox.create();
  try {
    for (const block of README) {
      const skip = block.directive.skip ?? (block.lang === "python" ? needsPandas() : false);
      await t.test(`${block.where} ${block.lang}: ${block.code.split("\n")[0]}`, { skip }, async () => {
        assertOutcome(block, await sandbox.run(block, SETUPS));
      });
    }
    // What the blocks made is what they say they make.
    const { rows } = await readCsv(join(sandbox.dir, "data", "out", "douban-books.csv"));
    assert.equal(rows.length, 200, "make crawl wrote the demo site's 200 books");
    const app = await readCsv(join(sandbox.dir, "data", "out", "app.csv"));
    assert.deepEqual(
      app.rows.map((row) => [row.rendered, row.price]).sort(),
      [["true", ""], ["true", "$19.00"], ["true", "$29.00"]],
      "--render auto read the shop its script builds: every page, and the prices",
    );
  } finally {
    await sandbox.close();
  }
});

test("the README's crawl() example completes with an empty file when no page passes its filter", async () => {
  const block = README.find((candidate) => candidate.code.includes("filter((page) => page.fields.price != null)"));
  assert.ok(block !== undefined, "the example is in README.md");
  const sandbox = await Sandbox.create({ prices: false });
  try {
    assertOutcome(block, await sandbox.run(block, SETUPS));
    assert.equal(await readFile(join(sandbox.dir, "data", "out", "prices.jsonl"), "utf8"), "");
  } finally {
    await sandbox.close();
  }
});

test("the harness runs a setup before its block, and fails a block it cannot run instead of passing over it", async () => {
  const markdown = [
    "<!-- doctest: setup=greeting -->",
    "```sh",
    'test "$GREETING" = hello && echo "$GREETING" > data/out/greeting.txt',
    "```",
    "```text",
    "not a command",
    "```",
    "<!-- doctest: setup=nothing-known -->",
    "```sh",
    "true",
    "```",
    "<!-- doctest: exit=3 -->",
    "```sh",
    "exit 3",
    "```",
    "<!-- doctest: file=kind.cjs -->",
    "```js",
    'require("node:fs").writeFileSync("data/out/kind.txt", typeof module);',
    "```",
    "```sql",
    "-- a query that finds nothing is a wrong example, as `WHERE error = ''` was",
    "SELECT 1 AS one WHERE false;",
    "```",
  ].join("\n");
  const [greeting, text, unknown, exit, commonJs, empty] = readBlocks(markdown, "doc.md");
  const sandbox = await Sandbox.create();
  const setups: Record<string, Setup> = {
    greeting: async (box) => {
      box.env.GREETING = "hello";
    },
  };
  try {
    assertOutcome(greeting!, await sandbox.run(greeting!, setups));
    assert.equal(await readFile(join(sandbox.dir, "data", "out", "greeting.txt"), "utf8"), "hello\n");
    await assert.rejects(sandbox.run(text!, setups), { message: /^doc\.md:5: a ```text block cannot be run; mark it/ });
    await assert.rejects(sandbox.run(unknown!, setups), { message: 'doc.md:9: unknown setup "nothing-known"; known: greeting' });
    assertOutcome(exit!, await sandbox.run(exit!, setups));
    assertOutcome(commonJs!, await sandbox.run(commonJs!, setups));
    assert.equal(await readFile(join(sandbox.dir, "data", "out", "kind.txt"), "utf8"), "object", "a CommonJS module");
    await assert.rejects(sandbox.run(empty!, setups), { message: "doc.md:20: the query returned no row: SELECT 1 AS one WHERE false" });
  } finally {
    await sandbox.close();
  }
  assert.throws(() => readBlocks('<!-- doctest: skipp="x" -->\n```sh\ntrue\n```\n', "doc.md"), {
    message: 'doc.md:2: unknown doctest key "skipp" (known: setup, exit, timeout, omit, why, skip, file)',
  });
  assert.throws(() => readBlocks("```sh\ntrue\n``` and some text\n```sh\ntrue\n```\n", "doc.md"), {
    message: "doc.md:1: the block is not closed before line 3",
  });
  assert.throws(() => readBlocks('<!-- doctest: omit="make test" -->\n```sh\nmake test\n```\n', "doc.md"), {
    message: 'doc.md:2: say why a block or a line is not run (why="...")',
  });
});
