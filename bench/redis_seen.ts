// `make bench SCENARIOS=seen`: what a shared crawl's seen set costs in Redis per URL, at 10 million URLs, against the
// layouts other crawlers use. Each layout is filled on a fresh Redis server and measured by INFO memory's used_memory.
import { createHash } from "node:crypto";
import { createClient } from "@redis/client";
import { crawlKeys } from "../src/state/redis/keys.ts";
import { hash64Parts } from "../src/state/seen_set.ts";
import { startRedis } from "../test/helpers/redis.ts";

/** What one layout of a seen set cost. */
export interface SeenRun {
  layout: string;
  urls: number;
  /** used_memory grew by this much per URL. */
  bytesPerUrl: number;
  usedMemoryMb: number;
  /** Members found in Redis afterwards: each URL once, nothing lost. */
  members: number;
  seconds: number;
}

interface Layout {
  name: string;
  /** The key and member that stand for URL `url`. */
  entry(url: string): { key: string; member: string | Buffer };
}

const LAYOUTS: Layout[] = [
  {
    name: "rxcrawl: 48-bit integers in 2^16 sets (intsets)",
    entry: (url) => crawlKeys("bench").seen(url),
  },
  {
    name: "one SET of 8-byte binary hashes",
    entry: (url) => {
      const [hi, lo] = hash64Parts(url);
      const member = Buffer.alloc(8);
      member.writeUInt32BE(hi, 0);
      member.writeUInt32BE(lo, 4);
      return { key: "seen", member };
    },
  },
  {
    name: "one SET of 40-character SHA-1 fingerprints (scrapy-redis's dupefilter)",
    entry: (url) => ({ key: "seen", member: createHash("sha1").update(url).digest("hex") }),
  },
];

/** Adds member ARGV[i] to set KEYS[i], for every i. */
const ADD_ALL = "for i = 1, #KEYS do redis.call('SADD', KEYS[i], ARGV[i]) end return #KEYS";

/** Fills each layout with `urls` distinct URLs and measures it. */
export async function runSeen(urls: number, log: (line: string) => void): Promise<SeenRun[]> {
  const runs: SeenRun[] = [];
  for (const layout of LAYOUTS) {
    const redis = await startRedis();
    const client = createClient({ url: redis.url });
    try {
      await client.connect();
      const before = usedMemory(await client.info("memory"));
      const started = performance.now();
      // Members go in by a script that adds 1,000 at a time, 20 scripts in flight: the layout, not the round
      // trips, is what is measured.
      const batch = 1000;
      const inFlight: Promise<unknown>[] = [];
      for (let from = 0; from < urls; from += batch) {
        const keys: string[] = [];
        const members: (string | Buffer)[] = [];
        for (let i = from; i < Math.min(urls, from + batch); i++) {
          const { key, member } = layout.entry(`https://book.example.com/subject/${i}/`);
          keys.push(key);
          members.push(member);
        }
        inFlight.push(client.sendCommand(["EVAL", ADD_ALL, String(keys.length), ...keys, ...members]));
        if (inFlight.length >= 20) await inFlight.shift();
      }
      await Promise.all(inFlight);
      const seconds = (performance.now() - started) / 1000;
      const after = usedMemory(await client.info("memory"));
      let members = 0;
      for await (const keys of client.scanIterator({ COUNT: 1000 })) {
        for (const key of keys) members += Number(await client.sendCommand(["SCARD", key]));
      }
      const run = { layout: layout.name, urls, bytesPerUrl: (after - before) / urls, usedMemoryMb: after / 2 ** 20, members, seconds };
      log(`seen: ${layout.name}: ${run.bytesPerUrl.toFixed(1)} bytes per URL, ${members} members, ${seconds.toFixed(0)} s`);
      runs.push(run);
    } finally {
      await client.close().catch(() => {});
      await redis.stop();
    }
  }
  return runs;
}

/** The seen-set runs as a markdown table. */
export function seenMarkdown(runs: readonly SeenRun[]): string {
  const lines = [
    "| seen set layout | URLs | bytes per URL | used_memory MB | members found |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...runs.map(
      (run) =>
        `| ${run.layout} | ${run.urls.toLocaleString("en")} | ${run.bytesPerUrl.toFixed(1)} | ${run.usedMemoryMb.toFixed(0)} | ${run.members.toLocaleString("en")} |`,
    ),
    "",
    "- seen: each layout filled with the same distinct URLs on a fresh redis-server, measured by the growth of INFO " +
      "memory's used_memory; members found counts SCARD over every key afterwards (the URLs are distinct, so a layout " +
      "that keeps every URL has one member per URL).",
  ];
  return `${lines.join("\n")}\n`;
}

function usedMemory(info: string): number {
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}
