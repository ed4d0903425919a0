import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import http from "node:http";
import { connect } from "node:net";
import { parseHTML } from "linkedom";
import { chromium } from "playwright-core";
import {
  type BroadPageOptions,
  type BroadRobots,
  broadHostAddress,
  broadHostIndex,
  broadPage,
  renderBroadPage,
  startBroadSite,
} from "../../src/demo/broad_site.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

interface Answer {
  status: number;
  type: string;
  body: string;
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** What a crawler reads from a page: title, h1, the links in order and the paragraphs. */
function read(html: string): { title: string; h1: string; links: string[]; text: string[] } {
  const { document } = parseHTML(html);
  return {
    title: document.title,
    h1: document.querySelector("h1")?.textContent ?? "",
    links: Array.from(document.querySelectorAll("a[href]"), (a) => a.getAttribute("href") ?? ""),
    text: Array.from(document.querySelectorAll("p"), (p) => p.textContent ?? ""),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("hosts are numbered from 127.0.0.2 through the /24s, never at an address ending in .0 or .255", () => {
  assert.equal(broadHostAddress(0), "127.0.0.2");
  assert.equal(broadHostAddress(252), "127.0.0.254");
  assert.equal(broadHostAddress(253), "127.0.1.1");
  assert.equal(broadHostAddress(9999), "127.0.39.95");
  for (let host = 0; host < 70_000; host += 7) {
    const address = broadHostAddress(host);
    assert.doesNotMatch(address, /\.(0|255)$/);
    assert.equal(broadHostIndex(address), host);
  }
  for (const other of ["127.0.0.1", "127.0.0.0", "127.0.0.255", "127.0.1.0", "10.0.0.2", "localhost", "127.0.0.256"]) {
    assert.equal(broadHostIndex(other), undefined, other);
  }
});

test("each host answers at its own address on the one port, and an address that is not a host gets a 404", async () => {
  const site = await startBroadSite({ hosts: 300, pagesPerHost: 4 });
  try {
    for (const host of [0, 252, 253, 299]) {
      const answer = await get(site.url(host, 3));
      assert.equal(answer.status, 200);
      assert.equal(read(answer.body).title, broadPage(host, 3, { hosts: 300, pagesPerHost: 4 }).title);
      assert.equal(site.log.arrivals(host).length, 1, `host ${host}`);
    }
    assert.match(site.url(299, 3), /^http:\/\/127\.0\.1\.47:\d+\/page\/3$/);
    assert.equal((await get(`http://${broadHostAddress(300)}:${site.port}/page/0`)).status, 404, "host 300 does not exist");
    assert.equal((await get(`http://127.0.0.1:${site.port}/page/0`)).status, 404);
    assert.equal((await get(`${site.origin(1)}/page/4`)).status, 404, "pages run from 0 to 3");
    assert.equal((await get(`${site.origin(1)}/page/03`)).status, 404, "one spelling per page");
    assert.equal(site.log.strays, 2);
    assert.equal(site.log.requests, 8);
    assert.equal(site.log.pagesRequested(), 4);
  } finally {
    await site.close();
  }
});

test("without a Host header, a request belongs to the address its connection reached", async () => {
  const site = await startBroadSite({ hosts: 5, pagesPerHost: 2 });
  try {
    const socket = connect(site.port, broadHostAddress(3));
    let reply = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (reply += chunk));
    socket.write("GET /page/1 HTTP/1.0\r\n\r\n");
    await new Promise((resolve) => socket.once("close", resolve));
    assert.match(reply, /^HTTP\/1\.1 200 OK/);
    assert.equal(read(reply.slice(reply.indexOf("\r\n\r\n"))).h1, broadPage(3, 1, { hosts: 5, pagesPerHost: 2 }).h1);
    assert.equal(site.log.arrivals(3).length, 1);
  } finally {
    await site.close();
  }
});

test("the link graph is the same for the same seed and another for another, with own-host and other-host links as configured", async () => {
  const options: BroadPageOptions = { hosts: 20, pagesPerHost: 30, ownLinks: 8, otherLinks: 2, seed: 3 };
  const links = (o: BroadPageOptions) => Array.from({ length: 30 }, (_, page) => broadPage(5, page, o).links);
  assert.deepEqual(links(options), links({ ...options }));
  assert.notDeepEqual(links(options), links({ ...options, seed: 4 }));

  for (const [host, page] of [[0, 0], [5, 17], [19, 29]] as const) {
    const { links } = broadPage(host, page, options);
    const own = links.filter((link) => link.host === host);
    const other = links.filter((link) => link.host !== host);
    assert.equal(own.length, 8);
    assert.deepEqual(links.slice(0, 8), own, "own-host links come first");
    assert.equal(own[0]?.page, (page + 1) % 30, "the next page first");
    assert.equal(new Set(own.map((link) => link.page)).size, 8);
    assert.ok(!own.some((link) => link.page === page), "no link to itself");
    assert.equal(other.length, 2);
    assert.equal(other[0]?.host, (host + 1) % 20, "the next host first");
    assert.notEqual(other[1]?.host, other[0]?.host);
  }
  // Fewer pages or hosts than links: as many distinct targets as there are.
  assert.deepEqual(broadPage(0, 0, { hosts: 1, pagesPerHost: 3 }).links.map((l) => [l.host, l.page]), [[0, 1], [0, 2]]);
});

test("every page of every host is reachable from the start page", () => {
  const options = { hosts: 40, pagesPerHost: 25, seed: 9 };
  const seen = new Set(["0/0"]);
  const queue: [number, number][] = [[0, 0]];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const link of broadPage(next[0], next[1], options).links) {
      const key = `${link.host}/${link.page}`;
      if (!seen.has(key)) {
        seen.add(key);
        queue.push([link.host, link.page]);
      }
    }
  }
  assert.equal(seen.size, 40 * 25);
});

test("a plain host's page carries its title, h1, links and text in HTML, of about bodyKb", async () => {
  const options = { hosts: 6, pagesPerHost: 12, bodyKb: 4, seed: 2 };
  const site = await startBroadSite(options);
  try {
    const answer = await get(site.url(4, 7));
    assert.equal(answer.type, "text/html; charset=utf-8");
    const expected = broadPage(4, 7, options);
    assert.deepEqual(read(answer.body), {
      title: expected.title,
      h1: expected.h1,
      links: expected.links.map((link) => site.url(link.host, link.page)),
      text: expected.text,
    });
    const size = Buffer.byteLength(answer.body);
    assert.ok(size >= 3.6 * 1024 && size <= 4.8 * 1024, `${size} bytes`);
  } finally {
    await site.close();
  }
});

test("script hosts: a fraction spread evenly or a list; their pages are a shell with nothing to read, and JSON with the page", async () => {
  const options = { hosts: 20, pagesPerHost: 5, scriptHosts: 0.1 };
  const site = await startBroadSite(options);
  try {
    assert.deepEqual(Array.from({ length: 20 }, (_, host) => host).filter(site.isScriptHost), [9, 19]);
    const shell = await get(site.url(9, 2));
    assert.deepEqual(read(shell.body), { title: "", h1: "", links: [], text: [] });
    const data = await get(`${site.origin(9)}/api/page/2.json`);
    assert.equal(data.type, "application/json; charset=utf-8");
    const expected = broadPage(9, 2, options);
    assert.deepEqual(JSON.parse(data.body), {
      ...expected,
      links: expected.links.map((link) => ({ href: site.url(link.host, link.page), text: link.text })),
    });
    assert.equal(read((await get(site.url(8, 2))).body).h1, broadPage(8, 2, options).h1, "host 8 is plain");
  } finally {
    await site.close();
  }
  const listed = await startBroadSite({ hosts: 4, pagesPerHost: 2, scriptHosts: [0, 3] });
  try {
    assert.deepEqual([0, 1, 2, 3].map(listed.isScriptHost), [true, false, false, true]);
  } finally {
    await listed.close();
  }
});

test("a script host's page rendered in Chromium reads as the same page in plain HTML", async (t: TestContext) => {
  if (!existsSync(CHROMIUM)) return void t.skip(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  const options = { hosts: 3, pagesPerHost: 6, scriptHosts: [1] };
  const site = await startBroadSite(options);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // This machine's network is closed: Chromium's own background connections would only be refused.
    args: ["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    await page.goto(site.url(1, 4));
    await page.waitForSelector("#text p");
    assert.deepEqual(read(await page.content()), read(renderBroadPage(1, 4, site.port, { ...options, form: "html" })));
    assert.deepEqual(requested, [site.url(1, 4), `${site.origin(1)}/api/page/4.json`]);
    // The site saw them at host 1, and one page request; Chromium may also ask for /favicon.ico, a 404.
    assert.ok(site.log.arrivals(1).length >= 2, `${site.log.arrivals(1).length} requests at host 1`);
    assert.equal(site.log.pageRequests, 1);
  } finally {
    await browser.close();
    await site.close();
  }
});

test("robots.txt per host: none, allow all, or a Crawl-delay", async () => {
  const robots = (host: number): BroadRobots => (host === 0 ? "none" : host === 1 ? "allow" : { crawlDelay: 2 });
  const site = await startBroadSite({ hosts: 3, pagesPerHost: 1, robots });
  try {
    assert.equal((await get(`${site.origin(0)}/robots.txt`)).status, 404);
    assert.equal((await get(`${site.origin(1)}/robots.txt`)).body, "User-agent: *\nAllow: /\n");
    assert.equal((await get(`${site.origin(2)}/robots.txt`)).body, "User-agent: *\nCrawl-delay: 2\nAllow: /\n");
  } finally {
    await site.close();
  }
  await assert.rejects(startBroadSite({ robots: { crawlDelay: -1 } }), {
    message: 'Expected robots to be "none", "allow" or { crawlDelay: seconds }, got {"crawlDelay":-1}',
  });
});

test("the log times each host's requests as they arrive: spaced requests make no short gap, concurrent ones do", async () => {
  const site = await startBroadSite({ hosts: 3, pagesPerHost: 10, latencyMs: 150 });
  try {
    await get(site.url(0, 0));
    await sleep(300);
    await get(site.url(0, 1));
    await Promise.all([get(site.url(1, 0)), get(site.url(1, 1)), get(site.url(2, 0))]);
    const [first, second] = site.log.arrivals(0);
    assert.ok(second! - first! >= 400, `${second! - first!} ms: the 150 ms response, then 300 ms`);
    const gaps = site.log.gaps(400);
    assert.equal(gaps.hosts, 3);
    assert.equal(gaps.gaps, 2);
    assert.equal(gaps.below, 1, "host 1's two requests at once");
    assert.equal(gaps.hostsBelow, 1);
    assert.equal(site.log.maxInFlightPerHost, 2);
    assert.equal(site.log.maxInFlight, 3);

    await get(site.url(2, 0));
    assert.equal(site.log.duplicates(), 1, "host 2's page 0, twice");
    site.log.reset();
    assert.deepEqual(site.log.gaps(400), { hosts: 0, gaps: 0, below: 0, hostsBelow: 0, shortestMs: null });
  } finally {
    await site.close();
  }
});

test("startBroadSite() refuses options out of range, naming the value", async () => {
  await assert.rejects(startBroadSite({ hosts: 0 }), { message: "Expected hosts to be a positive integer, got 0" });
  await assert.rejects(startBroadSite({ scriptHosts: 2 }), {
    message: "Expected scriptHosts to be a fraction from 0 to 1 or a list of hosts, got 2",
  });
  await assert.rejects(startBroadSite({ hosts: 2, scriptHosts: [2] }), { message: "Expected scriptHosts to list hosts from 0 to 1, got [2]" });
  await assert.rejects(startBroadSite({ hosts: 20_000, pagesPerHost: 10_000 }), {
    message: "Expected hosts × pagesPerHost to be at most 100000000, got 200000000",
  });
  assert.throws(() => broadPage(0, 50), { message: "Expected page to be an integer from 0 to 49, got 50" });
});
