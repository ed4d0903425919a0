#!/bin/sh
':' //; exec node "$(cd "$(dirname "$0")/.." && pwd)/bin/run_source.mjs" "$0" "$@"
// The first two lines are read by sh as well as by TypeScript: sh runs node on this repository's bin/run_source.mjs,
// found from the script's own folder, so the script runs from any working directory; it runs the script bundled once
// from its TypeScript sources (see that file). TypeScript sees a string and a comment.
// The report of a crawl that ran: one self-contained HTML page drawn from the crawl's --stats file, with the pages,
// statuses, depths, hosts and failing URLs counted from its output when it is given (after --resume, the output holds
// every run, the stats file the last one).
// Input: a stats file (and the crawl's output: CSV, JSONL or Parquet). Output: an HTML file.
import { readFile } from "node:fs/promises";
import { type CrawlSummary, readRows, summaryWithRows, UsageError, writeReport } from "../src/mod.ts";
import { commandSpec, parseCli, programName, runPipeline } from "../src/cli/mod.ts";

const COMMAND = commandSpec({
  usage: "<stats.json> [<output-file>] [options]",
  about: `Makes the HTML report of a crawl from the statistics its --stats flag wrote, and from its output when given.`,
  flags: [],
  extra: {
    out: { type: "string", arg: "<file.html>", help: "where the report goes", default: "the stats file's, with .html" },
    title: { type: "string", arg: "<text>", help: "the report's title", default: '"Crawl report"' },
  },
  positionals: true,
  footer: `Example: ${programName()} data/out/douban-books.stats.json data/out/douban-books.csv --out data/out/books.html`,
});

await runPipeline(async () => {
  const { values, positionals } = parseCli(COMMAND);
  const [statsPath, output, ...extra] = positionals;
  if (statsPath === undefined) throw new UsageError("Expected a stats file (what --stats wrote), got none");
  if (extra.length > 0) throw new UsageError(`Expected at most a stats file and an output, got ${JSON.stringify(extra[0])} too`);
  const out = (values.out as string | undefined) ?? statsPath.replace(/(\.stats)?\.json$/i, "") + ".html";
  if (!out.toLowerCase().endsWith(".html")) throw new UsageError(`Expected --out to end in .html, got ${JSON.stringify(out)}`);
  let summary = await readSummary(statsPath);
  if (output !== undefined) summary = await summaryWithRows(summary, readRows(output));
  await writeReport(out, summary, { title: (values.title as string | undefined) ?? "Crawl report" });
  process.stderr.write(`${programName()}: wrote ${out}: ${summary.pages} pages\n`);
});

async function readSummary(path: string): Promise<CrawlSummary> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read the stats file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as CrawlSummary;
  } catch {
    throw new UsageError(`Expected ${path} to be the JSON --stats writes, got text that is not JSON`);
  }
}
