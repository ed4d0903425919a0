import { setTimeout as sleep } from "node:timers/promises";
import type { Fetcher, FetchStep, StepOptions } from "../../src/fetch/fetcher.ts";
import type { CrawlRequest, FetchedPage } from "../../src/records.ts";

/** A fetch driven to its end: its page, and every step it took. */
export interface StepRun {
  page: FetchedPage;
  steps: FetchStep[];
}

/**
 * Fetches one request step after step, as a frontier holding nothing else would hand it out: each step once the
 * delay the one before asked for is over, until the page is finished.
 *
 * @example
 * ```ts
 * import { runSteps } from "./steps.ts";
 * const { page, steps } = await runSteps(fetcher, "http://127.0.0.1:8080/");
 * ```
 */
export async function runSteps(fetcher: Fetcher, request: string | CrawlRequest, options: StepOptions = {}): Promise<StepRun> {
  let current: CrawlRequest = typeof request === "string" ? { url: request, depth: 0 } : request;
  const steps: FetchStep[] = [];
  for (;;) {
    const step = await fetcher.step(current, options);
    steps.push(step);
    if ("page" in step) return { page: step.page, steps };
    await sleep(step.delayMs);
    current = step.again;
  }
}

/**
 * The page a fetch driven step after step ends on: see {@linkcode runSteps}.
 *
 * @example
 * ```ts
 * import { fetchPage } from "./steps.ts";
 * const page = await fetchPage(fetcher, { url: "http://127.0.0.1:8080/", depth: 0 });
 * ```
 */
export async function fetchPage(fetcher: Fetcher, request: string | CrawlRequest, options: StepOptions = {}): Promise<FetchedPage> {
  return (await runSteps(fetcher, request, options)).page;
}
