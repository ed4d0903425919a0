import type { BroadSiteSettings, SiteSettings } from "./site_process.ts";

/** The runners a scenario can measure; see `runners.ts`. */
export const RUNNER_NAMES = [
  "got",
  "got-parse",
  "linkedom",
  "rxcrawl",
  "rxcrawl-w0",
  "rxcrawl-w1",
  "rxcrawl-w2",
  "rxcrawl-redis",
  "rxcrawl-parquet",
  "rxcrawl-auto",
  "rxcrawl-always",
  "crawlee",
  "crawlee-playwright",
  "crawlee-adaptive",
] as const;
export type RunnerName = (typeof RUNNER_NAMES)[number];

/** One benchmark: a demo site, the concurrency every runner crawls it at, and who runs unless `--refs` says. */
export interface Scenario extends SiteSettings {
  name: string;
  /** Requests in flight at once, for every runner. */
  concurrency: number;
  /** Runners measured by default, in this order. */
  runners: readonly RunnerName[];
  /**
   * Whether to fetch every page once before the runs, so that the site has rendered and gzipped them (it keeps
   * 20,000 pages at most): not worth a million requests.
   */
  warmUp: boolean;
  /** What the scenario stresses, for the report. */
  about: string;
  /**
   * How it is run: one crawler process per runner (the default); several crawl.ts workers sharing one crawl through
   * Redis ("cluster"); a seen set filled in Redis ("seen", `pages` being the URLs); or the shared state alone, on
   * shards of one server ("shards").
   */
  kind?: "cluster" | "seen" | "shards";
  /**
   * For "cluster": the broad site instead of the demo site, and the rate per host every process keeps. `pages` is
   * then the site's, hosts × pages per host.
   */
  broad?: { site: BroadSiteSettings; rate: number };
}

/** A crawl over the broad site: many hosts, each to be visited at a polite pace, from page 0 of host 0. */
export interface BroadScenario {
  name: string;
  /** "render" for a site of plain and script-built hosts, crawled with and without a browser (see `render`). */
  kind: "broad" | "render";
  site: BroadSiteSettings;
  /** Requests in flight at once, for every runner (per process, where a runner has several). */
  concurrency: number;
  /**
   * Requests per second to one host: rxcrawl's --rate, Crawlee's sameDomainDelaySecs (1/rate), and the interval the
   * site's gaps are counted against.
   */
  rate: number;
  /** Pages a crawl may fetch at most (--max-pages, maxRequestsPerCrawl); the whole site when absent. */
  maxPages?: number;
  /** Whether the crawlers read robots.txt (Crawlee's CheerioCrawler never does). */
  obeyRobots: boolean;
  /** Runners measured by default, in this order. */
  runners: readonly RunnerName[];
  /** What the scenario stresses, and why its settings, for the report. */
  about: string;
  /** How pages are read in a browser, for the runners that render. */
  render?: RenderSettings;
}

/** The browser side of a render scenario: the same for rxcrawl and Crawlee. */
export interface RenderSettings {
  /** Fields every runner extracts (`name=css`): what a crawl that cannot read a page misses. */
  extract: readonly string[];
  /** Pages in a browser at once: rxcrawl's tabs (its default), Crawlee's concurrency. */
  tabs: number;
}

/** A long rendered crawl whose memory is sampled as it goes: does it stay flat? */
export interface RenderSoakScenario {
  name: string;
  kind: "render-soak";
  site: BroadSiteSettings;
  /** Pages to render (`--max-pages`). */
  pages: number;
  /** Requests in flight at once (fetching). */
  concurrency: number;
  about: string;
}

/**
 * The scenarios of `make bench`. Each demo-site scenario is crawled from /subject/0/ and reaches every page exactly
 * once; the same seed everywhere, so that every run of a scenario crawls the same link graph.
 */
export const SCENARIOS: Readonly<Record<string, Scenario | BroadScenario | RenderSoakScenario>> = {
  cpu: {
    name: "cpu",
    about: "parsing-bound: large pages, no latency; inline parsing against 1 and 2 worker threads",
    pages: 3000,
    bodyKb: 40,
    links: 10,
    latencyMs: 0,
    seed: 1,
    concurrency: 16,
    runners: ["got", "linkedom", "rxcrawl", "rxcrawl-w0", "rxcrawl-w1", "rxcrawl-w2", "crawlee"],
    warmUp: true,
  },
  latency: {
    name: "latency",
    about: "waiting-bound: 100 ms per response at concurrency 50, so at best 500 pages/s",
    pages: 1500,
    bodyKb: 20,
    links: 10,
    latencyMs: 100,
    seed: 1,
    concurrency: 50,
    runners: ["got", "rxcrawl", "rxcrawl-redis", "crawlee"],
    warmUp: true,
  },
  big: {
    name: "big",
    about: "a large frontier: 50,000 pages, to show the cost of the seen set and the queue",
    pages: 50_000,
    bodyKb: 8,
    links: 10,
    latencyMs: 0,
    seed: 1,
    concurrency: 32,
    runners: ["got", "linkedom", "rxcrawl", "crawlee"],
    warmUp: true,
  },
  million: {
    name: "million",
    about: "a million small pages, on demand only: memory and throughput at scale",
    pages: 1_000_000,
    bodyKb: 1,
    links: 10,
    latencyMs: 0,
    seed: 1,
    concurrency: 64,
    runners: ["got", "rxcrawl", "rxcrawl-parquet"],
    warmUp: false,
  },
  cluster: {
    name: "cluster",
    about:
      "the broad site from a seed list of every host's first page, waiting-bound per process: 1,000 hosts at 1 " +
      "request/s each (a bound of 1,000 pages/s) and " +
      "200 ms a response, so that each process's concurrency, not politeness or the cores, sets its pace, and what is " +
      "measured is the processes' coordination through Redis",
    kind: "cluster",
    pages: 4000,
    bodyKb: 4,
    links: 8,
    latencyMs: 200,
    seed: 1,
    concurrency: 8,
    runners: [],
    warmUp: false,
    broad: {
      site: { hosts: 1000, pagesPerHost: 4, ownLinks: 3, otherLinks: 3, bodyKb: 4, latencyMs: 200, seed: 1, robots: "allow", scriptHosts: 0 },
      rate: 1,
    },
  },
  shards: {
    name: "shards",
    about: "the shared state alone on 1 to 16 shards of one Redis server",
    kind: "shards",
    pages: 5000,
    bodyKb: 0,
    links: 10,
    latencyMs: 0,
    seed: 1,
    concurrency: 16,
    runners: [],
    warmUp: false,
  },
  seen: {
    name: "seen",
    about: "the memory of a shared crawl's seen set in Redis",
    kind: "seen",
    pages: 100_000_000,
    bodyKb: 0,
    links: 0,
    latencyMs: 0,
    seed: 1,
    concurrency: 0,
    runners: [],
    warmUp: false,
  },
  broad: {
    name: "broad",
    kind: "broad",
    about:
      "politeness per host: hosts × rate is far below what the cores or the concurrency allow, so a crawler reaches " +
      "the bound only by keeping every host busy at its pace, and never faster",
    site: { hosts: 100, pagesPerHost: 50, ownLinks: 8, otherLinks: 2, bodyKb: 4, latencyMs: 50, seed: 1, robots: "allow", scriptHosts: 0 },
    concurrency: 32,
    rate: 2,
    maxPages: 2000,
    obeyRobots: false,
    runners: ["rxcrawl", "crawlee"],
  },
  "broad-10k": {
    name: "broad-10k",
    kind: "broad",
    about:
      "a million pages over 10,000 hosts, on demand only: politeness and concurrency allow more than two cores can " +
      "fetch, so the cores are the limit; the got ceiling measures what they allow, and a crawler is judged against " +
      "it, with its memory over a frontier of 10,000 hosts",
    site: { hosts: 10_000, pagesPerHost: 100, ownLinks: 8, otherLinks: 2, bodyKb: 2, latencyMs: 50, seed: 1, robots: "allow", scriptHosts: 0 },
    concurrency: 256,
    rate: 1,
    obeyRobots: false,
    runners: ["got", "got-parse", "rxcrawl"],
  },
  render: {
    name: "render",
    kind: "render",
    about:
      "pages built by script: 1 host in 10 serves shells that a script fills from JSON, the others plain HTML; " +
      "each host at 20 requests/s, so that for a crawl that renders every page the browser, not the pace, is the limit",
    site: { hosts: 20, pagesPerHost: 50, ownLinks: 8, otherLinks: 2, bodyKb: 4, latencyMs: 50, seed: 1, robots: "allow", scriptHosts: 0.1 },
    concurrency: 16,
    rate: 20,
    obeyRobots: false,
    runners: ["rxcrawl", "rxcrawl-auto", "rxcrawl-always", "crawlee-playwright", "crawlee-adaptive"],
    render: { extract: ["h1=h1"], tabs: 4 },
  },
  "render-soak": {
    name: "render-soak",
    kind: "render-soak",
    about: "10,000 pages rendered in one crawl, the memory of crawl.ts and its browser sampled every 2 s",
    site: { hosts: 100, pagesPerHost: 100, ownLinks: 8, otherLinks: 2, bodyKb: 4, latencyMs: 0, seed: 1, robots: "allow", scriptHosts: 0.1 },
    pages: 10_000,
    concurrency: 16,
  },
};

/**
 * Scenarios run when none is named: million, cluster, seen, broad, broad-10k, render and render-soak take far longer,
 * need Redis or a browser, or measure another thing than the single-site crawl, and run when asked.
 */
export const DEFAULT_SCENARIOS = ["cpu", "latency", "big"] as const;

/** The worker counts of the cluster scenario. */
export const CLUSTER_WORKERS = [1, 2, 4] as const;
