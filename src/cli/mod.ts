/**
 * rxcrawl's command-line support: what the pipelines in `pipelines/` and the `rxcrawl` command are made of. Flags
 * parsed and checked once, usage errors in one line with exit code 2, the graceful stop on signals, resumable outputs.
 *
 * @example
 * ```ts
 * import { commandSpec, crawlFlags, parseCli, runPipeline } from "rxcrawl/cli";
 * await runPipeline(async () => {
 *   const { values } = parseCli(commandSpec({ usage: "[options]", about: "Crawls.", flags: ["concurrency"] }));
 *   const options = crawlFlags(values);
 * });
 * ```
 * @module
 */
export { type CrawlJob, type CrawlJobSpec, openCrawlJob } from "./crawl_job.ts";
export { commandSpec, type CommandSpec, crawlFlags, defaultWorkers, type Flag, type FlagName, FLAGS, RENDER_FLAGS, SESSION_FLAGS } from "./flags.ts";
export { openJournal } from "./open_journal.ts";
export { type Cli, type CliSpec, headerFlags, integerFlag, numberFlag, parseCli } from "./parse_cli.ts";
export { programName, setProgramName } from "./program.ts";
export { runPipeline } from "./run_pipeline.ts";
export { joinedOptions, SHARED_FLAGS, sharedOutput, sharedState } from "./shared_state.ts";
export { type Stop, stopOnSignals } from "./stop_on_signals.ts";
