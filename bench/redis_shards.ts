// `make bench SCENARIOS=shards`: what spreading a shared crawl over S shards costs on one Redis server, the state
// alone (no HTTP, no parsing): a broad graph of `pages` pages on 100 hosts (each page links to 8 pages of its host and
// 2 of others), crawled by 4 states of one crawl in this process, each keeping 16 pages in flight. Each S runs on a
// fresh redis-server; what is measured is the server's CPU per page and the calls per page.
import { RedisCrawlState } from "../src/state/redis/redis_state.ts";
import type { CrawlPlan, Lease } from "../src/state/crawl_state.ts";
import type { CrawlRequest, PageRecord } from "../src/records.ts";
import { startRedis } from "../test/helpers/redis.ts";

/** One run of the shards scenario. */
export interface ShardsRun {
  shards: number;
  pages: number;
  seconds: number;
  /** Calls the states sent, per page. */
  callsPerPage: number;
  /** CPU time of the Redis server, per page, in ms. */
  redisCpuMsPerPage: number;
}

const HOSTS = 100;
const STATES = 4;
const IN_FLIGHT = 16;

/** The page `i` of the graph and what it links to. */
function page(i: number, pages: number): { url: string; links: string[] } {
  const perHost = Math.max(1, Math.floor(pages / HOSTS));
  const host = i % HOSTS;
  const n = Math.floor(i / HOSTS);
  const own = Array.from({ length: 8 }, (_, k) => host + ((n * 8 + k + 1) % perHost) * HOSTS);
  const other = [1, 2].map((k) => ((host + k * 37) % HOSTS) + ((n + k) % perHost) * HOSTS);
  return { url: urlOf(i), links: [...own, ...other].filter((j) => j < pages).map(urlOf) };
}

function urlOf(i: number): string {
  return `http://h${i % HOSTS}.test/p/${Math.floor(i / HOSTS)}`;
}

/** Runs the graph with each shard count in turn. */
export async function runShards(pages: number, counts: readonly number[], log: (line: string) => void): Promise<ShardsRun[]> {
  const runs: ShardsRun[] = [];
  const index = new Map(Array.from({ length: pages }, (_, i) => [urlOf(i), i]));
  for (const shards of counts) {
    const redis = await startRedis();
    try {
      const crawlId = "shards";
      const states = await Promise.all(Array.from({ length: STATES }, () => RedisCrawlState.connect({ url: redis.url, crawlId, shards })));
      const start = [{ url: urlOf(0), depth: 0 }];
      const plan: CrawlPlan = {
        start,
        maxPages: Infinity,
        definition: { start: [urlOf(0)], follow: { selector: "a" }, extract: null, hosts: "any", allow: [], deny: [], maxDepth: null, sitemap: false },
        politeness: { perHost: Infinity, intervalMs: 0 },
      };
      for (const state of states) await state.open(plan);
      const cpuBefore = redisCpuSeconds(redis.cli("INFO", "cpu"));
      const started = performance.now();
      let done = 0;
      await Promise.all(
        states.map(async (state) => {
          const work = async (lease: Lease): Promise<void> => {
            const { links } = page(index.get(lease.url)!, pages);
            const record = { url: lease.url, depth: lease.depth, error: "", links: [] } as unknown as PageRecord;
            const found: CrawlRequest[] = links.map((url) => ({ url, depth: lease.depth + 1 }));
            const result = await state.commit(lease, { record, found }, 1);
            done++;
            await Promise.all(result.leases.map(work));
          };
          for (;;) {
            const batch = await state.lease(IN_FLIGHT);
            if (batch.over) return;
            if (batch.leases.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
            await Promise.all(batch.leases.map(work));
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = redisCpuSeconds(redis.cli("INFO", "cpu")) - cpuBefore;
      const calls = states.reduce((sum, state) => sum + state.calls, 0);
      for (const state of states) await state.disconnect();
      const run = { shards, pages: done, seconds, callsPerPage: calls / done, redisCpuMsPerPage: (cpu * 1000) / done };
      log(
        `shards: ${shards}: ${done} pages in ${seconds.toFixed(1)} s, ${run.callsPerPage.toFixed(2)} calls/page, ` +
          `${run.redisCpuMsPerPage.toFixed(3)} Redis CPU ms/page`,
      );
      runs.push(run);
    } finally {
      await redis.stop();
    }
  }
  return runs;
}

/** The shards runs as a markdown table. */
export function shardsMarkdown(runs: readonly ShardsRun[]): string {
  const lines = [
    "| shards on one server | pages | seconds | calls per page | Redis CPU ms per page |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...runs.map(
      (run) => `| ${run.shards} | ${run.pages} | ${run.seconds.toFixed(1)} | ${run.callsPerPage.toFixed(2)} | ${run.redisCpuMsPerPage.toFixed(3)} |`,
    ),
    "",
    `- shards: ${STATES} states of one crawl in one process, ${IN_FLIGHT} pages in flight each, on a graph of ${HOSTS} hosts ` +
      "(8 links to the page's host, 2 to others), no HTTP: the state's own cost. Calls include the commits' deliveries to " +
      "other shards; Redis CPU is the server's (INFO cpu).",
  ];
  return `${lines.join("\n")}\n`;
}

function redisCpuSeconds(info: string): number {
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return value("used_cpu_sys") + value("used_cpu_user");
}
