#!/usr/bin/env -S node --import tsx
// Ceiling 1 of `make bench`: plain got fetching every page of a demo site (or of the broad site) once, at a crawl's
// concurrency, with nothing else to do. Prints {"pages","errors"} as one JSON line on stdout; the harness times the whole process.
// cli.ts alone, not mod.ts: loading the whole library (linkedom, rxjs...) would add its start-up time to a ceiling.
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { broadUrls, fetchAll, subjectUrls } from "./fetch_all.ts";

const HELP = `usage: got_ceiling.ts --origin <url> --pages N [--concurrency N]
       got_ceiling.ts --broad-port P --hosts N --pages-per-host N [--concurrency N]

Fetches <origin>/subject/0/ .. /subject/N-1/ of the demo site, or every page of the broad site (as many hosts at a
time as requests in flight, page 0 of each, then page 1...), once each with got, and prints {"pages","errors"}.

  --origin <url>        the demo site, e.g. http://127.0.0.1:8080
  --pages N             book pages to fetch
  --broad-port P        the broad site's port
  --hosts N             its hosts
  --pages-per-host N    its pages per host
  --concurrency N       requests in flight at once (default: 8)
  -h, --help            this help`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: Object.fromEntries(
      ["origin", "pages", "broad-port", "hosts", "pages-per-host", "concurrency"].map((name) => [name, { type: "string" }]),
    ),
  });
  const concurrency = integerFlag(values, "concurrency") ?? 8;
  const broadPort = integerFlag(values, "broad-port");
  const urls =
    broadPort === undefined
      ? subjectUrls(String(values.origin ?? ""), integerFlag(values, "pages") ?? 0)
      : broadUrls(broadPort, integerFlag(values, "hosts") ?? 0, integerFlag(values, "pages-per-host") ?? 0, concurrency);
  const { ok, errors, errorKinds } = await fetchAll(urls, concurrency);
  // The report's check counts the errors; what they were goes to stderr, which the harness shows when a check fails.
  if (errors > 0) process.stderr.write(`got_ceiling.ts: ${errors} errors: ${JSON.stringify(errorKinds)}\n`);
  process.stdout.write(`${JSON.stringify({ pages: ok, errors })}\n`);
});
