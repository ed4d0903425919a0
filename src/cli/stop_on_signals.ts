import { programName } from "./program.ts";

/** A pipeline's graceful stop: aborted by the first SIGINT or SIGTERM. */
export interface Stop {
  /** Pass to `crawl({ signal })`: aborted on the first signal. */
  signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM, 0 when no signal came. */
  exitCode(): number;
}

/**
 * Installs the stop protocol of the pipelines: the first SIGINT or SIGTERM aborts `signal` (the crawl stops admitting
 * URLs, lets requests in flight finish and flushes its files); a second one exits at once.
 *
 * @example
 * ```ts
 * import { stopOnSignals } from "./stop_on_signals.ts";
 * const stop = stopOnSignals();
 * // crawl({ ..., signal: stop.signal }) ...
 * process.exitCode = stop.exitCode();
 * ```
 */
export function stopOnSignals(): Stop {
  const controller = new AbortController();
  let code = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const exit = signal === "SIGINT" ? 130 : 143;
    if (code !== 0) process.exit(exit);
    code = exit;
    const clear = process.stderr.isTTY ? "\r\x1b[K" : ""; // the live progress line, if any, gives way
    process.stderr.write(`${clear}${programName()}: ${signal}: stopping; finishing requests in flight (again to quit now)\n`);
    controller.abort(new Error(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { signal: controller.signal, exitCode: () => code };
}
