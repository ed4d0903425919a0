import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, availableParallelism, release, totalmem } from "node:os";
import type { CrawlBound } from "./bound.ts";
import type { Count } from "./runners.ts";
import { type BroadRun, coresBound, politenessBound } from "./broad.ts";
import type { BroadScenario, Scenario } from "./scenarios.ts";
import type { SiteStats } from "./site_process.ts";

/** A scenario with, where its responses wait, the fastest a crawl of it can be (see `bound.ts`). */
export type BoundedScenario = Scenario & { crawlBound?: CrawlBound };

/** One measured run, as the JSON report keeps it. */
export interface RunResult extends Count {
  scenario: string;
  runner: string;
  label: string;
  /** The seconds pages/s divides: the process's wall time, or the runner's own for a ceiling that times itself. */
  seconds: number;
  wallSeconds: number;
  pagesPerSecond: number;
  peakRssMb: number;
  /** CPU time of the runner's process, all threads. */
  cpuSeconds: number;
  /** CPU time the site spent answering it. */
  siteCpuSeconds: number;
  /** CPU time the rest of the machine spent during the run: other work that may have slowed it. */
  otherCpuSeconds: number;
  exitCode: number | null;
  timedOut: boolean;
  /** What the site saw during the run. */
  site: SiteStats;
  /** "ok", or every way the run fell short of crawling each page once: "MISSING n", "DUP n", "ERR n", "EXIT c". */
  check: string;
  /** pages/s over Crawlee's in the same scenario, when Crawlee ran there. */
  vsCrawlee?: number;
  /** pages/s over the got ceiling's in the same scenario, when it ran there. */
  vsGot?: number;
  /** The end of its stderr, kept when the check failed. */
  stderrTail?: string;
}

/** The machine and the code a report was measured on. */
export interface Machine {
  cpuModel: string;
  cpus: number;
  node: string;
  os: string;
  memoryGb: number;
  /** rxcrawl's commit, "+dirty" when src/ or pipelines/ have changes not committed. */
  commit: string;
  versions: Record<string, string>;
}

/** Describes the machine and the versions under test, for the report's header. */
export function describeMachine(root: string): Machine {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  let commit = "unknown";
  try {
    commit = git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--", "src", "pipelines") ? "+dirty" : "");
  } catch {
    // not a git checkout: the versions below still say what ran
  }
  const version = (path: string) => {
    try {
      return (JSON.parse(readFileSync(`${root}/${path}/package.json`, "utf8")) as { version: string }).version;
    } catch {
      return "missing";
    }
  };
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cpus: availableParallelism(),
    node: process.version,
    os: `${process.platform} ${release()}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    commit,
    versions: {
      got: version("node_modules/got"),
      linkedom: version("node_modules/linkedom"),
      rxjs: version("node_modules/rxjs"),
      crawlee: version("bench/node_modules/crawlee"),
    },
  };
}

/** Says whether a run crawled every page of the scenario exactly once, and if not, how it fell short. */
export function check(scenario: Scenario, count: Count, site: SiteStats, exitCode: number | null, timedOut: boolean): string {
  const problems: string[] = [];
  if (timedOut) problems.push("TIMEOUT");
  else if (exitCode !== 0) problems.push(`EXIT ${exitCode}`);
  if (count.pages < scenario.pages) problems.push(`MISSING ${scenario.pages - count.pages}`);
  const duplicates = Math.max(site.duplicates, count.repeats);
  if (duplicates > 0) problems.push(`DUP ${duplicates}`);
  if (count.errors > 0) problems.push(`ERR ${count.errors}`);
  return problems.length === 0 ? "ok" : problems.join(", ");
}

/** Fills in each run's ratios to Crawlee and to the got ceiling of its scenario. */
export function addRatios(runs: RunResult[]): void {
  const rate = (scenario: string, runner: string) =>
    runs.find((run) => run.scenario === scenario && run.runner === runner && run.pagesPerSecond > 0)?.pagesPerSecond;
  for (const run of runs) {
    const crawlee = rate(run.scenario, "crawlee");
    const got = rate(run.scenario, "got");
    if (crawlee !== undefined) run.vsCrawlee = run.pagesPerSecond / crawlee;
    if (got !== undefined) run.vsGot = run.pagesPerSecond / got;
  }
}

/** The report's first line: when, on what machine, which versions. */
export function header(machine: Machine, date: Date): string {
  return (
    `### rxcrawl bench, ${date.toISOString().slice(0, 16)}Z: ${machine.cpuModel} × ${machine.cpus}, Node ${machine.node}, ` +
    `rxcrawl ${machine.commit}, Crawlee ${machine.versions.crawlee}`
  );
}

/** The report as markdown: a header naming the machine, one table row per run, and what each scenario is. */
export function markdown(machine: Machine, scenarios: readonly BoundedScenario[], runs: readonly RunResult[], date: Date): string {
  const ratio = (value: number | undefined) => (value === undefined ? "–" : `${value.toFixed(2)}×`);
  const lines = [
    header(machine, date),
    "",
    "| scenario | runner | pages | wall s | pages/s | peak RSS MB | CPU s | duplicate requests | vs Crawlee | vs got ceiling | max in flight | check |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...runs.map((run) => {
      const cells = [
        run.scenario,
        run.label,
        String(run.pages),
        run.seconds.toFixed(2),
        run.pagesPerSecond.toFixed(0),
        run.peakRssMb.toFixed(0),
        run.cpuSeconds.toFixed(1),
        String(run.site.duplicates),
        ratio(run.vsCrawlee),
        ratio(run.vsGot),
        String(run.site.maxInFlight),
        run.check,
      ];
      return `| ${cells.join(" | ")} |`;
    }),
    "",
    ...scenarios.map(
      (s) =>
        `- ${s.name}: ${s.pages} pages × ${s.bodyKb} KB, ${s.links} links/page, ${s.latencyMs} ms latency, ` +
        `concurrency ${s.concurrency}; ${s.about}${boundNote(s)}`,
    ),
    "- wall s is the whole process, start-up included, except for the parse ceiling: its parse alone, on one thread, " +
      "with the pages fetched beforehand. Peak RSS (VmHWM) and CPU s are the runner's process, all its threads. Max in flight is " +
      "the most requests the site was answering at once: the concurrency reached (only telling when responses wait).",
    ...scenarios.flatMap((scenario) => cpuBoundNote(scenario, runs)),
    ...disturbed(runs),
  ];
  return `${lines.join("\n")}\n`;
}

/** For a scenario whose responses wait: the fastest any crawl from /subject/0/ can be (see `bound.ts`). */
function boundNote(scenario: BoundedScenario): string {
  if (scenario.crawlBound === undefined) return "";
  const { seconds, pagesPerSecond } = scenario.crawlBound;
  return (
    `; a crawl from /subject/0/ that spends no time but waiting (robots.txt, then ${scenario.latencyMs} ms per ` +
    `response, links known once their page is in) needs ${seconds.toFixed(2)} s, at most ${pagesPerSecond.toFixed(0)} ` +
    "pages/s before start-up"
  );
}

/**
 * For a scenario with both ceilings: the CPU that fetching as the got ceiling does and parsing as the parse ceiling
 * does need together, with the site's, and the fastest that lets any crawl doing both be on this machine's cores.
 */
function cpuBoundNote(scenario: Scenario, runs: readonly RunResult[]): string[] {
  const got = runs.find((run) => run.scenario === scenario.name && run.runner === "got");
  const parse = runs.find((run) => run.scenario === scenario.name && run.runner === "linkedom");
  if (got === undefined || parse?.ownCpuSeconds === undefined) return [];
  const need = got.cpuSeconds + parse.ownCpuSeconds + got.siteCpuSeconds;
  const cores = availableParallelism();
  const fastest = scenario.pages / (need / cores);
  return [
    `- ${scenario.name}: fetching as the got ceiling does (${got.cpuSeconds.toFixed(1)} CPU s, its whole process), ` +
      `parsing as the parse ceiling does (${parse.ownCpuSeconds.toFixed(1)} CPU s, all its threads) and the site ` +
      `(${got.siteCpuSeconds.toFixed(1)} CPU s) need ${need.toFixed(1)} CPU s: on ${cores} cores, at least ` +
      `${(need / cores).toFixed(2)} s, so a crawl doing that work here cannot exceed ${fastest.toFixed(0)} pages/s, ` +
      `${(fastest / got.pagesPerSecond).toFixed(2)}× the got ceiling.`,
  ];
}

/** A note on the runs during which other work took more than a tenth of the machine: their times are pessimistic. */
function disturbed(runs: readonly Pick<RunResult, "scenario" | "label" | "otherCpuSeconds" | "wallSeconds">[]): string[] {
  const busy = runs.filter((run) => run.otherCpuSeconds > 0.1 * run.wallSeconds * availableParallelism());
  if (busy.length === 0) return [];
  const list = busy.map((run) => `${run.scenario} ${run.label} (${run.otherCpuSeconds.toFixed(1)} CPU s)`).join(", ");
  return [`- Other work shared the machine during: ${list}; those figures are pessimistic.`];
}

/** What the ceilings of a broad scenario's runs say, after its politeness bound, and what a crawl is judged against. */
function coresNote(scenario: BroadScenario, runs: readonly BroadRun[]): string {
  const fetching = runs.find((run) => run.ceiling && run.runner === "got");
  const parsing = runs.find((run) => run.ceiling && run.runner === "got-parse");
  const cores = coresBound(scenario, runs);
  if (cores === undefined) return "; of the bound is pages/s (wall time, start-up included) over it.";
  const ceilings = [
    ...(fetching === undefined ? [] : [`the got ceiling fetched ${fetching.pagesPerSecond.toFixed(0)} pages/s with none`]),
    ...(parsing === undefined
      ? []
      : [`got fetching and linkedom parsing each page on a parser thread (title and links: the least a crawl does) ${parsing.pagesPerSecond.toFixed(0)} pages/s`]),
  ];
  const crawls = runs.filter((run) => !run.ceiling);
  const againstGot =
    fetching === undefined || parsing === undefined || crawls.length === 0
      ? "."
      : `; against the got ceiling alone: ${crawls.map((run) => `${run.label} ${(run.pagesPerSecond / fetching.pagesPerSecond).toFixed(2)}`).join(", ")}.`;
  return (
    `, ${ceilings.join(", ")} (what the cores allow at this concurrency): a crawl is judged against ` +
    `${Math.min(politenessBound(scenario), cores).toFixed(0)} pages/s, its pages/s (wall time, start-up included) over that${againstGot}`
  );
}

/** The broad runs as a markdown table per scenario, with the bound each is judged against and how the gaps are taken. */
export function broadMarkdown(scenario: BroadScenario, runs: readonly BroadRun[]): string {
  const mine = runs.filter((run) => run.scenario === scenario.name);
  const { site } = scenario;
  const gapMs = 1000 / scenario.rate;
  const polite = politenessBound(scenario);
  const ms = (value: number | null) => (value === null ? "–" : value.toFixed(1));
  const lines = [
    `| runner | pages | wall s | pages/s | of the bound | gaps < ${gapMs.toFixed(0)} ms (hosts) | shortest gap ms | ` +
      "most in flight at a host | peak RSS MB | CPU s | duplicate requests | repeated rows | check |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...mine.map((run) => {
      const cells = [
        run.label,
        String(run.pages),
        run.wallSeconds.toFixed(2),
        run.pagesPerSecond.toFixed(0),
        run.ofBound === undefined ? "–" : run.ofBound.toFixed(2),
        `${run.site.gaps.below} of ${run.site.gaps.gaps} (${run.site.gaps.hostsBelow})`,
        ms(run.site.gaps.shortestMs),
        String(run.site.maxInFlightPerHost),
        run.peakRssMb.toFixed(0),
        run.cpuSeconds.toFixed(1),
        String(run.site.duplicates),
        String(run.repeats),
        run.check,
      ];
      return `| ${cells.join(" | ")} |`;
    }),
    "",
    `- ${scenario.name}: ${site.hosts} hosts × ${site.pagesPerHost} pages × ${site.bodyKb} KB, ${site.latencyMs} ms per ` +
      `response, ${site.ownLinks} links to the page's own host and ${site.otherLinks} to others; concurrency ` +
      `${scenario.concurrency}, --rate ${scenario.rate} (requests/s to a host)` +
      `${scenario.maxPages === undefined ? "" : `, ${scenario.maxPages} pages at most`}` +
      `${scenario.obeyRobots ? "" : ", robots.txt not read"}; ${scenario.about}.`,
    `- The bound: politeness allows min(${site.hosts} hosts × ${scenario.rate}/s, ${scenario.concurrency} in flight / ` +
      `${site.latencyMs} ms) = ${polite.toFixed(0)} pages/s${coresNote(scenario, mine)}`,
    `- Gaps are taken at the site, in its own process: the time between two consecutive requests' arrivals at one host ` +
      `(every request: robots.txt too), counted when shorter than 1/rate = ${gapMs.toFixed(0)} ms; (hosts) is how many ` +
      "hosts had one. Peak RSS and CPU s are the runner's processes with their descendants.",
    ...(mine.some((run) => run.runner === "crawlee")
      ? [
          "- Crawlee keys sameDomainDelaySecs by tldts' getDomain(url), which is null for an IP address, and never delays " +
            "a request without a domain: on these hosts (127.x.y.z) Crawlee runs with no politeness at all. On named " +
            "hosts its delay is per registrable domain (a.example.com and b.example.com share one).",
        ]
      : []),
    ...disturbed(mine),
  ];
  return `${lines.join("\n")}\n`;
}


/**
 * The runs of a render scenario as a markdown table: pages and fields found, pages loaded in a browser, speed against
 * the crawl that renders every page, memory of the whole process tree (browser included), and the targets' verdicts.
 */
export function renderMarkdown(scenario: BroadScenario, runs: readonly BroadRun[]): string {
  const mine = runs.filter((run) => run.scenario === scenario.name);
  const { site } = scenario;
  const by = (runner: string) => mine.find((run) => run.runner === runner);
  const always = by("rxcrawl-always");
  const lines = [
    "| runner | pages | with a title | fields | in a browser | wall s | pages/s | × rxcrawl always | peak RSS MB (tree) | CPU s | " +
      `gaps < ${(1000 / scenario.rate).toFixed(0)} ms (hosts) | check |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...mine.map((run) => {
      const cells = [
        run.label,
        String(run.pages),
        String(run.titled ?? "–"),
        String(run.fields ?? "–"),
        String(run.rendered ?? 0),
        run.wallSeconds.toFixed(1),
        run.pagesPerSecond.toFixed(1),
        always === undefined || always.pagesPerSecond === 0 ? "–" : (run.pagesPerSecond / always.pagesPerSecond).toFixed(2),
        run.peakRssMb.toFixed(0),
        run.cpuSeconds.toFixed(1),
        `${run.site.gaps.below} of ${run.site.gaps.gaps} (${run.site.gaps.hostsBelow})`,
        run.check,
      ];
      return `| ${cells.join(" | ")} |`;
    }),
    "",
    `- ${scenario.name}: ${site.hosts} hosts × ${site.pagesPerHost} pages × ${site.bodyKb} KB, ${site.latencyMs} ms per response; ` +
      `${Math.round(site.scriptHosts * site.hosts)} of the hosts serve shells whose script builds the page from JSON; ` +
      `rxcrawl at --concurrency ${scenario.concurrency} --rate ${scenario.rate} with ${scenario.render?.tabs ?? 4} tabs, Crawlee at ` +
      `concurrency ${scenario.render?.tabs ?? 4} (its pages in the browser at once), both extracting ${scenario.render?.extract.join(" ") ?? "nothing"}` +
      `${scenario.obeyRobots ? "" : ", robots.txt not read"}; ${scenario.about}.`,
    "- Pages: distinct URLs handled without an error; fields: extracted values found, summed over them; in a browser: pages " +
      "loaded in Chromium by the crawler's own count (rxcrawl's `--stats`, Crawlee's handler runs in the browser). Peak RSS is " +
      "the process and its descendants, the browser's processes counted by their proportional set sizes.",
    ...targetLines(by),
    "- Crawlee's sameDomainDelaySecs is not set: it never delays a host that is an IP address, so its gaps are not held to any pace.",
    ...disturbed(mine),
  ];
  return `${lines.join("\n")}\n`;
}

/** The render targets (issue 15), each with what this run measured. */
function targetLines(by: (runner: string) => BroadRun | undefined): string[] {
  const [auto, always, never, playwright, adaptive] = ["rxcrawl-auto", "rxcrawl-always", "rxcrawl", "crawlee-playwright", "crawlee-adaptive"].map(by);
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  if (auto !== undefined && always !== undefined) {
    const ratio = always.pagesPerSecond > 0 ? auto.pagesPerSecond / always.pagesPerSecond : 0;
    const same = auto.pages >= always.pages && (auto.fields ?? 0) >= (always.fields ?? 0);
    lines.push(
      `- auto against always: ${auto.pages} pages and ${auto.fields} fields against ${always.pages} and ${always.fields}, ` +
        `at ${ratio.toFixed(1)}× the pages/s (target: all of them, at ≥ 5×): ${verdict(same && ratio >= 5)}.` +
        (never === undefined ? "" : ` Without a browser: ${never.pages} pages, ${never.fields} fields.`),
    );
  }
  if (always !== undefined && playwright !== undefined) {
    const ratio = playwright.pagesPerSecond > 0 ? always.pagesPerSecond / playwright.pagesPerSecond : 0;
    lines.push(
      `- always against PlaywrightCrawler: ${ratio.toFixed(2)}× the pages/s, ${always.peakRssMb.toFixed(0)} MB against ` +
        `${playwright.peakRssMb.toFixed(0)} MB (target: ≥ 1.5× at no more memory): ` +
        `${verdict(ratio >= 1.5 && always.peakRssMb <= playwright.peakRssMb)}.`,
    );
  }
  if (auto !== undefined && adaptive !== undefined) {
    const ratio = adaptive.pagesPerSecond > 0 ? auto.pagesPerSecond / adaptive.pagesPerSecond : 0;
    lines.push(
      `- auto against AdaptivePlaywrightCrawler: ${ratio.toFixed(2)}× the pages/s, ${auto.pages} pages against ${adaptive.pages} ` +
        `(target: ahead, with no fewer pages): ${verdict(ratio > 1 && auto.pages >= adaptive.pages)}.`,
    );
  }
  return lines;
}
