#!/usr/bin/env -S node --import tsx
// Ceiling 1 of `make bench`: plain got fetching every page of a demo site (or of the broad site) once, at a crawl's
// concurrency, with nothing else to do; with --parse, each page is also parsed on a parser thread (see
// parse_thread.ts), the least a crawler must do with it. Prints {"pages","errors"} (and "links" with --parse) as one
// JSON line on stdout; the harness times the whole process.
// cli.ts alone, not mod.ts: loading the whole library (linkedom, rxjs...) would add its start-up time to a ceiling.
import { Worker } from "node:worker_threads";
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { broadUrls, fetchAll, subjectUrls } from "./fetch_all.ts";

const HELP = `usage: got_ceiling.ts --origin <url> --pages N [--concurrency N] [--parse [--threads N]]
       got_ceiling.ts --broad-port P --hosts N --pages-per-host N [--concurrency N] [--parse [--threads N]]

Fetches <origin>/subject/0/ .. /subject/N-1/ of the demo site, or every page of the broad site (as many hosts at a
time as requests in flight, page 0 of each, then page 1...), once each with got, and prints {"pages","errors"}.

  --origin <url>        the demo site, e.g. http://127.0.0.1:8080
  --pages N             book pages to fetch
  --broad-port P        the broad site's port
  --hosts N             its hosts
  --pages-per-host N    its pages per host
  --concurrency N       requests in flight at once (default: 8)
  --parse               parse each page with linkedom on a parser thread (its title and resolved a[href] links)
                        before its request's place is taken by the next, as a crawl's fetch and parse stages do
  --threads N           parser threads, with --parse (default: 1, as rxcrawl on two cores)
  -h, --help            this help`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: {
      ...Object.fromEntries(
        ["origin", "pages", "broad-port", "hosts", "pages-per-host", "concurrency", "threads"].map((name) => [name, { type: "string" as const }]),
      ),
      parse: { type: "boolean" },
    },
  });
  const concurrency = integerFlag(values, "concurrency") ?? 8;
  const broadPort = integerFlag(values, "broad-port");
  const urls =
    broadPort === undefined
      ? subjectUrls(String(values.origin ?? ""), integerFlag(values, "pages") ?? 0)
      : broadUrls(broadPort, integerFlag(values, "hosts") ?? 0, integerFlag(values, "pages-per-host") ?? 0, concurrency);
  const parser = values.parse === true ? parserThreads(integerFlag(values, "threads") ?? 1) : undefined;
  const { ok, errors, errorKinds } = await fetchAll(urls, concurrency, parser?.parse).finally(() => parser?.close());
  // The report's check counts the errors; what they were goes to stderr, which the harness shows when a check fails.
  if (errors > 0) process.stderr.write(`got_ceiling.ts: ${errors} errors: ${JSON.stringify(errorKinds)}\n`);
  const counts = parser === undefined ? { pages: ok, errors } : { pages: ok, errors: errors + parser.untitled, links: parser.links };
  process.stdout.write(`${JSON.stringify(counts)}\n`);
});

/** Parser threads taking pages in turn; `parse` resolves when the page's thread has parsed it. */
function parserThreads(count: number) {
  // The thread's code is TypeScript: the project's starter registers tsx in the thread before importing it.
  const entry = new URL("./parse_thread.ts", import.meta.url).href;
  const threads = Array.from({ length: count }, () => new Worker(new URL("../src/parse/ts_worker.mjs", import.meta.url), { workerData: { entry } }));
  const waiting = new Map<number, () => void>();
  const tally = { links: 0, untitled: 0 };
  for (const thread of threads) {
    thread.on("message", ({ id, links, titled }: { id: number; links: number; titled: boolean }) => {
      tally.links += links;
      if (!titled) tally.untitled++;
      waiting.get(id)?.();
      waiting.delete(id);
    });
  }
  let next = 0;
  return {
    get links() {
      return tally.links;
    },
    get untitled() {
      return tally.untitled;
    },
    parse(body: Buffer, index: number, url: string): Promise<void> {
      // A copy of its own, so that the bytes can be moved to the thread rather than copied again.
      const bytes = new Uint8Array(body);
      return new Promise((resolve) => {
        waiting.set(index, resolve);
        threads[next++ % threads.length]!.postMessage({ id: index, url, body: bytes }, [bytes.buffer]);
      });
    },
    close: () => Promise.all(threads.map((thread) => thread.terminate())),
  };
}
