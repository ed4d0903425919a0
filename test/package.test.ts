// rxcrawl as a user gets it: `npm pack`, the tarball installed into a fresh project, a consumer type-checked with
// `tsc --init`'s defaults and run with plain node, and the rxcrawl command run through npx; and into a project made by
// `npm init -y` (CommonJS), where the README's examples run as it says to run them. Dependencies come from the npm cache
// the repository's own install filled (--prefer-offline), else from the registry.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type DemoSite, startDemoSite } from "../src/demo/demo_site.ts";
import { DOUBAN_RECOMMENDATIONS } from "../src/parse/douban.ts";
import { readBlocks } from "./helpers/doctest.ts";
import { parseCsv, ROOT } from "./helpers/pipeline.ts";

const execFileAsync = promisify(execFile);
const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-package-"));
const PROJECT = join(TMP, "project");
/** A project as `npm init -y` makes it: CommonJS. */
const COMMONJS = join(TMP, "commonjs");
after(() => rm(TMP, { recursive: true, force: true }));

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
/** The versions the repository develops with, so that the npm cache has them. */
const installed = async (name: string) =>
  (JSON.parse(await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

/** Runs a command the way a user's shell would, without the test runner's variables; rejects with its output. */
async function sh(command: string, args: readonly string[], cwd: string, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
  delete env.NODE_TEST_CONTEXT;
  delete env.RXCRAWL_DEBUG;
  try {
    return await execFileAsync(command, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

let packed: Packed;
let site: DemoSite;
/** What npm printed while installing the tarball, in each project. */
const installs: string[] = [];

const README = readBlocks(await readFile(join(ROOT, "README.md"), "utf8"), "README.md");

/** The README's code block that holds `text`, with its example URLs pointing at the demo site. */
function readmeExample(text: string): string {
  const block = README.find((candidate) => candidate.code.includes(text));
  assert.ok(block !== undefined, `README.md has an example with ${JSON.stringify(text)}`);
  return block.code.replace(/https:\/\/example\.(com|org)\//g, site.startUrl);
}

before(async () => {
  site = await startDemoSite({ pages: 30, bodyKb: 1 });
  // npm pack runs `prepack`, which builds dist/.
  const { stdout } = await sh("npm", ["pack", "--json", "--pack-destination", TMP], ROOT);
  packed = (JSON.parse(stdout) as Packed[])[0]!;
  const tarball = join(TMP, packed.filename);
  await mkdir(PROJECT);
  await mkdir(COMMONJS);
  await writeFile(join(PROJECT, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  await sh("npm", ["init", "-y"], COMMONJS);
  const dev = [`typescript@${await installed("typescript")}`, `@types/node@${await installed("@types/node")}`];
  const results = await Promise.all([
    sh("npm", ["install", "--prefer-offline", tarball, ...dev], PROJECT),
    sh("npm", ["install", "--prefer-offline", tarball, `rxjs@${await installed("rxjs")}`], COMMONJS),
  ]);
  installs.push(...results.map(({ stdout, stderr }) => stdout + stderr));
  // As the README says, to run TypeScript files.
  await sh("npm", ["install", "--prefer-offline", "-D", `tsx@${await installed("tsx")}`], COMMONJS);
});

after(() => site?.close());

test("the tarball holds the built package, its readme and its licence, and no tests, benchmarks or TypeScript sources", async () => {
  const paths = packed.files.map((file) => file.path);
  assert.deepEqual(paths.filter((path) => /^(test|bench|src|pipelines|bin|data)\//.test(path)), []);
  assert.deepEqual(paths.filter((path) => !path.startsWith("dist/")).sort(), ["LICENSE", "README.md", "package.json"]);
  const license = await readFile(join(PROJECT, "node_modules", "rxcrawl", "LICENSE"), "utf8");
  assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 the rxcrawl authors\n/);
  assert.equal((JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { license: string }).license, "MIT");
  for (const entry of ["dist/src/mod.js", "dist/src/mod.d.ts", "dist/src/cli/mod.js", "dist/src/demo/mod.d.ts", "dist/bin/rxcrawl.js", "dist/pipelines/report.js"]) {
    assert.ok(paths.includes(entry), `${entry} is in the tarball`);
  }
  // The library's JavaScript and declarations, the pipelines and the bin: about 260 files; the tests alone are 100.
  assert.ok(packed.entryCount < 320, `${packed.entryCount} files`);
});

test("installing the tarball runs no script: npm warns of none, and the installed package has no install script", async () => {
  for (const output of installs) {
    assert.doesNotMatch(output, /install-scripts|rxcrawl@[\d.]+ \((pre|post)?(install|prepare)/, output);
  }
  const manifest = JSON.parse(await readFile(join(PROJECT, "node_modules", "rxcrawl", "package.json"), "utf8")) as {
    scripts?: Record<string, string>;
  };
  const lifecycle = ["preinstall", "install", "postinstall", "prepare"].filter((name) => manifest.scripts?.[name] !== undefined);
  assert.deepEqual(lifecycle, []);
});

test("the installed package needs neither tsx, esbuild nor playwright-core, and shares the project's rxjs", () => {
  const modules = join(PROJECT, "node_modules");
  assert.equal(existsSync(join(modules, "tsx")), false);
  assert.equal(existsSync(join(modules, "esbuild")), false);
  assert.equal(existsSync(join(modules, "playwright-core")), false, "playwright-core, an optional peer for rendering, is left out");
  assert.ok(existsSync(join(modules, "rxjs")), "rxjs, the peer dependency, is installed beside it");
  assert.equal(existsSync(join(modules, "rxcrawl", "node_modules", "rxjs")), false, "one rxjs, not a second copy");
});

test("a TypeScript consumer type-checks with tsc --init's defaults (module nodenext, strict)", async () => {
  const tsc = join(PROJECT, "node_modules", "typescript", "bin", "tsc");
  await sh(process.execPath, [tsc, "--init"], PROJECT);
  await writeFile(
    join(PROJECT, "check.ts"),
    `import { filter, lastValueFrom, map } from "rxjs";
import { crawl, type PageRecord, pageRow, selectText, writeCsv } from "rxcrawl";
import { commandSpec } from "rxcrawl/cli";
import { startDemoSite } from "rxcrawl/demo";

const site = await startDemoSite({ pages: 20 });
export const help: string = commandSpec({ usage: "[options]", about: "Crawls.", flags: ["concurrency"] }).help;
await lastValueFrom(
  crawl({ start: site.startUrl, follow: "#db-rec-section dt a", workers: 1 }).pipe(
    map((page: PageRecord) => pageRow(page)),
    writeCsv("out/books.csv", { columns: ["url", "title", "error"] }),
  ),
);
await site.close();

// The records' fields are typed after extract: CSS fields are text or null, a function's what it returns.
export const titled = crawl({ start: site.startUrl, extract: { h1: "h1", cover: "img@src" } }).pipe(
  filter((page) => page.fields.h1?.includes("Python") ?? false),
  map((page) => page.fields.cover?.toUpperCase() ?? null),
);
// @ts-expect-error: a field that extract does not name
export const unnamed = crawl({ start: site.startUrl, extract: { h1: "h1" } }).pipe(map((page) => page.fields.h2));
export const years = crawl({ start: site.startUrl, extract: (document) => ({ year: Number(selectText(document, ".year")) }) }).pipe(
  map((page) => page.fields.year?.toFixed(0)),
);
`,
  );
  const checked = await sh(process.execPath, [tsc, "--noEmit"], PROJECT);
  assert.equal(checked.stdout + checked.stderr, "");
});

test("a JavaScript consumer crawls the demo site with plain node, parsing on a worker thread, and writes its CSV", async () => {
  await writeFile(
    join(PROJECT, "app.mjs"),
    `import { lastValueFrom, map } from "rxjs";
import { crawl, writeCsv } from "rxcrawl";
import { startDemoSite } from "rxcrawl/demo";

const site = await startDemoSite({ pages: 20 });
await lastValueFrom(
  crawl({ start: site.startUrl, follow: "#db-rec-section dt a", workers: 1 }).pipe(
    map((page) => ({ url: page.url, status: page.status, title: page.title })),
    writeCsv("out/books.csv", { columns: ["url", "status", "title"] }),
  ),
);
await site.close();
`,
  );
  const result = await sh(process.execPath, ["app.mjs"], PROJECT);
  assert.equal(result.stdout + result.stderr, "");
  const { header, rows } = parseCsv(await readFile(join(PROJECT, "out", "books.csv"), "utf8"));
  assert.deepEqual(header, ["url", "status", "title"]);
  assert.equal(rows.length, 20);
  assert.ok(rows.every((row) => row.status === "200" && / \(豆瓣\)$/.test(row.title ?? "")), "every page parsed");
});

test("in a project made by npm init -y, the README's CommonJS example, saved as crawl.js, requires rxcrawl and crawls the demo site", async () => {
  const manifest = JSON.parse(await readFile(join(COMMONJS, "package.json"), "utf8")) as { type?: string };
  assert.notEqual(manifest.type, "module", "npm init -y makes a CommonJS project");
  await writeFile(join(COMMONJS, "crawl.js"), readmeExample('require("rxcrawl")'));
  const result = await sh(process.execPath, ["crawl.js"], COMMONJS);
  assert.equal(result.stdout + result.stderr, "");
  const { header, rows } = parseCsv(await readFile(join(COMMONJS, "data", "out", "h1.csv"), "utf8"));
  assert.deepEqual(header, ["url", "status", "h1"]);
  assert.equal(rows.length, 50, "maxPages: 50");
  const start = rows.find((row) => row.url === site.startUrl);
  assert.equal(start?.status, "200");
  assert.match(start?.h1 ?? "", /\S/, "the start page's h1");
});

test("in that CommonJS project, the README's ES module examples run as .mjs with node and as .mts with npx tsx, and fail as .js as it says", async () => {
  const prices = readmeExample("filter((page) => page.fields.price != null)");
  await writeFile(join(COMMONJS, "prices.js"), prices);
  const failed = await sh(process.execPath, ["prices.js"], COMMONJS).then(
    () => "",
    (error: Error) => error.message,
  );
  assert.match(failed, /Cannot use import statement outside a module/);

  await writeFile(join(COMMONJS, "prices.mjs"), prices);
  const ran = await sh(process.execPath, ["prices.mjs"], COMMONJS);
  assert.equal(ran.stdout + ran.stderr, "");
  assert.equal(await readFile(join(COMMONJS, "data", "out", "prices.jsonl"), "utf8"), "", "no demo page has a price");

  await writeFile(join(COMMONJS, "pages.mts"), readmeExample("fetchPages({ concurrency: 16, perHost: 2, timeout: 10_000 })"));
  const typed = await sh("npx", ["tsx", "pages.mts"], COMMONJS);
  assert.equal(typed.stdout + typed.stderr, "");
  const { header, rows } = parseCsv(await readFile(join(COMMONJS, "data", "out", "pages.csv"), "utf8"));
  assert.deepEqual(header, ["url", "status", "title", "h1", "error"]);
  assert.deepEqual(rows.map((row) => row.status), ["200", "200"]);
});

test("npx rxcrawl --version prints the package's version, and npx rxcrawl crawl crawls the test site", async () => {
  const version = await sh("npx", ["rxcrawl", "--version"], PROJECT);
  assert.equal(version.stdout, `${manifest.version}\n`);
  const help = await sh("npx", ["rxcrawl", "crawl", "--help"], PROJECT);
  assert.match(help.stdout, /^usage: rxcrawl crawl <start-url>\.\.\. \[options\]\n/);

  const crawled = await sh("npx", ["rxcrawl", "crawl", site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--out", "out/site.csv"], PROJECT);
  assert.match(crawled.stderr, /^Code runtime: [\d.]+ s: 30 pages, 0 errors, [\d.]+ pages\/s; wrote out\/site\.csv\n(  [a-z ]+: .*\n){8}$/);
  const { rows } = parseCsv(await readFile(join(PROJECT, "out", "site.csv"), "utf8"));
  assert.deepEqual(new Set(rows.map((row) => row.url)), new Set(site.urls()));

  const books = await sh("npx", ["rxcrawl", "books", site.startUrl, "--rate", "1000", "--out", "out/books.csv"], PROJECT);
  assert.match(books.stderr, /^Code runtime: .*: 30 pages, 0 errors, .*; wrote out\/books\.csv\n(  [a-z ]+: .*\n){8}$/);
});
