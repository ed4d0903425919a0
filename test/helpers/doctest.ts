// Runs the code blocks of a Markdown file as a reader would run them, top to bottom, in a scratch folder laid out like
// the repository. The convention a README follows (test/readme.test.ts runs README.md this way):
//
// - Every fenced block runs, in order, in the same scratch folder, so a block may read what an earlier one wrote:
//   `sh` with bash (`set -e -o pipefail`), `ts` and `js` with node and tsx (`import ... from "rxcrawl"` is this
//   repository's src/), `python` with a Python that has pandas (skipped, saying so, where there is none), `sql` in
//   DuckDB (each SELECT must return a row: a query that finds nothing is a wrong example).
// - Every http(s) URL of another machine in a block (https://example.com/) is rewritten to a local stand-in site of
//   its own (./stand_in_sites.ts), and so are the URLs in the files of data/: no block reaches the web.
// - An HTML comment on the line before a block changes how it runs:
//     <!-- doctest: setup=NAME -->            prepares NAME first (a server, a file, addresses to replace in the
//                                             blocks that follow); NAMEs are the SETUPS of the test
//     <!-- doctest: exit=2 -->                the block must end with this exit code (an example of a refusal)
//     <!-- doctest: timeout=120 -->           seconds the block may take (default 60)
//     <!-- doctest: omit="make test" why="..." -->  runs the block without that line, for a reason said
//     <!-- doctest: skip="why" -->             does not run it, for a reason said (reported as a skipped test)
//     <!-- doctest: file=crawl.cjs -->         writes a ts or js block to that file before running it, so that its
//                                             extension says how Node loads it (.cjs: CommonJS, with require())
// - A block in another language, an unknown setup or an unknown key fails: nothing is left out silently.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDuckDb, runPython } from "./analysis.ts";
import { PROXY_VARIABLES, ROOT } from "./pipeline.ts";
import { StandInSites, type StandInOptions } from "./stand_in_sites.ts";

/** A fenced code block, with the directive before it. */
export interface Block {
  /** Where it starts, `README.md:42`. */
  where: string;
  lang: string;
  code: string;
  directive: Directive;
}

/** What an HTML comment before a block says (see the file's header). */
export interface Directive {
  setup: string[];
  exit: number;
  timeout: number;
  omit: string | undefined;
  skip: string | undefined;
  file: string | undefined;
}

/** A named preparation a block can ask for with `setup=NAME`; it may add variables to the block's environment. */
export type Setup = (sandbox: Sandbox) => Promise<void>;

/** What running a block gave. */
export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KEYS = new Set(["setup", "exit", "timeout", "omit", "why", "skip", "file"]);
export const RUNNABLE = new Set(["sh", "ts", "js", "python", "sql"]);

/** The fenced blocks of a Markdown text, each with its directive; throws on a directive it cannot read. */
export function readBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    const where = `${file}:${start + 1}`;
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) {
      // A fence with more on its line would open a block, not close this one: the two would run as one.
      if (lines[i]!.startsWith("```")) throw new Error(`${where}: the block is not closed before line ${i + 1}`);
      body.push(lines[i]!);
    }
    if (i >= lines.length) throw new Error(`${where}: the block is not closed`);
    const comment = /^<!--\s*doctest:(.*)-->\s*$/.exec(lines[start - 1] ?? "");
    blocks.push({ where, lang: open[1]!, code: `${body.join("\n")}\n`, directive: readDirective(comment?.[1] ?? "", where) });
  }
  return blocks;
}

function readDirective(text: string, where: string): Directive {
  const values = new Map<string, string>();
  const rest = text.replace(/([\w-]+)=(?:"([^"]*)"|(\S+))/g, (_all, key: string, quoted?: string, bare?: string) => {
    if (!KEYS.has(key)) throw new Error(`${where}: unknown doctest key "${key}" (known: ${[...KEYS].join(", ")})`);
    values.set(key, quoted ?? bare ?? "");
    return "";
  });
  if (rest.trim() !== "") throw new Error(`${where}: cannot read the doctest comment: ${JSON.stringify(rest.trim())}`);
  if ((values.has("omit") || values.has("skip")) && !(values.has("why") || values.get("skip"))) {
    throw new Error(`${where}: say why a block or a line is not run (why="...")`);
  }
  const number = (key: string, fallback: number) => {
    const value = Number(values.get(key) ?? fallback);
    if (!Number.isInteger(value)) throw new Error(`${where}: ${key} must be an integer`);
    return value;
  };
  return {
    setup: values.get("setup")?.split(",").filter((name) => name !== "") ?? [],
    exit: number("exit", 0),
    timeout: number("timeout", 60),
    omit: values.get("omit"),
    skip: values.get("skip"),
    file: values.get("file"),
  };
}

/**
 * A scratch folder laid out like the repository for the blocks to run in: pipelines/, src/, bin/ and the Makefile
 * are the repository's (linked), data/ a copy with its URLs rewritten, data/out/ empty; node_modules/ links every
 * installed package, plus `rxcrawl` (this repository's sources) and its `rxcrawl` command.
 */
export class Sandbox {
  readonly dir: string;
  readonly sites: StandInSites;
  /** Variables setups add to the blocks' environment. */
  readonly env: Record<string, string> = {};
  /** Text setups replace in the blocks that follow (an address the README names, by a local one). */
  readonly replacements: [string, string][] = [];
  /** What setups started and the sandbox stops when it closes. */
  readonly cleanups: (() => Promise<void>)[] = [];

  private constructor(dir: string, sites: StandInSites) {
    this.dir = dir;
    this.sites = sites;
  }

  static async create(options: StandInOptions = {}): Promise<Sandbox> {
    const sandbox = new Sandbox(await mkdtemp(join(tmpdir(), "rxcrawl-doctest-")), new StandInSites(options));
    await sandbox.#lay();
    return sandbox;
  }

  async #lay(): Promise<void> {
    const { dir } = this;
    for (const name of ["pipelines", "src", "bin", "Makefile"]) await symlink(join(ROOT, name), join(dir, name));
    // Its own package.json (a project of type module, not rxcrawl itself), and the lockfile, both older than the
    // installed tree's mark (below), so that make takes the install as done and never runs npm ci here.
    await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: "doctest", private: true, type: "module" })}\n`);
    await writeFile(join(dir, "package-lock.json"), await readFile(join(ROOT, "package-lock.json")));
    for (const name of ["package.json", "package-lock.json"]) await utimes(join(dir, name), 0, 0);
    await mkdir(join(dir, "data", "out"), { recursive: true });
    for (const entry of await readdir(join(ROOT, "data"), { withFileTypes: true })) {
      if (entry.isFile()) {
        const text = await readFile(join(ROOT, "data", entry.name), "utf8");
        await writeFile(join(dir, "data", entry.name), await this.sites.rewrite(text));
      }
    }
    const modules = join(dir, "node_modules");
    await mkdir(join(modules, ".bin"), { recursive: true });
    for (const name of await readdir(join(ROOT, "node_modules"))) {
      if (name !== ".bin" && name !== ".package-lock.json") await symlink(join(ROOT, "node_modules", name), join(modules, name));
    }
    await writeFile(join(modules, ".package-lock.json"), await readFile(join(ROOT, "node_modules", ".package-lock.json")));
    for (const name of await readdir(join(ROOT, "node_modules", ".bin"))) {
      await symlink(join(ROOT, "node_modules", ".bin", name), join(modules, ".bin", name));
    }
    // `rxcrawl` as a project that installed it sees it, but from the sources: the package test covers the build.
    const exports = { ".": "./src/mod.ts", "./cli": "./src/cli/mod.ts", "./demo": "./src/demo/mod.ts" };
    await mkdir(join(modules, "rxcrawl"));
    await writeFile(join(modules, "rxcrawl", "package.json"), JSON.stringify({ name: "rxcrawl", type: "module", exports }));
    await symlink(join(ROOT, "src"), join(modules, "rxcrawl", "src"));
    const loader = join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");
    const command = join(modules, ".bin", "rxcrawl");
    await writeFile(command, `#!/bin/sh\nexec node --import "${loader}" "${join(ROOT, "bin", "rxcrawl.ts")}" "$@"\n`);
    await chmod(command, 0o755);
  }

  /** Runs one block (its setups first); the outcome, for the caller to check against `block.directive.exit`. */
  async run(block: Block, setups: Readonly<Record<string, Setup>>): Promise<Outcome> {
    for (const name of block.directive.setup) {
      const setup = setups[name];
      if (setup === undefined) {
        throw new Error(`${block.where}: unknown setup "${name}"; known: ${Object.keys(setups).join(", ") || "none"}`);
      }
      await setup(this);
    }
    let code = await this.sites.rewrite(block.code);
    for (const [from, to] of this.replacements) code = code.replaceAll(from, to);
    if (block.directive.omit !== undefined) {
      const kept = code.split("\n").filter((line) => !line.trimStart().startsWith(block.directive.omit!));
      if (kept.length === code.split("\n").length) throw new Error(`${block.where}: no line starts with "${block.directive.omit}"`);
      code = kept.join("\n");
    }
    const timeout = block.directive.timeout * 1000;
    const name = block.where.replace(/\W+/g, "-");
    switch (block.lang) {
      case "sh":
        return this.#spawn("bash", ["-e", "-o", "pipefail", "-c", code], timeout);
      case "ts":
      case "js": {
        const file = join(this.dir, block.directive.file ?? `${name}.${block.lang === "ts" ? "ts" : "mjs"}`);
        await writeFile(file, code);
        return this.#spawn(process.execPath, ["--import", "tsx", file], timeout);
      }
      case "python":
        return { code: 0, stdout: runPython(code, this.dir), stderr: "" };
      case "sql":
        return this.#sql(code, block.where);
      default:
        throw new Error(
          `${block.where}: a \`\`\`${block.lang} block cannot be run; mark it <!-- doctest: skip="why" --> or add a runner`,
        );
    }
  }

  /** Each statement in DuckDB, reading files from the folder; a SELECT that returns no row fails. */
  async #sql(code: string, where: string): Promise<Outcome> {
    const statements = code
      .replace(/^\s*--.*$/gm, "") // comment lines
      .split(/;\s*(?:\n|$)/)
      .map((statement) => statement.trim())
      .filter((statement) => statement !== "");
    const results = await runDuckDb(statements, this.dir);
    for (const [i, rows] of results.entries()) {
      if (/^(SELECT|WITH|FROM)\b/i.test(statements[i]!) && rows.length === 0) {
        throw new Error(`${where}: the query returned no row: ${statements[i]}`);
      }
    }
    return { code: 0, stdout: JSON.stringify(results), stderr: "" };
  }

  #spawn(command: string, args: readonly string[], timeout: number): Promise<Outcome> {
    // The blocks crawl stand-ins on loopback: the machine's proxy is not for them (a setup or a block may set one).
    const machine: NodeJS.ProcessEnv = { ...process.env };
    for (const name of PROXY_VARIABLES) delete machine[name];
    const env: NodeJS.ProcessEnv = { ...machine, ...this.env, NO_COLOR: "1" };
    env.PATH = `${join(this.dir, "node_modules", ".bin")}:${process.env.PATH ?? ""}`;
    delete env.NODE_TEST_CONTEXT;
    delete env.RXCRAWL_DEBUG;
    // A process group of its own, so that a block that overruns is stopped with whatever it started.
    const child = spawn(command, args, { cwd: this.dir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        process.kill(-child.pid!, "SIGKILL");
        reject(new Error(`still running after ${timeout / 1000} s; stdout: ${stdout}\nstderr: ${stderr}`));
      }, timeout);
      child.once("error", reject);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups) await cleanup();
    await this.sites.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
