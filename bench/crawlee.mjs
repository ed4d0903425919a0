#!/usr/bin/env node
// The reference crawler of `make bench`: Crawlee 3's CheerioCrawler doing the crawl rxcrawl's crawl.ts does, from one
// start URL, following the links a selector picks, at a fixed concurrency, storing nothing on disk. Prints
// {"pages","repeats","errors","seconds"} as one JSON line on stdout: distinct pages handled, pages handled more than
// once, requests that failed for good, and the crawl's own time; the harness times the whole process.
// Plain JavaScript on plain node: Crawlee lives in bench/node_modules only, outside the type-checked project.
import { parseArgs } from "node:util";
import { CheerioCrawler, Configuration, log } from "crawlee";

const HELP = `usage: crawlee.mjs <start-url> --pages N [--follow <css>] [--concurrency N]

  --pages N         pages the site has: caps the crawl at twice that, so repeats show instead of running away
  --follow <css>    links to enqueue (default: "a[href]")
  --concurrency N   requests in flight at once, held fixed (default: 8)
  -h, --help        this help`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      pages: { type: "string" },
      follow: { type: "string", default: "a[href]" },
      concurrency: { type: "string", default: "8" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (error) {
  process.stderr.write(`crawlee.mjs: ${error.message.split(/\.\s/)[0]} (see --help)\n`);
  process.exit(2);
}
if (args.values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const pages = Number(args.values.pages);
const concurrency = Number(args.values.concurrency);
if (args.positionals.length !== 1 || !(pages > 0) || !(concurrency > 0)) {
  process.stderr.write("crawlee.mjs: Expected one start URL, --pages N and --concurrency N (see --help)\n");
  process.exit(2);
}

log.setLevel(log.LEVELS.WARNING);
const handled = new Map();
const crawler = new CheerioCrawler(
  {
    // Min = max: autoscaling would start at one request and grow, and the comparison is at a given concurrency.
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    maxRequestsPerCrawl: 2 * pages,
    async requestHandler({ request, $, enqueueLinks }) {
      $("title").text();
      handled.set(request.url, (handled.get(request.url) ?? 0) + 1);
      await enqueueLinks({ selector: args.values.follow });
    },
  },
  // In memory only: writing the request queue to disk would measure the disk, not the crawler.
  new Configuration({ persistStorage: false, purgeOnStart: true }),
);

const stats = await crawler.run(args.positionals);
let repeats = 0;
for (const count of handled.values()) repeats += count - 1;
const result = { pages: handled.size, repeats, errors: stats.requestsFailed, seconds: stats.crawlerRuntimeMillis / 1000 };
process.stdout.write(`${JSON.stringify(result)}\n`);
