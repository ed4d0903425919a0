#!/usr/bin/env node
// The reference crawler of `make bench`: Crawlee 3's CheerioCrawler doing the crawl rxcrawl's crawl.ts does, from one
// start URL, following the links a selector picks (on the start URL's host, or on any host), at a fixed concurrency,
// storing nothing on disk. Prints {"pages","repeats","errors","titled","seconds"} as one JSON line on stdout: distinct
// pages handled, pages handled more than once, requests that failed for good, pages with a title, and the crawl's own
// time; the harness times the whole process.
// Plain JavaScript on plain node: Crawlee lives in bench/node_modules only, outside the type-checked project.
import { parseArgs } from "node:util";
import { CheerioCrawler, Configuration, log } from "crawlee";

const HELP = `usage: crawlee.mjs <start-url> (--pages N | --max-pages N) [options]

  --pages N                  pages the site has: caps the crawl at twice that, so repeats show instead of running away
  --max-pages N              requests to make at most (maxRequestsPerCrawl), instead of twice --pages
  --follow <css>             links to enqueue (default: "a[href]")
  --any-host                 enqueue links to any host (strategy "all"), not only the start URL's hostname
  --same-domain-delay <s>    sameDomainDelaySecs: seconds between two requests to one domain (default: 0)
  --concurrency N            requests in flight at once, held fixed (default: 8)
  -h, --help                 this help`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      pages: { type: "string" },
      "max-pages": { type: "string" },
      "any-host": { type: "boolean", default: false },
      "same-domain-delay": { type: "string", default: "0" },
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
const maxRequests = args.values["max-pages"] === undefined ? 2 * Number(args.values.pages) : Number(args.values["max-pages"]);
const concurrency = Number(args.values.concurrency);
const delay = Number(args.values["same-domain-delay"]);
if (args.positionals.length !== 1 || !(maxRequests > 0) || !(concurrency > 0) || !(delay >= 0)) {
  process.stderr.write("crawlee.mjs: Expected one start URL, --pages N or --max-pages N, and --concurrency N (see --help)\n");
  process.exit(2);
}

log.setLevel(log.LEVELS.WARNING);
const handled = new Map();
let titled = 0;
const crawler = new CheerioCrawler(
  {
    // Min = max: autoscaling would start at one request and grow, and the comparison is at a given concurrency.
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    maxRequestsPerCrawl: maxRequests,
    // Keyed by tldts' getDomain(url): null for an IP address, and a request without a domain is never delayed.
    sameDomainDelaySecs: delay,
    async requestHandler({ request, $, enqueueLinks }) {
      if ($("title").text() !== "") titled++;
      handled.set(request.url, (handled.get(request.url) ?? 0) + 1);
      await enqueueLinks({ selector: args.values.follow, ...(args.values["any-host"] ? { strategy: "all" } : {}) });
    },
  },
  // In memory only: writing the request queue to disk would measure the disk, not the crawler.
  new Configuration({ persistStorage: false, purgeOnStart: true }),
);

const stats = await crawler.run(args.positionals);
let repeats = 0;
for (const count of handled.values()) repeats += count - 1;
const result = { pages: handled.size, repeats, errors: stats.requestsFailed, titled, seconds: stats.crawlerRuntimeMillis / 1000 };
process.stdout.write(`${JSON.stringify(result)}\n`);
