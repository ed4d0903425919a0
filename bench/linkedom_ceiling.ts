#!/usr/bin/env -S node --import tsx
// Ceiling 2 of `make bench`: linkedom parsing alone. Fetches every book page of a demo site first (not timed), then
// times parsing them one after another on this one thread: UTF-8 decoding, parsing, the links of the follow selector
// (their href) and the <title>, as a crawler must at the least. Prints {"pages","errors","seconds","cpuSeconds","links"}
// as one JSON line; the harness takes `seconds`, the parse alone, instead of the process's wall time, and
// `cpuSeconds`, the CPU time of the parse on all the process's threads (the garbage collector's included).
// It parses with rxcrawl's parseDocument, that is linkedom as rxcrawl loads it (with a lighter EventTarget, see
// src/linkedom/), so that this stays a ceiling of rxcrawl's parse stage; stock linkedom parses the same pages slower.
import { integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";
import { parseDocument } from "../src/parse/select.ts";
import { fetchAll, subjectUrls } from "./fetch_all.ts";

const HELP = `usage: linkedom_ceiling.ts --origin <url> --pages N --follow <css> [--concurrency N]

Fetches <origin>/subject/0/ .. /subject/N-1/, then times parsing them with linkedom on one thread.

  --origin <url>    the demo site, e.g. http://127.0.0.1:8080
  --pages N         book pages
  --follow <css>    the link selector to query on each page
  --concurrency N   requests in flight while fetching, not timed (default: 8)
  -h, --help        this help`;

await runPipeline(async () => {
  const { values } = parseCli({
    help: HELP,
    options: {
      origin: { type: "string" },
      pages: { type: "string" },
      follow: { type: "string" },
      concurrency: { type: "string" },
    },
  });
  const follow = String(values.follow ?? "a[href]");
  const urls = subjectUrls(String(values.origin ?? ""), integerFlag(values, "pages") ?? 0);
  // Kept as bytes and decoded in the timed loop, as a crawler does. Decoded on arrival and held as strings, the 50,000
  // pages of `big` parsed 5 times slower (237 s against 48 s; not garbage collection: it took 1 % of the time).
  const bodies: Buffer[] = [];
  const { errors } = await fetchAll(urls, integerFlag(values, "concurrency") ?? 8, (body) => void bodies.push(body));

  let pages = 0;
  let links = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const body of bodies) {
    const document = parseDocument(body.toString("utf8"));
    for (const link of document.querySelectorAll(follow)) if (link.getAttribute("href") !== null) links++;
    if ((document.querySelector("title")?.textContent ?? "") !== "") pages++;
  }
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const cpuSeconds = (user + system) / 1e6;
  process.stdout.write(`${JSON.stringify({ pages, errors, seconds, cpuSeconds, links })}\n`);
});
