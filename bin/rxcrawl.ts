#!/usr/bin/env node
// The rxcrawl command: `rxcrawl <command> [options]` runs the pipeline of that name, the same file a user runs by its
// path from the repository (pipelines/*.ts, compiled to .js in the package), with the rest of the command line as its
// own and with usage lines and messages saying `rxcrawl crawl`. `rxcrawl --version` prints the package's version.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UsageError } from "../src/errors.ts";
import { runPipeline, setProgramName } from "../src/cli/mod.ts";

/** The commands, each a pipeline of pipelines/, in the order the help lists them. */
const COMMANDS: Record<string, { pipeline: string; about: string }> = {
  crawl: { pipeline: "crawl", about: "crawl from start URLs, following links; one row per URL, CSV or JSONL" },
  books: { pipeline: "douban-books", about: "follow Douban's recommended books; --demo crawls the bundled site offline" },
  titles: { pipeline: "titles", about: "fetch a list of URLs and write each page's title" },
  demo: { pipeline: "concurrency-demo", about: "time the same waits run one after another, all at once, and capped" },
  report: { pipeline: "report", about: "make the HTML report of a crawl from what its --stats wrote (and its output)" },
};

const HELP = `usage: rxcrawl <command> [options]

Crawls the web as an RxJS stream. Commands:

${Object.entries(COMMANDS)
  .map(([name, { about }]) => `  ${name.padEnd(8)}${about}`)
  .join("\n")}

rxcrawl <command> --help lists a command's options; rxcrawl --version prints the version.`;

/** This file runs as TypeScript from the repository and as JavaScript from the package, beside the pipelines alike. */
const EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

setProgramName("rxcrawl");
const [name, ...rest] = process.argv.slice(2);

if (name === "--help" || name === "-h") {
  process.stdout.write(`${HELP}\n`);
} else if (name === "--version") {
  // bin/rxcrawl.ts in the repository, dist/bin/rxcrawl.js in the package.
  const manifest = new URL(EXTENSION === ".ts" ? "../package.json" : "../../package.json", import.meta.url);
  process.stdout.write(`${(JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version}\n`);
} else {
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    await runPipeline(() => {
      const names = Object.keys(COMMANDS);
      const expected = `Expected a command (${names.slice(0, -1).join(", ")} or ${names.at(-1)})`;
      throw new UsageError(`${expected}, got ${name === undefined ? "none" : JSON.stringify(name)}`);
    });
  } else {
    const script = new URL(`../pipelines/${command.pipeline}${EXTENSION}`, import.meta.url);
    // The pipeline reads its arguments from process.argv, as when it is started by its path.
    process.argv = [process.argv[0]!, fileURLToPath(script), ...rest];
    setProgramName(`rxcrawl ${name}`);
    await import(script.href);
  }
}
