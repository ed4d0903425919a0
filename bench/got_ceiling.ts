#!/usr/bin/env -S node --import tsx
// Ceiling 1 of `make bench`: plain got fetching every book page of a demo site once, at a crawl's concurrency, with
// nothing else to do. Prints {"pages","errors"} as one JSON line on stdout; the harness times the whole process.
// cli.ts alone, not mod.ts: loading the whole library (linkedom, rxjs...) would add its start-up time to a ceiling.
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { fetchAll, subjectUrls } from "./fetch_all.ts";

const HELP = `usage: got_ceiling.ts --origin <url> --pages N [--concurrency N]

Fetches <origin>/subject/0/ .. /subject/N-1/ once each with got and prints {"pages","errors"}.

  --origin <url>    the demo site, e.g. http://127.0.0.1:8080
  --pages N         book pages to fetch
  --concurrency N   requests in flight at once (default: 8)
  -h, --help        this help`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: { origin: { type: "string" }, pages: { type: "string" }, concurrency: { type: "string" } },
  });
  const urls = subjectUrls(String(values.origin ?? ""), integerFlag(values, "pages") ?? 0);
  const { ok, errors } = await fetchAll(urls, integerFlag(values, "concurrency") ?? 8);
  process.stdout.write(`${JSON.stringify({ pages: ok, errors })}\n`);
});
