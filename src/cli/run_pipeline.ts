import { UsageError } from "../errors.ts";
import { programName } from "./program.ts";

/**
 * Runs a pipeline's body and turns its failures into the pipelines' contract: a `UsageError` prints one line and exits
 * 2; any other error prints one line and exits 1; never a stack trace (set `RXCRAWL_DEBUG=1` for one).
 *
 * @example
 * ```ts
 * import { runPipeline } from "./run_pipeline.ts";
 * await runPipeline(async () => {
 *   // parse flags, crawl, write
 * });
 * ```
 */
export async function runPipeline(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (process.env.RXCRAWL_DEBUG) console.error(error);
    // The reader of our output went away (`| head`): like any Unix filter, stop quietly.
    if ((error as { cause?: { code?: string } } | undefined)?.cause?.code === "EPIPE") process.exit(0);
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      process.stderr.write(`${programName()}: ${message} (see --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`${programName()}: ${message}\n`);
    process.exit(1);
  }
}
