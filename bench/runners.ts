import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRows } from "../src/sinks/read_rows.ts";
import type { Measured } from "./measure.ts";
import type { RunnerName, Scenario } from "./scenarios.ts";

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

/** The runners, by name. */
export const RUNNERS: Readonly<Record<RunnerName, Runner>> = {
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
        const count = await countCsv(file);
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

/** Rows of a crawl.ts output (CSV or Parquet): distinct URLs whose row has status 200 and no error, second rows, error rows. */
async function countCsv(file: string): Promise<Count> {
  const urls = new Set<string>();
  let rows = 0;
  let pages = 0;
  let errors = 0;
  for await (const row of readRows(file)) {
    rows++;
    const url = String(row.url ?? "");
    const first = !urls.has(url);
    urls.add(url);
    if ((row.error ?? "") !== "" || Number(row.status) !== 200) errors++;
    else if (first) pages++;
  }
  return { pages, repeats: rows - urls.size, errors };
}

/** The one JSON line a reference runner prints: {"pages","repeats"?,"errors","seconds"?}. */
function jsonCount(run: Measured): Count {
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  try {
    const { pages, repeats, errors, seconds, cpuSeconds } = JSON.parse(line) as Record<string, number | undefined>;
    return {
      pages: pages ?? 0,
      repeats: repeats ?? 0,
      errors: errors ?? 0,
      ...(seconds === undefined ? {} : { ownSeconds: seconds }),
      ...(cpuSeconds === undefined ? {} : { ownCpuSeconds: cpuSeconds }),
    };
  } catch {
    return { pages: 0, repeats: 0, errors: 0 };
  }
}
