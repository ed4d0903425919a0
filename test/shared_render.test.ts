// End-to-end tests of rendering in a crawl shared through Redis: two crawl.ts workers with --render auto, as child
// processes with the real Chromium, on one real redis-server, against the broad site (a script-built host among plain
// ones) served by this process on loopback addresses. What a user checks: every page once between the two files, the
// script host's rows read from the rendered DOM by both workers, and what each worker's --stats says it rendered.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BroadSite, startBroadSite } from "../src/demo/broad_site.ts";
import type { CrawlSummary } from "../src/stats/crawl_summary.ts";
import { parseCsv, start } from "./helpers/pipeline.ts";
import { NO_REDIS, startRedis } from "./helpers/redis.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-shared-render-"));
after(() => rm(TMP, { recursive: true, force: true }));

const SCRIPT_HOST = 1;
const HOSTS = 3;
const PAGES = 24;

const options = { skip: NO_REDIS, timeout: 120_000 };
let crawls = 0;

/** A shared crawl of the broad site: its folder, and the flags every worker of it takes. */
function sharedCrawl(redisUrl: string, extra: readonly string[]): { dir: string; flags: string[] } {
  const dir = join(TMP, `c${++crawls}`);
  const flags = ["--redis", redisUrl, "--crawl-id", `render${crawls}`, "--out", join(dir, "pages.csv"), "--any-host", "--render", "auto"];
  return { dir, flags: [...flags, "--concurrency", "4", "--workers", "0", ...extra] };
}

/**
 * The rows of each worker's file, in the workers' order; asserts that together they hold every page of the site once,
 * without an error, and that each worker's rows of the script host were read from the DOM its script built.
 */
async function assertEveryPage(dir: string, site: BroadSite): Promise<Record<string, string>[][]> {
  const files = (await readdir(dir)).filter((name) => /^pages\.w\d+\.csv$/.test(name)).sort();
  assert.equal(files.length, 2);
  const rows = await Promise.all(files.map(async (file) => parseCsv(await readFile(join(dir, file), "utf8")).rows));
  const urls = rows.flat().map((row) => row.url!);
  const every = Array.from({ length: HOSTS }, (_, host) => Array.from({ length: PAGES }, (_, page) => site.url(host, page))).flat();
  assert.deepEqual([...urls].sort(), [...every].sort(), "every page, once");
  assert.deepEqual(rows.flat().filter((row) => row.error !== ""), []);
  for (const [i, written] of rows.entries()) {
    const script = written.filter((row) => row.url!.startsWith(`${site.origin(SCRIPT_HOST)}/`));
    assert.ok(script.length > 0, `${files[i]} has pages of the script host`);
    assert.deepEqual(script.filter((row) => row.rendered !== "true").map((row) => row.url), [], `${files[i]}: the script host's rows are rendered`);
    assert.ok(script.every((row) => row.title !== ""), `${files[i]}: read from the DOM its script built`);
  }
  return rows;
}

const startSite = () => startBroadSite({ hosts: HOSTS, pagesPerHost: PAGES, ownLinks: 3, otherLinks: 1, bodyKb: 2, scriptHosts: [SCRIPT_HOST] });

test("two crawl.ts --redis --render auto workers at once find every page, and both read the script host's pages rendered", options, async () => {
  const redis = await startRedis();
  const site = await startSite();
  try {
    // Paced hosts, so that the crawl lasts long enough for both workers to take pages of every host.
    const { dir, flags } = sharedCrawl(redis.url, ["--rate", "4"]);
    const workers = [start("crawl.ts", [site.startUrl, ...flags], { ms: 110_000 }), start("crawl.ts", flags, { ms: 110_000 })];
    for (const exit of await Promise.all(workers.map((worker) => worker.exit))) assert.equal(exit.code, 0, exit.stderr);
    await assertEveryPage(dir, site);
  } finally {
    await site.close();
    await redis.stop();
  }
});

test("a crawl.ts --render auto worker joining later reads each host as the crawl decided it: it compares no page", options, async () => {
  const redis = await startRedis();
  const site = await startSite();
  try {
    const { dir, flags } = sharedCrawl(redis.url, ["--rate", "8"]);
    const first = await start("crawl.ts", [site.startUrl, ...flags, "--max-pages", "36", "--stats", join(dir, "first.json")], { ms: 110_000 }).exit;
    assert.equal(first.code, 0, first.stderr);
    const decided = (JSON.parse(await readFile(join(dir, "first.json"), "utf8")) as CrawlSummary).render!;
    // Every host decided by the first worker: the script host at its first comparison, a plain one after three.
    const compared = Object.fromEntries(decided.hosts.map(({ host, compared }) => [host, compared]));
    for (let host = 0; host < HOSTS; host++) {
      const name = new URL(site.origin(host)).host;
      assert.ok((compared[name] ?? 0) >= (host === SCRIPT_HOST ? 1 : 3), `host ${host} decided by the first worker: ${JSON.stringify(compared)}`);
    }
    const second = await start("crawl.ts", [...flags, "--max-pages", "1000", "--stats", join(dir, "second.json")], { ms: 110_000 }).exit;
    assert.equal(second.code, 0, second.stderr);
    await assertEveryPage(dir, site);
    const followed = (JSON.parse(await readFile(join(dir, "second.json"), "utf8")) as CrawlSummary).render!;
    assert.equal(followed.compared, 0, `no page read both ways: ${JSON.stringify(followed.hosts)}`);
    assert.ok(followed.pages > 0 && followed.hosts.every(({ host }) => host === new URL(site.origin(SCRIPT_HOST)).host), "only the script host rendered");
  } finally {
    await site.close();
    await redis.stop();
  }
});
