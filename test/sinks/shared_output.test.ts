// The output of a process of a shared crawl: its own file, its records acknowledged once written, and the file of a
// process that died completed by another on the same machine, exactly once. Workers that die are real processes,
// SIGKILLed at the moment a test needs, against a real Redis.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { from, lastValueFrom } from "rxjs";
import type { PageRecord } from "../../src/records.ts";
import { SharedOutput } from "../../src/sinks/shared_output.ts";
import type { CrawlPlan } from "../../src/state/crawl_state.ts";
import { RedisCrawlState } from "../../src/state/redis/redis_state.ts";
import { parseCsv } from "../helpers/pipeline.ts";
import { NO_REDIS, startRedis, type TestRedis } from "../helpers/redis.ts";
import { startCluster, type TestCluster } from "../helpers/redis_cluster.ts";

let redis: TestRedis;
let cluster: TestCluster;
const DIR = mkdtempSync(join(tmpdir(), "rxcrawl-shared-output-"));
before(async () => {
  if (NO_REDIS === false) [redis, cluster] = await Promise.all([startRedis(), startCluster()]);
});
after(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
  rmSync(DIR, { recursive: true, force: true });
});

const options = { skip: NO_REDIS, timeout: 60_000 };
const COLUMNS = ["url", "title"];
const row = (page: PageRecord) => ({ url: page.url, title: page.title });
let crawls = 0;

const pages = (count: number) => Array.from({ length: count }, (_, i) => `http://h${i % 5}.test/${i}`);

function plan(urls: readonly string[]): CrawlPlan {
  return {
    start: urls.map((url) => ({ url, depth: 0 })),
    maxPages: Infinity,
    definition: { start: [...urls], follow: false, extract: null, hosts: "any", allow: [], deny: [], maxDepth: null, sitemap: false },
    politeness: { perHost: Infinity, intervalMs: 0 },
  };
}

const source = (path: string) => JSON.stringify(fileURLToPath(new URL(`../../src/${path}`, import.meta.url)));
/** rxjs as this repository has it: the workers' scripts live in a temporary folder. */
const RXJS = JSON.stringify(import.meta.resolve("rxjs"));

/**
 * Runs a worker that commits every page of the crawl, hands the first `written` of their records to its output,
 * waits until its file has them, appends the start of a row that the kill tears, and dies (SIGKILL). It holds one
 * lease more, never committed. Resolves with the path of its file.
 */
async function dyingWorker(url: string, crawlId: string, template: string, count: number, written: number): Promise<string> {
  const script = join(DIR, `dies-${crawlId}.mts`);
  writeFileSync(
    script,
    `import { appendFileSync, readFileSync } from "node:fs";
import { Subject, lastValueFrom } from ${RXJS};
import { RedisCrawlState } from ${source("state/redis/redis_state.ts")};
import { SharedOutput } from ${source("sinks/shared_output.ts")};
import { pageRecord } from ${JSON.stringify(fileURLToPath(new URL("../helpers/page.ts", import.meta.url)))};
const state = await RedisCrawlState.connect({ url: ${JSON.stringify(url)}, crawlId: ${JSON.stringify(crawlId)}, keepRecords: true });
const output = await SharedOutput.open(state.records, ${JSON.stringify(template)}, { columns: ${JSON.stringify(COLUMNS)} });
await state.open({ ...${JSON.stringify(plan(pages(count + 1)))}, maxPages: Infinity, politeness: { perHost: Infinity, intervalMs: 0 } });
const leases = [];
while (leases.length < ${count + 1}) leases.push(...(await state.lease(${count + 1} - leases.length)).leases);
const records = [];
for (const lease of leases.slice(0, ${count})) {
  const record = pageRecord(lease.url, { title: "t " + lease.url });
  await state.commit(lease, { record, found: [] }, 0);
  records.push(record);
}
const rows = new Subject();
const done = lastValueFrom(rows.pipe(output.write((page) => ({ url: page.url, title: page.title }))), { defaultValue: undefined });
for (const record of records.slice(0, ${written})) rows.next(record);
const lines = () => { try { return readFileSync(output.path, "utf8").trim().split("\\n").length; } catch { return 0; } };
while (lines() < ${written + 1}) await new Promise((r) => setTimeout(r, 2));
appendFileSync(output.path, '"http://torn.test/');
process.stdout.write(output.path);
process.kill(process.pid, "SIGKILL");
await done;
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "pipe"] });
  child.stderr.on("data", (chunk: Buffer) => process.stdout.write(`# child: ${JSON.stringify(String(chunk))}\n`));
  let path = "";
  child.stdout.on("data", (chunk: Buffer) => (path += chunk.toString()));
  const [, signal] = (await once(child, "exit")) as [number | null, string | null];
  assert.equal(signal, "SIGKILL");
  return path;
}

/** The URLs of a CSV file's rows. */
function urlsIn(path: string): string[] {
  return parseCsv(readFileSync(path, "utf8")).rows.map((row) => row.url!);
}

/** The file holds `count` pages of the crawl of `all` pages, each once; resolves with the page it lacks. */
function assertPagesOnce(path: string, count: number, all: number): string[] {
  const urls = urlsIn(path);
  assert.equal(new Set(urls).size, urls.length, `no page twice: ${urls.join(" ")}`);
  assert.equal(urls.length, count);
  for (const url of urls) assert.ok(pages(all).includes(url), url);
  return pages(all).filter((url) => !urls.includes(url));
}

async function survivor(url: string, crawlId: string, template: string): Promise<{ state: RedisCrawlState; output: SharedOutput }> {
  const state = await RedisCrawlState.connect({ url, crawlId, keepRecords: true });
  const output = await SharedOutput.open(state.records, template, { columns: COLUMNS });
  await state.open(plan([]));
  // The row function is set by write(): subscribed once with nothing to write.
  await lastValueFrom(from([] as PageRecord[]).pipe(output.write(row)), { defaultValue: undefined });
  return { state, output };
}

test("a process on the same machine completes a dead worker's file: a torn row cut, each page once, its leases back at once", options, async () => {
  const crawlId = `o${++crawls}`;
  const template = join(DIR, crawlId, "pages.csv");
  const dead = await dyingWorker(redis.url, crawlId, template, 8, 5);
  assert.match(readFileSync(dead, "utf8"), /"http:\/\/torn\.test\/$/, "the dead worker's file ends in a torn row");
  const { state, output } = await survivor(redis.url, crawlId, template);
  try {
    assert.equal(await output.completeDead(), 3, "the three records its file lacked");
    const [uncommitted] = assertPagesOnce(dead, 8, 9);
    assert.doesNotMatch(readFileSync(dead, "utf8"), /torn/);
    assert.equal(await output.completeDead(), 0, "taken over once");
    const [lease] = (await state.lease(5)).leases;
    assert.equal(lease?.url, uncommitted, "the lease it held is back, without waiting for its deadline");
    const workers = await state.records.workers();
    assert.deepEqual(workers.map(({ worker, status }) => [worker, status]), [["w1", "done"], ["w2", "running"]]);
  } finally {
    await state.disconnect();
    await RedisCrawlState.remove(redis.url, crawlId);
  }
});

test("a taker that dies amid completing a file leaves the rest to another: nothing lost, nothing twice", options, async () => {
  const crawlId = `o${++crawls}`;
  const template = join(DIR, crawlId, "pages.csv");
  const dead = await dyingWorker(cluster.url, crawlId, template, 12, 4);
  // A taker: takes the dead worker over, cuts its torn row, appends one of the rows its file lacks, starts another,
  // and dies.
  const script = join(DIR, `takes-${crawlId}.mts`);
  writeFileSync(
    script,
    `import { appendFileSync } from "node:fs";
import { from, lastValueFrom } from ${RXJS};
import { RedisCrawlState } from ${source("state/redis/redis_state.ts")};
import { SharedOutput } from ${source("sinks/shared_output.ts")};
import { completeRows } from ${source("sinks/complete_rows.ts")};
import { writeRows } from ${source("sinks/write_rows.ts")};
const state = await RedisCrawlState.connect({ url: ${JSON.stringify(cluster.url)}, crawlId: ${JSON.stringify(crawlId)}, keepRecords: true });
await SharedOutput.open(state.records, ${JSON.stringify(template)}, { columns: ${JSON.stringify(COLUMNS)} });
await state.open({ ...${JSON.stringify(plan([]))}, maxPages: Infinity, politeness: { perHost: Infinity, intervalMs: 0 } });
if (!(await state.records.takeOver("w1", "running"))) throw new Error("not taken");
const inFile = new Set();
await completeRows(${JSON.stringify(dead)}, (row) => inFile.add(row.url));
const lacking = (await state.records.unwritten("w1")).map((json) => JSON.parse(json)).filter((record) => !inFile.has(record.url));
await lastValueFrom(from(lacking.slice(0, 1).map((page) => ({ url: page.url, title: page.title }))).pipe(writeRows(${JSON.stringify(dead)}, { columns: ${JSON.stringify(COLUMNS)}, append: true })), { defaultValue: undefined });
appendFileSync(${JSON.stringify(dead)}, '"http://torn.test/again');
process.kill(process.pid, "SIGKILL");
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "ignore", "inherit"] });
  const [, signal] = (await once(child, "exit")) as [number | null, string | null];
  assert.equal(signal, "SIGKILL");
  const { state, output } = await survivor(cluster.url, crawlId, template);
  try {
    assert.equal((await state.records.workers()).find(({ worker }) => worker === "w1")?.status, "taking w2");
    assert.equal(await output.completeDead(), 12 - 4 - 1, "what neither the dead worker nor its taker wrote");
    assertPagesOnce(dead, 12, 13);
    const statuses = Object.fromEntries((await state.records.workers()).map(({ worker, status }) => [worker, status]));
    assert.deepEqual(statuses, { w1: "done", w2: "done", w3: "running" }, "the dead taker taken over in turn, with nothing of its own");
  } finally {
    await state.disconnect();
    await RedisCrawlState.remove(cluster.url, crawlId);
  }
});

test("two processes that find the same dead worker complete its file once between them", options, async () => {
  const crawlId = `o${++crawls}`;
  const template = join(DIR, crawlId, "pages.csv");
  const dead = await dyingWorker(redis.url, crawlId, template, 10, 3);
  const [a, b] = [await survivor(redis.url, crawlId, template), await survivor(redis.url, crawlId, template)];
  try {
    const appended = await Promise.all([a.output.completeDead(), b.output.completeDead()]);
    assert.deepEqual(appended.sort(), [0, 7]);
    assertPagesOnce(dead, 10, 11);
    assert.ok(existsSync(a.output.path) && existsSync(b.output.path), "each survivor has its own file");
  } finally {
    await a.state.disconnect();
    await b.state.disconnect();
    await RedisCrawlState.remove(redis.url, crawlId);
  }
});

test("a shared output's rows are acknowledged once written, so that the crawl forgets their records", options, async () => {
  const crawlId = `o${++crawls}`;
  const state = await RedisCrawlState.connect({ url: redis.url, crawlId, keepRecords: true });
  try {
    const output = await SharedOutput.open(state.records, join(DIR, crawlId, "pages.csv"), { columns: COLUMNS });
    assert.equal(output.path, join(DIR, crawlId, "pages.w1.csv"));
    await state.open(plan(pages(6)));
    const leases = (await state.lease(6)).leases;
    const records = leases.map((lease) => ({ url: lease.url, title: "x" }) as PageRecord);
    for (const [i, lease] of leases.entries()) await state.commit(lease, { record: records[i]!, found: [] }, 0);
    assert.equal((await state.records.unwritten("w1")).length, 6, "kept until written");
    await lastValueFrom(from(records).pipe(output.write(row)), { defaultValue: undefined });
    assert.deepEqual(urlsIn(output.path).sort(), pages(6).sort());
    assert.equal((await state.records.unwritten("w1")).length, 0, "forgotten once written");
    await assert.rejects(SharedOutput.open(state.records, join(DIR, "x.parquet"), { columns: COLUMNS }), { name: "UsageError" });
    await assert.rejects(SharedOutput.open(state.records, join(DIR, "x.csv"), { columns: ["title"] }), {
      name: "UsageError",
      message: "Expected the rows of a shared crawl to have a url column: rows are told apart by it",
    });
  } finally {
    await state.disconnect();
    await RedisCrawlState.remove(redis.url, crawlId);
  }
});
