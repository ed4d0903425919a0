import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { gunzipSync } from "node:zlib";
import { parseHTML } from "linkedom";
import { demoRecommendations, renderDemoPage, startDemoSite } from "../../src/demo/demo_site.ts";
import type { DemoSiteOptions } from "../../src/demo/demo_site.ts";

const ORIGIN = "http://127.0.0.1:1";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: http.OutgoingHttpHeaders = {}, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

function recommendedIds(html: string): number[] {
  const { document } = parseHTML(html);
  // Array.from, not spread: the tsconfig lib has DOM but not DOM.Iterable.
  return Array.from(document.querySelectorAll("#db-rec-section dt a"), (a) => {
    const match = /\/subject\/(\d+)\/$/.exec(a.getAttribute("href") ?? "");
    assert.ok(match?.[1] !== undefined, `unexpected href ${a.getAttribute("href")}`);
    return Number(match[1]);
  });
}

test("renderDemoPage() gives byte-identical pages for the same options, and other links for another seed", () => {
  const options = { pages: 50, links: 6, bodyKb: 4, seed: 7 };
  for (const id of [0, 3, 49]) {
    assert.equal(renderDemoPage(id, ORIGIN, options), renderDemoPage(id, ORIGIN, { ...options }));
  }
  const other = Array.from({ length: 50 }, (_, id) => recommendedIds(renderDemoPage(id, ORIGIN, { ...options, seed: 8 })));
  const same = Array.from({ length: 50 }, (_, id) => recommendedIds(renderDemoPage(id, ORIGIN, options)));
  assert.notDeepEqual(other, same);
});

test("renderDemoPage() renders a Douban-shaped page of about bodyKb with a title that needs CSV quoting", () => {
  const html = renderDemoPage(3, ORIGIN, { pages: 20, links: 5, bodyKb: 8 });
  const size = Buffer.byteLength(html);
  assert.ok(size >= 8 * 1024 && size < 8 * 1024 + 1024, `page is ${size} bytes`);

  const { document } = parseHTML(html);
  const title = document.querySelector('span[property="v:itemreviewed"]')?.textContent ?? "";
  assert.equal(title, '百年孤独 3, "典藏版"');
  assert.equal(document.querySelector("title")?.textContent, `${title} (豆瓣)`);
  assert.match(document.querySelector('strong[property="v:average"]')?.textContent ?? "", /^ \d\.\d $/);
  assert.match(document.querySelector('span[property="v:votes"]')?.textContent ?? "", /^\d+$/);
  assert.match(document.querySelector("#info")?.textContent ?? "", /ISBN: 9787\d{9}/);
  assert.equal(document.querySelector("#db-rec-section h2")?.textContent, `喜欢读"${title}"的人也喜欢`);

  const ids = recommendedIds(html);
  assert.equal(ids.length, 5);
  assert.equal(ids[0], 4, "the successor comes first");
  assert.equal(new Set(ids).size, 5, "targets are distinct");
  assert.ok(!ids.includes(3), "a page does not recommend itself");
});

test("every page is reachable from /subject/0/ through the recommendation links, and the graph has cycles", () => {
  const options = { pages: 200, links: 10, bodyKb: 1, seed: 1 };
  const seen = new Set([0]);
  const queue = [0];
  let backLinks = 0;
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const next of recommendedIds(renderDemoPage(id, ORIGIN, options))) {
      if (seen.has(next)) backLinks++;
      else {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  assert.equal(seen.size, 200);
  assert.equal(backLinks, 200 * 10 - 199);
});

test("startDemoSite() serves gzip when asked and plain otherwise, both with a content-length", async (t) => {
  const options: DemoSiteOptions = { pages: 30, links: 4, bodyKb: 16, seed: 3 };
  const site = await startDemoSite(options);
  t.after(() => site.close());
  const expected = Buffer.from(renderDemoPage(5, site.origin, options));

  const plain = await get(`${site.origin}/subject/5/`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.equal(plain.headers["content-length"], String(expected.length));
  assert.deepEqual(plain.body, expected);

  const zipped = await get(`${site.origin}/subject/5/`, { "accept-encoding": "gzip, deflate, br" });
  assert.equal(zipped.headers["content-encoding"], "gzip");
  assert.equal(zipped.headers["content-length"], String(zipped.body.length));
  assert.ok(zipped.body.length < expected.length / 2, `gzip is ${zipped.body.length} bytes`);
  assert.deepEqual(gunzipSync(zipped.body), expected);

  const refused = await get(`${site.origin}/subject/5/`, { "accept-encoding": "gzip;q=0, identity" });
  assert.equal(refused.headers["content-encoding"], undefined);
});

test("startDemoSite() serves robots.txt, url_list.txt, small pages and 404s with a title", async (t) => {
  const site = await startDemoSite({ pages: 3 });
  t.after(() => site.close());
  assert.equal(site.startUrl, `${site.origin}/subject/0/`);
  assert.match(site.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(site.urls(), [0, 1, 2].map((id) => `${site.origin}/subject/${id}/`));

  const robots = await get(`${site.origin}/robots.txt`);
  assert.equal(robots.body.toString(), `User-agent: *\nAllow: /\nSitemap: ${site.origin}/sitemap.xml\n`);
  const list = await get(`${site.origin}/url_list.txt`);
  assert.equal(list.headers["content-type"], "text/plain; charset=utf-8");
  assert.deepEqual(list.body.toString().trim().split("\n"), site.urls());
  assert.equal((await get(`${site.origin}/about/`)).status, 200);

  for (const path of ["/subject/3/", "/subject/01/", "/subject/1", "/search?q=1", "/img/1.jpg"]) {
    const missing = await get(site.origin + path);
    assert.equal(missing.status, 404, path);
    assert.match(missing.body.toString(), /<title>404 Not Found/);
  }
});

test("startDemoSite() stats count every request, the duplicates and the distinct pages served", async (t) => {
  const site = await startDemoSite({ pages: 10 });
  t.after(() => site.close());
  for (const path of ["/subject/0/", "/subject/0/", "/subject/0/", "/subject/1/", "/robots.txt", "/nope", "/search?q=2"]) {
    await get(site.origin + path);
  }
  const { stats } = site;
  assert.equal(stats.requests, 7);
  assert.equal(stats.byPath.get("/subject/0/"), 3);
  assert.equal(stats.byPath.get("/robots.txt"), 1);
  assert.equal(stats.byPath.get("/search"), 1);
  assert.equal(stats.duplicateRequests(), 2);
  assert.equal(stats.subjectsServed(), 2);
  assert.equal(stats.inFlight, 0);

  stats.reset();
  assert.equal(stats.requests, 0);
  assert.equal(stats.byPath.size, 0);
  assert.equal(stats.duplicateRequests(), 0);
  assert.equal(stats.subjectsServed(), 0);
});

test("startDemoSite() counts concurrent requests in maxInFlight when it adds latency", async (t) => {
  const site = await startDemoSite({ pages: 10, latencyMs: 100 });
  t.after(() => site.close());
  const started = performance.now();
  await Promise.all(site.urls().slice(0, 6).map((url) => get(url)));
  assert.ok(performance.now() - started >= 95);
  assert.equal(site.stats.maxInFlight, 6);
  assert.equal(site.stats.inFlight, 0);
});

test("close() resolves promptly while a keep-alive connection is open", async () => {
  const site = await startDemoSite({ pages: 2 });
  const agent = new http.Agent({ keepAlive: true });
  try {
    await get(site.startUrl, {}, agent);
    const idle = Object.values(agent.freeSockets).flat().length;
    assert.equal(idle, 1, "the connection is kept alive");
    const started = performance.now();
    await site.close();
    assert.ok(performance.now() - started < 1000);
    await site.close(); // a second close is harmless
  } finally {
    agent.destroy();
  }
});

test("bad options throw a RangeError that names the option and the value", async () => {
  const cases: [DemoSiteOptions, string][] = [
    [{ pages: 0 }, "Expected pages to be a positive integer, got 0"],
    [{ links: 1.5 }, "Expected links to be a positive integer, got 1.5"],
    [{ bodyKb: -1 }, "Expected bodyKb to be a positive integer, got -1"],
    [{ seed: Number.NaN }, "Expected seed to be an integer, got NaN"],
    [{ latencyMs: -5 }, "Expected latencyMs to be a non-negative number, got -5"],
    [{ host: "0.0.0.0" }, 'Expected host to be a loopback address, got "0.0.0.0"'],
    [{ port: 70000 }, "Expected port to be an integer from 0 to 65535, got 70000"],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(startDemoSite(options), { name: "RangeError", message });
  }
  assert.throws(() => renderDemoPage(0, ORIGIN, { pages: 0 }), {
    name: "RangeError",
    message: "Expected pages to be a positive integer, got 0",
  });
  assert.throws(() => renderDemoPage(200, ORIGIN), {
    name: "RangeError",
    message: "Expected id to be an integer from 0 to 199, got 200",
  });
});

test("close() ends requests still waiting out latencyMs and leaves inFlight at 0", async () => {
  const site = await startDemoSite({ pages: 2, latencyMs: 10_000 });
  const failures = [get(site.startUrl), get(site.startUrl)].map((answer) => assert.rejects(answer, { code: "ECONNRESET" }));
  while (site.stats.inFlight < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  await site.close();
  assert.ok(performance.now() - started < 1000);
  assert.equal(site.stats.inFlight, 0);
  await Promise.all(failures);
});

test("demoRecommendations() are the ids a page's #db-rec-section dt a links point to, in order", () => {
  const options = { pages: 300, links: 7, seed: 3 };
  for (const id of [0, 1, 150, 299]) {
    const { document } = parseHTML(renderDemoPage(id, ORIGIN, options));
    const linked = Array.from(document.querySelectorAll("#db-rec-section dt a"), (a) =>
      Number(/\/subject\/(\d+)\//.exec(a.getAttribute("href") ?? "")![1]),
    );
    assert.deepEqual(demoRecommendations(id, options), linked);
    assert.equal(linked.length, 7);
  }
  assert.throws(() => demoRecommendations(300, options), RangeError);
});
