// `make bench SCENARIOS=seen`: what a shared crawl's seen set costs in Redis per URL, up to 100 million URLs, against
// the layouts other crawlers use. Each layout is filled on a fresh Redis server and measured by INFO memory's
// used_memory as it grows (rxcrawl's at several sizes in one fill, so that a cliff would show).
import { createHash } from "node:crypto";
import { createClient } from "@redis/client";
import { seenEntry, shardPrefix } from "../src/state/redis/keys.ts";
import { script } from "../src/state/redis/scripts/script.ts";
import { SEEN } from "../src/state/redis/scripts/seen_lua.ts";
import { PREAMBLE } from "../src/state/redis/scripts/shard_lua.ts";
import { hash64Parts } from "../src/state/seen_set.ts";
import { startRedis } from "../test/helpers/redis.ts";

/** What one layout of a seen set cost at one size. */
export interface SeenRun {
  layout: string;
  urls: number;
  /** used_memory grew by this much per URL. */
  bytesPerUrl: number;
  usedMemoryMb: number;
  /** Members found in Redis at the end of the fill: each URL once, nothing lost. */
  members: number;
  /** Seconds the fill took up to this size. */
  seconds: number;
}

interface Layout {
  name: string;
  /** The most URLs it is filled with (the layouts of other crawlers take 7 to 10 GB at 100 million). */
  most: number;
  /** Adds a batch of URLs. */
  add(client: Client, urls: string[]): Promise<unknown>;
}

/** What a layout needs of the client. */
interface Client {
  sendCommand(args: (string | Buffer)[]): Promise<unknown>;
}

/** rxcrawl's seen set, through its own Lua functions: a batch of URLs, top and low each, into one shard. */
const ADD_SEEN = script("bench-seen", PREAMBLE, SEEN, "for a = 8, #ARGV, 2 do seenAdd(ARGV[a], ARGV[a + 1]) end return 1");
const PREFIX = shardPrefix("bench");

/** Adds member ARGV[i] to set KEYS[i], for every i. */
const ADD_ALL = "for i = 1, #KEYS do redis.call('SADD', KEYS[i], ARGV[i]) end return #KEYS";

const LAYOUTS: Layout[] = [
  {
    name: "rxcrawl: 52-bit integers in buckets that split at the intset limit",
    most: Infinity,
    add: (client, urls) =>
      client.sendCommand([
        "EVAL",
        ADD_SEEN.source,
        "1",
        `${PREFIX}counts`,
        ...[PREFIX, "inf", "0", "none", "bench", "0", "512"],
        ...urls.flatMap((url) => {
          const { top, low } = seenEntry(url);
          return [String(top), low];
        }),
      ]),
  },
  {
    name: "one SET of 8-byte binary hashes",
    most: 10_000_000,
    add: (client, urls) => {
      const members = urls.map((url) => {
        const [hi, lo] = hash64Parts(url);
        const member = Buffer.alloc(8);
        member.writeUInt32BE(hi, 0);
        member.writeUInt32BE(lo, 4);
        return member;
      });
      return client.sendCommand(["EVAL", ADD_ALL, String(urls.length), ...urls.map(() => "seen"), ...members]);
    },
  },
  {
    name: "one SET of 40-character SHA-1 fingerprints (scrapy-redis's dupefilter)",
    most: 10_000_000,
    add: (client, urls) => {
      const members = urls.map((url) => createHash("sha1").update(url).digest("hex"));
      return client.sendCommand(["EVAL", ADD_ALL, String(urls.length), ...urls.map(() => "seen"), ...members]);
    },
  },
];

/** The sizes at which a fill is measured, up to `urls`. */
function checkpoints(urls: number, most: number): number[] {
  const last = Math.min(urls, most);
  return [...[1_000_000, 10_000_000, 33_000_000, 50_000_000].filter((size) => size < last), last];
}

/** Fills each layout with up to `urls` distinct URLs and measures it at each checkpoint. */
export async function runSeen(urls: number, log: (line: string) => void): Promise<SeenRun[]> {
  const runs: SeenRun[] = [];
  for (const layout of LAYOUTS) {
    const redis = await startRedis();
    const client = createClient({ url: redis.url });
    try {
      await client.connect();
      if (layout.most === Infinity) await client.sendCommand(["SCRIPT", "LOAD", ADD_SEEN.source]);
      const before = usedMemory(await client.info("memory"));
      const started = performance.now();
      const measured: SeenRun[] = [];
      // Members go in by a script that adds 1,000 at a time, 20 scripts in flight: the layout, not the round trips,
      // is what is measured.
      const batch = 1000;
      const inFlight: Promise<unknown>[] = [];
      let filled = 0;
      for (const size of checkpoints(urls, layout.most)) {
        for (; filled < size; filled += batch) {
          const some: string[] = [];
          for (let i = filled; i < Math.min(size, filled + batch); i++) some.push(`https://book.example.com/subject/${i}/`);
          inFlight.push(layout.add(client, some));
          if (inFlight.length >= 20) await inFlight.shift();
        }
        await Promise.all(inFlight.splice(0));
        filled = size;
        const after = usedMemory(await client.info("memory"));
        const seconds = (performance.now() - started) / 1000;
        measured.push({ layout: layout.name, urls: size, bytesPerUrl: (after - before) / size, usedMemoryMb: after / 2 ** 20, members: 0, seconds });
        log(`seen: ${layout.name}: ${(size / 1e6).toFixed(0)} M URLs, ${((after - before) / size).toFixed(1)} bytes per URL, ${seconds.toFixed(0)} s`);
      }
      let members = 0;
      for await (const keys of client.scanIterator({ COUNT: 1000 })) {
        for (const key of keys) if ((await client.type(key)) === "set") members += Number(await client.sendCommand(["SCARD", key]));
      }
      measured.at(-1)!.members = members;
      runs.push(...measured);
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
    "| seen set layout | URLs | bytes per URL | used_memory MB | members found | seconds |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...runs.map(
      (run) =>
        `| ${run.layout} | ${run.urls.toLocaleString("en")} | ${run.bytesPerUrl.toFixed(1)} | ${run.usedMemoryMb.toFixed(0)} | ` +
        `${run.members === 0 ? "" : run.members.toLocaleString("en")} | ${run.seconds.toFixed(0)} |`,
    ),
    "",
    "- seen: each layout filled with the same distinct URLs on a fresh redis-server (set-max-intset-entries 512), " +
      "measured by the growth of INFO memory's used_memory as the fill passed each size; members found counts SCARD " +
      "over every set at the end (the URLs are distinct, so a layout that keeps every URL has one member per URL). " +
      "The other crawlers' layouts stop at 10 million: they grow linearly, at 7 and 10 GB for 100 million.",
  ];
  return `${lines.join("\n")}\n`;
}

function usedMemory(info: string): number {
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}
