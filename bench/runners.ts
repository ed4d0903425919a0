import { readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRows } from "../src/sinks/read_rows.ts";
import type { Measured, MeasuredGroup } from "./measure.ts";
import type { BroadScenario, RunnerName, Scenario } from "./scenarios.ts";

/** The repository root: every child runs there, where `--import tsx` resolves. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The links every runner follows: Douban's recommendations, as `make crawl` does. */
export const FOLLOW = "#db-rec-section dt a";

/** What a run handled, by its own account. */
export interface Count {
  /** Distinct pages handled successfully. */
  pages: number;
  /** Pages handled more than once (a second row or handler call for the same URL). */
  repeats: number;
  /** Pages that failed. */
  errors: number;
  /** The runner's own time, where it reports one (rxcrawl's summary, Crawlee's statistics, the parse alone). */
  ownSeconds?: number;
  /** The CPU time of that own time, where the runner reports it (the parse ceiling). */
  ownCpuSeconds?: number;
  /** Distinct pages with a title, where the runner tells (the broad runners): what a crawl that cannot read a page misses. */
  titled?: number;
  /** Extracted fields with a value, summed over the distinct pages, where the runner extracts some (the render runners). */
  fields?: number;
  /** Pages loaded in a browser (rendered), where the runner renders: its own count. */
  rendered?: number;
}

/** Where and what a runner crawls. */
export interface RunContext {
  scenario: Scenario;
  origin: string;
  /** A directory the run may write to, removed by the harness. */
  tmp: string;
  /** A Redis server for the runners that share their crawl through one, started by the harness. */
  redis?: string;
}

/** How to start one runner as a child process, and how to read what it did. */
export interface Runner {
  name: RunnerName;
  /** Its name in the report. */
  label: string;
  /** Whether pages/s divides by the runner's own time instead of the process's wall time (a ceiling that times one phase). */
  timesItself: boolean;
  /** The node arguments that start it. */
  args(context: RunContext): string[];
  /** Reads its result: from its stdout, or from the file it wrote. */
  count(context: RunContext, run: Measured): Promise<Count>;
  /** Whether it needs a Redis server. @default false */
  redis?: boolean;
}

/** The runners of the demo-site scenarios, by name. */
export const RUNNERS: Readonly<Partial<Record<RunnerName, Runner>>> = {
  got: {
    name: "got",
    label: "got (fetch ceiling)",
    timesItself: false,
    args: ({ scenario, origin }) => [...TSX, "bench/got_ceiling.ts", ...siteFlags(scenario, origin)],
    count: async (_, run) => jsonCount(run),
  },
  linkedom: {
    name: "linkedom",
    label: "linkedom (parse ceiling)",
    timesItself: true,
    args: ({ scenario, origin }) => [...TSX, "bench/linkedom_ceiling.ts", ...siteFlags(scenario, origin), "--follow", FOLLOW],
    count: async (_, run) => jsonCount(run),
  },
  rxcrawl: rxcrawl("rxcrawl", undefined),
  "rxcrawl-w0": rxcrawl("rxcrawl-w0", 0),
  "rxcrawl-w1": rxcrawl("rxcrawl-w1", 1),
  "rxcrawl-w2": rxcrawl("rxcrawl-w2", 2),
  "rxcrawl-redis": rxcrawl("rxcrawl-redis", undefined, { redis: true }),
  "rxcrawl-parquet": rxcrawl("rxcrawl-parquet", undefined, { format: "parquet" }),
  crawlee: {
    name: "crawlee",
    label: "Crawlee CheerioCrawler",
    timesItself: false,
    args: ({ scenario, origin }) => [
      "bench/crawlee.mjs",
      `${origin}/subject/0/`,
      ...["--pages", String(scenario.pages), "--follow", FOLLOW, "--concurrency", String(scenario.concurrency)],
    ],
    count: async (_, run) => jsonCount(run),
  },
};

const TSX = ["--import", "tsx"];

function siteFlags(scenario: Scenario, origin: string): string[] {
  return ["--origin", origin, "--pages", String(scenario.pages), "--concurrency", String(scenario.concurrency)];
}

/**
 * The node arguments a pipeline's first lines give (`exec node FLAGS <repository>/bin/run_source.mjs "$0" "$@"`), to
 * put before the script: the harness runs it as `./script` would, while it still starts node itself (the process it
 * measures is node, not sh).
 */
export function shebangFlags(script: string): string[] {
  const [first, second] = readFileSync(join(ROOT, script), "utf8").split("\n", 2);
  const match = /^':' \/\/; exec node((?: +--\S+)*) "[^\n]*\/bin\/run_source\.mjs" "\$0" "\$@"$/.exec(second ?? "");
  if (first !== "#!/bin/sh" || match === null) throw new Error(`${script} does not start with the #!/bin/sh lines that run node`);
  return [...match[1]!.trim().split(/ +/).filter((flag) => flag !== ""), join(ROOT, "bin", "run_source.mjs")];
}

/**
 * rxcrawl's generic crawler, as a user runs it; `workers` undefined leaves its default (cores - 1). With `redis`, one
 * worker on a crawl shared through Redis (it writes `<name>.w1.csv`); with `format: "parquet"`, its rows go to a
 * Parquet file instead of CSV.
 */
function rxcrawl(name: RunnerName, workers: number | undefined, { redis = false, format = "csv" } = {}): Runner {
  const out = (tmp: string) => join(tmp, `${name}.${format}`);
  const label = redis ? "rxcrawl, one worker on Redis" : format === "parquet" ? "rxcrawl --out x.parquet" : "rxcrawl";
  return {
    name,
    label: workers === undefined ? label : `rxcrawl --workers ${workers}`,
    timesItself: false,
    redis,
    args: ({ scenario, origin, tmp, redis: url }) => [
      ...shebangFlags("pipelines/crawl.ts"),
      "pipelines/crawl.ts",
      `${origin}/subject/0/`,
      ...["--follow", FOLLOW, "--concurrency", String(scenario.concurrency), "--out", out(tmp)],
      ...(workers === undefined ? [] : ["--workers", String(workers)]),
      ...(redis ? ["--redis", url!, "--crawl-id", name] : []),
    ],
    async count({ tmp }, run) {
      const file = redis ? join(tmp, `${name}.w1.csv`) : out(tmp);
      try {
        const { titled: _, fields: __, ...count } = await countCsv([file]);
        const ownSeconds = /Code runtime: ([\d.]+) s/.exec(run.stderrTail)?.[1];
        return ownSeconds === undefined ? count : { ...count, ownSeconds: Number(ownSeconds) };
      } catch {
        return { pages: 0, repeats: 0, errors: 0 }; // no file: the exit code tells why
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}

/**
 * Rows of crawl.ts outputs (CSV or Parquet; several from the processes of one shared crawl): distinct URLs whose row
 * has status 200 and no error, second rows, error rows, distinct URLs whose row has a title, and the values of the
 * `fields` columns those rows have.
 */
async function countCsv(files: readonly string[], fields: readonly string[] = []): Promise<Count & { titled: number; fields: number }> {
  const urls = new Set<string>();
  let rows = 0;
  let pages = 0;
  let errors = 0;
  let titled = 0;
  let values = 0;
  for (const file of files) {
    for await (const row of readRows(file)) {
      rows++;
      const url = String(row.url ?? "");
      const first = !urls.has(url);
      urls.add(url);
      if ((row.error ?? "") !== "" || Number(row.status) !== 200) errors++;
      else if (first) {
        pages++;
        if ((row.title ?? "") !== "") titled++;
        for (const name of fields) if ((row[name] ?? "") !== "") values++;
      }
    }
  }
  return { pages, repeats: rows - urls.size, errors, titled, fields: values };
}

/** The one JSON line a reference runner prints: {"pages","repeats"?,"errors","seconds"?}. */
function jsonCount(run: Measured): Count {
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  try {
    const { pages, repeats, errors, seconds, cpuSeconds, titled, fields, browserPages } = JSON.parse(line) as Record<string, number | undefined>;
    return {
      pages: pages ?? 0,
      repeats: repeats ?? 0,
      errors: errors ?? 0,
      ...(titled === undefined ? {} : { titled }),
      ...(fields === undefined ? {} : { fields }),
      ...(browserPages === undefined ? {} : { rendered: browserPages }),
      ...(seconds === undefined ? {} : { ownSeconds: seconds }),
      ...(cpuSeconds === undefined ? {} : { ownCpuSeconds: cpuSeconds }),
    };
  } catch {
    return { pages: 0, repeats: 0, errors: 0 };
  }
}

/** Where and what a runner crawls on the broad site. */
export interface BroadContext {
  scenario: BroadScenario;
  /** Page 0 of host 0. */
  startUrl: string;
  port: number;
  /** A directory the run may write to, removed by the harness. */
  tmp: string;
  /** A Redis server for the runners that share their crawl through one, started by the harness. */
  redis?: string;
}

/**
 * How to run one runner on the broad site, as one process or as several started at once (workers sharing a crawl),
 * and how to read what it did.
 */
export interface BroadRunner {
  name: RunnerName;
  /** Its name in the report. */
  label: string;
  /** Held to no politeness: it measures what the cores allow, and is not judged against a bound. @default false */
  ceiling?: boolean;
  /** Whether it needs a Redis server. @default false */
  redis?: boolean;
  /** The node arguments of each of its processes. */
  processes(context: BroadContext): string[][];
  /** Reads its result: from its stdout, or from the files it wrote. */
  count(context: BroadContext, run: MeasuredGroup): Promise<Count>;
}

/** A ceiling on the broad site: got_ceiling.ts fetching every page once at the scenario's concurrency, no politeness. */
function gotBroad(name: RunnerName, label: string, flags: readonly string[] = []): BroadRunner {
  return {
    name,
    label,
    ceiling: true,
    processes: ({ scenario, port }) => [
      [
        ...TSX,
        "bench/got_ceiling.ts",
        ...["--broad-port", String(port), "--hosts", String(scenario.site.hosts)],
        ...["--pages-per-host", String(scenario.site.pagesPerHost), "--concurrency", String(scenario.concurrency), ...flags],
      ],
    ],
    count: async (_, run) => jsonCount(run.processes[0]!),
  };
}

/** The runners of the broad scenarios, by name. */
export const BROAD_RUNNERS: Readonly<Partial<Record<RunnerName, BroadRunner>>> = {
  got: gotBroad("got", "got (fetch ceiling, no politeness)"),
  "got-parse": gotBroad("got-parse", "got + linkedom (fetch and parse ceiling, no politeness)", ["--parse"]),
  rxcrawl: rxcrawlBroad("rxcrawl"),
  "rxcrawl-redis": rxcrawlBroad("rxcrawl-redis", { redis: true }),
  "rxcrawl-auto": rxcrawlBroad("rxcrawl-auto", { flags: ["--render", "auto"] }),
  "rxcrawl-always": rxcrawlBroad("rxcrawl-always", { flags: ["--render", "always"] }),
  "crawlee-playwright": crawleeRender("crawlee-playwright", "playwright"),
  "crawlee-adaptive": crawleeRender("crawlee-adaptive", "adaptive"),
  crawlee: {
    name: "crawlee",
    label: "Crawlee CheerioCrawler",
    processes: ({ scenario, startUrl }) => [
      [
        "bench/crawlee.mjs",
        startUrl,
        ...["--max-pages", String(scenario.maxPages ?? scenario.site.hosts * scenario.site.pagesPerHost), "--any-host"],
        ...["--same-domain-delay", String(1 / scenario.rate), "--concurrency", String(scenario.concurrency)],
      ],
    ],
    count: async (_, run) => jsonCount(run.processes[0]!),
  },
};

/** Options of {@linkcode rxcrawlBroad}. */
interface RxcrawlBroadOptions {
  /** Share the crawl through the harness's Redis server. @default false */
  redis?: boolean;
  /** crawl.ts processes on the one crawl, started at once (the first brings the start URL); needs `redis`. @default 1 */
  workers?: number;
  /** More crawl.ts flags (`--render auto`, `--per-host 1`). @default [] */
  flags?: readonly string[];
}

/**
 * rxcrawl's generic crawler on the broad site, as a user runs it: from page 0 of host 0, following every link to any
 * host at the scenario's rate and concurrency. With `redis`, each of `workers` processes shares the crawl through
 * Redis and writes a file of its own (`<name>.w<n>.csv`); the count reads them all.
 */
export function rxcrawlBroad(name: RunnerName, { redis = false, workers = 1, flags = [] }: RxcrawlBroadOptions = {}): BroadRunner {
  if (workers > 1 && !redis) throw new Error(`${name}: workers beyond one share a crawl through Redis`);
  const label = `rxcrawl${workers > 1 ? `, ${workers} workers` : ""}${redis ? ` on Redis` : ""}${flags.length > 0 ? ` ${flags.join(" ")}` : ""}`;
  return {
    name,
    label,
    redis,
    processes: ({ scenario, startUrl, tmp, redis: url }) =>
      Array.from({ length: workers }, (_, i) => [
        ...shebangFlags("pipelines/crawl.ts"),
        "pipelines/crawl.ts",
        ...(i === 0 ? [startUrl] : []),
        ...["--any-host", "--rate", String(scenario.rate), "--concurrency", String(scenario.concurrency)],
        ...(scenario.obeyRobots ? [] : ["--no-robots"]),
        ...(scenario.maxPages === undefined ? [] : ["--max-pages", String(scenario.maxPages)]),
        ...["--out", join(tmp, `${name}.csv`)],
        ...(redis ? ["--redis", url!, "--crawl-id", name] : []),
        // A render scenario: the fields every runner extracts, and the statistics that count the browser's pages.
        ...(scenario.render?.extract.flatMap((field) => ["--extract", field]) ?? []),
        ...(scenario.render === undefined ? [] : ["--stats", join(tmp, `${name}.stats.json`)]),
        ...flags,
      ]),
    async count({ scenario, tmp }) {
      const files = readdirSync(tmp)
        .filter((file) => file.startsWith(`${name}.`) && file.endsWith(".csv"))
        .map((file) => join(tmp, file));
      const stats = join(tmp, `${name}.stats.json`);
      try {
        const fields = scenario.render?.extract.map((field) => field.slice(0, field.indexOf("="))) ?? [];
        const count: Count = await countCsv(files, fields);
        if (scenario.render === undefined) delete count.fields;
        else count.rendered = (JSON.parse(readFileSync(stats, "utf8")) as { render?: { pages: number } }).render?.pages ?? 0;
        return count;
      } catch (error) {
        if (files.length > 0) throw error;
        return { pages: 0, repeats: 0, errors: 0 }; // no file: the exit code tells why
      } finally {
        await Promise.all([...files, stats].map((file) => rm(file, { force: true })));
      }
    },
  };
}

/**
 * Crawlee's PlaywrightCrawler or AdaptivePlaywrightCrawler (`crawlee_render.mjs`) on the broad site of a render
 * scenario: from page 0 of host 0, following links to any host, with as many pages in the browser at once as rxcrawl
 * has tabs, extracting the same fields.
 */
function crawleeRender(name: RunnerName, crawler: "playwright" | "adaptive"): BroadRunner {
  return {
    name,
    label: crawler === "playwright" ? "Crawlee PlaywrightCrawler" : "Crawlee AdaptivePlaywrightCrawler",
    processes: ({ scenario, startUrl }) => [
      [
        "bench/crawlee_render.mjs",
        startUrl,
        ...["--crawler", crawler, "--any-host"],
        ...["--max-pages", String(scenario.maxPages ?? scenario.site.hosts * scenario.site.pagesPerHost)],
        ...["--concurrency", String(scenario.render?.tabs ?? 4)],
        ...(scenario.render?.extract.flatMap((field) => ["--extract", field]) ?? []),
      ],
    ],
    count: async (_, run) => jsonCount(run.processes[0]!),
  };
}
