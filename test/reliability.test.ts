// The hostile web, end to end: crawl.ts against a site where every path fails in its own way, a crawl's memory under
// huge and compressed bodies, and crashes followed by --resume. What is asserted is what a user checks afterwards:
// the rows, the requests the server saw, the exit code and the peak memory.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startDemoSite } from "../src/demo/demo_site.ts";
import { DOUBAN_RECOMMENDATIONS } from "../src/parse/douban.ts";
import { FAULTS, startFaultSite } from "./helpers/faults.ts";
import { readCsv, run, start } from "./helpers/pipeline.ts";

const TMP = await mkdtemp(join(tmpdir(), "rxcrawl-reliability-"));
after(() => rm(TMP, { recursive: true, force: true }));

/** The peak resident memory of a process so far (VmHWM), in MB; 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Waits until the CSV at `path` holds at least `count` rows after its header. */
async function waitForRows(path: string, count: number): Promise<void> {
  for (let rows = 0; rows < count; await sleep(20)) {
    try {
      rows = readFileSync(path, "utf8").split("\n").length - 2;
    } catch {
      rows = 0; // not created yet
    }
  }
}

test("crawl.ts records every fault of a hostile site as one row, retries only what may recover, and goes on", async () => {
  const site = await startFaultSite();
  try {
    const out = join(TMP, "faults.csv");
    const result = await run("crawl.ts", [
      site.url("/"),
      // --keep-files: the site's links to files (.pdf, .png, .txt) are faults to meet too. A timeout of 2.5 s: what
      // hangs hangs forever, and what does not (a bomb cut at the size limit) must not time out on a busy machine.
      ...["--out", out, "--timeout", "2500", "--retries", "2", "--max-bytes", "1048576", "--workers", "1", "--keep-files"],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { rows } = await readCsv(out);
    const byPath = new Map(rows.map((row) => [new URL(row.url!).pathname, row]));
    assert.equal(rows.length, byPath.size, "one row per URL");
    for (const fault of FAULTS.filter((f) => f.path !== "/loop-b")) {
      const row = byPath.get(fault.path);
      assert.ok(row !== undefined, `a row for ${fault.path}`);
      assert.equal(Number(row.status), fault.status, `status of ${fault.path}: ${row.error}`);
      if (fault.error === "") assert.equal(row.error, "", fault.path);
      else assert.match(row.error ?? "", fault.error, fault.path);
      assert.equal(site.hitsOf(fault.path), fault.requests, `requests for ${fault.path}`);
    }
    assert.equal(site.hitsOf("/loop-b"), 1, "a redirect loop ends at its first repeat but the URL being fetched");
    assert.equal(site.hitsOf("/robots.txt"), 1);
    // Decoded by the page's meta charset though the header lied; parsed though broken; not parsed when not HTML.
    assert.equal(byPath.get("/mislabeled")?.title, "中文标题");
    assert.equal(byPath.get("/broken-html")?.title, "broken");
    assert.equal(byPath.get("/report.pdf")?.content_type, "application/pdf");
    assert.equal(byPath.get("/archive")?.content_type, "application/zip");
    assert.match(result.stderr, /^ {2}ok: \d+ pages, 4 files \(not HTML or XML, not downloaded\)$/m);
    assert.equal(byPath.has("/nowhere"), false, "links in a text/plain body are not followed");
    assert.equal(rows.length, FAULTS.length);
  } finally {
    await site.close();
  }
});

/** Runs crawl.ts on `urls` alone and returns its exit, its rows and its peak RSS in MB. */
async function crawlMeasured(urls: string[], out: string) {
  const crawl = start("crawl.ts", [...urls, "--max-depth", "0", "--max-bytes", "1048576", "--out", out, "--workers", "0"]);
  let peak = 0;
  const pid = crawl.child.pid!;
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(pid))), 20);
  const result = await crawl.exit;
  clearInterval(poll);
  assert.equal(result.code, 0, result.stderr);
  return { rows: (await readCsv(out)).rows, peak };
}

test("crawl.ts stays small in memory while it refuses a 200 MB body, a gzip bomb and a brotli bomb", async () => {
  const site = await startFaultSite();
  try {
    const control = await crawlMeasured([site.url("/ok")], join(TMP, "control.csv"));
    const paths = ["/huge", "/gzip-bomb", "/brotli-bomb", "/ok"];
    const { rows, peak } = await crawlMeasured(paths.map((path) => site.url(path)), join(TMP, "bombs.csv"));
    assert.deepEqual(rows.map((row) => [new URL(row.url!).pathname, row.error === "" ? "" : row.error!.split(" ")[0]]).sort(), [
      ["/brotli-bomb", "Body"],
      ["/gzip-bomb", "Body"],
      ["/huge", "Body"],
      ["/ok", ""],
    ]);
    // Each body is cut at 1 MB, while it streams: a body held whole would add 200 MB to the control crawl's peak.
    assert.ok(control.peak > 0 && peak - control.peak < 64, `peak RSS ${peak.toFixed(0)} MB, ${control.peak.toFixed(0)} MB without the bombs`);
  } finally {
    await site.close();
  }
});

/** Kills a crawl of a slow 300-page site once it has written some rows, then resumes it until it completes. */
async function crashAndResume(signal: NodeJS.Signals, expectedCode: number | null): Promise<void> {
  const site = await startDemoSite({ pages: 300, latencyMs: 30 });
  try {
    const out = join(TMP, `resume-${signal}.csv`);
    const args = [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--concurrency", "8", "--out", out, "--workers", "1"];
    const first = start("crawl.ts", args);
    await waitForRows(out, 60);
    first.child.kill(signal);
    const stopped = await first.exit;
    if (expectedCode === null) assert.equal(stopped.signal, signal);
    else assert.equal(stopped.code, expectedCode, stopped.stderr);
    const before = (await readCsv(out)).rows.length;
    assert.ok(before >= 60 && before < 300, `rows before the resume: ${before}`);

    const resumed = await run("crawl.ts", [...args, "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const { rows } = await readCsv(out);
    const urls = rows.map((row) => row.url);
    assert.equal(new Set(urls).size, urls.length, "no row twice");
    assert.deepEqual(new Set(urls), new Set(site.urls()), "every page once");
    assert.ok(rows.every((row) => row.status === "200" && row.error === ""));
  } finally {
    await site.close();
  }
}

test("crawl.ts --resume after SIGKILL completes the crawl with every page exactly once", () => crashAndResume("SIGKILL", null));

test("crawl.ts --resume after SIGINT completes the crawl with every page exactly once", () => crashAndResume("SIGINT", 130));

test("crawl.ts exits at once on a second SIGINT, leaving a CSV whose every row is complete", async () => {
  const site = await startDemoSite({ pages: 300, latencyMs: 200 });
  try {
    const out = join(TMP, "twice.csv");
    const crawl = start("crawl.ts", [site.startUrl, "--follow", DOUBAN_RECOMMENDATIONS, "--concurrency", "16", "--out", out]);
    await waitForRows(out, 20);
    crawl.child.kill("SIGINT");
    await sleep(50);
    crawl.child.kill("SIGINT");
    const result = await crawl.exit;
    assert.equal(result.code, 130, result.stderr);
    const text = readFileSync(out, "utf8");
    assert.ok(text.endsWith("\n"), "the file ends with a complete row");
    const { rows } = await readCsv(out);
    assert.ok(rows.length >= 20 && rows.every((row) => row.status === "200" && row.url!.startsWith(site.origin)));
  } finally {
    await site.close();
  }
});
