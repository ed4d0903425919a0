import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import got, { type ExtendOptions, Options } from "got";
import { leanRequests } from "../../src/fetch/lean_requests.ts";
import { startServer } from "../helpers/server.ts";

// One server on IPv4 and one on IPv6 loopback, each recording what every request brought and on which connection.
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  connection: number;
}
const seen: Seen[] = [];
const servers: http.Server[] = [];
let v4 = "";
let v6 = "";

before(async () => {
  for (const address of ["127.0.0.1", "::1"]) {
    let connections = 0;
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const { connection } = request.socket as unknown as { connection: number };
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, body, connection });
        response.end("ok");
      });
    });
    server.on("connection", (socket) => Object.assign(socket, { connection: ++connections }));
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const { port } = server.address() as AddressInfo;
    if (address === "::1") v6 = `http://[::1]:${port}`;
    else v4 = `http://127.0.0.1:${port}`;
    servers.push(server);
  }
});

after(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const settings: ExtendOptions = {
  headers: { "user-agent": "rxcrawl-test", "x-extra": "1" },
  retry: { limit: 0 },
  followRedirect: false,
  throwHttpErrors: false,
};

/** What the server saw of each request, sent by a client with the settings (and a fresh keep-alive agent). */
async function sentBy(lean: boolean, requests: [string, { method?: "GET" | "POST"; body?: string }?][]): Promise<Omit<Seen, "connection">[]> {
  const agent = new http.Agent({ keepAlive: true });
  const client = got.extend({ ...settings, ...(lean ? leanRequests() : {}), agent: { http: agent } });
  seen.length = 0;
  for (const [url, options] of requests) await client(url, options);
  agent.destroy();
  return seen.map(({ connection: _, ...rest }) => ({ ...rest, headers: { ...rest.headers, host: rest.headers.host?.replace(/:\d+$/, ":port") } }));
}

test("a lean client sends what got sends: method, path and query, host, credentials, headers, body", async () => {
  const requests: [string, { method?: "GET" | "POST"; body?: string }?][] = [
    [`${v4}/a/b?x=1&y=%20z#part`],
    [`${v4.replace("//", "//user:p%40ss@")}/private`],
    [`${v6}/six?q=1`],
    [`${v4}/form`, { method: "POST", body: "a=1&b=2" }],
  ];
  const lean = await sentBy(true, requests);
  const plain = await sentBy(false, requests);
  assert.deepEqual(lean, plain);
  assert.deepEqual(
    lean.map(({ method, url, headers }) => [method, url, headers.host, headers.authorization]),
    [
      ["GET", "/a/b?x=1&y=%20z", "127.0.0.1:port", undefined],
      ["GET", "/private", "127.0.0.1:port", `Basic ${Buffer.from("user:p@ss").toString("base64")}`],
      ["GET", "/six?q=1", "[::1]:port", undefined],
      ["POST", "/form", "127.0.0.1:port", undefined],
    ],
  );
  assert.equal(lean[3]!.body, "a=1&b=2");
});

test("a lean client keeps its connection alive between requests to one host", async () => {
  const agent = new http.Agent({ keepAlive: true });
  const client = got.extend({ ...settings, ...leanRequests(), agent: { http: agent } });
  seen.length = 0;
  for (let i = 0; i < 3; i++) await client(`${v4}/again/${i}`);
  agent.destroy();
  assert.deepEqual(seen.map(({ url }) => url), ["/again/0", "/again/1", "/again/2"]);
  assert.equal(new Set(seen.map(({ connection }) => connection)).size, 1);
});

/** The options a request of the client would be made with, by got's own method and by the lean one. */
function nativeOptions(url: string, extra: ExtendOptions = {}): { own: object; lean: object } {
  const client = got.extend({ ...settings, ...extra, ...leanRequests() });
  const options = new Options(url, undefined, client.defaults.options);
  const own = Options.prototype.createNativeRequestOptions.call(options);
  let lean: object | undefined;
  leanRequests().handlers![0]!(options, (handled) => {
    lean = handled.createNativeRequestOptions();
    return undefined as never;
  });
  return { own, lean: lean! };
}

/** The options Node reads: those set to something. */
const given = (options: object) => Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));

// What only a TLS connection reads (Node's https.Agent and tls.connect); an http: request has no use for them.
const TLS = new Set(["ALPNProtocols", "ca", "cert", "key", "passphrase", "pfx", "rejectUnauthorized", "checkServerIdentity", "servername", "ciphers", "honorCipherOrder", "minVersion", "maxVersion", "sigalgs", "sessionTimeout", "dhparam", "ecdhCurve", "crl", "secureOptions"]);

test("the lean request options hold every option got's own hold: all for https, all but TLS's for http", () => {
  const extra: ExtendOptions = { https: { rejectUnauthorized: false, ciphers: "HIGH" }, localAddress: "127.0.0.1" };
  const secure = nativeOptions("https://127.0.0.1:1/x", extra);
  assert.deepEqual(given(secure.lean), given(secure.own));
  assert.equal((secure.lean as { rejectUnauthorized?: boolean }).rejectUnauthorized, false);
  const plain = nativeOptions("http://127.0.0.1:1/x?y", extra);
  const own = Object.fromEntries(Object.entries(given(plain.own)).filter(([key]) => !TLS.has(key)));
  assert.deepEqual(given(plain.lean), own);
  assert.deepEqual(Object.keys(own).sort(), ["headers", "localAddress", "method", "setHost"]);
});

test("a lean client with a cache fetches a cacheable page once and then answers from its cache", async () => {
  const server = await startServer((_, response) => {
    response.setHeader("cache-control", "public, max-age=60");
    response.end("kept");
  });
  try {
    const client = got.extend({ ...settings, ...leanRequests(), cache: new Map() });
    const first = await client(server.url("/cached"));
    const second = await client(server.url("/cached"));
    assert.deepEqual([first.body, first.isFromCache, second.body, second.isFromCache], ["kept", false, "kept", true]);
    assert.deepEqual([...server.hits], [["/cached", 1]]);
  } finally {
    await server.close();
  }
});

test("a request with a cache gets got's own options, cache settings included", () => {
  const { own, lean } = nativeOptions("http://127.0.0.1:1/", { cache: new Map(), cacheOptions: { shared: false } });
  assert.deepEqual(lean, own);
  assert.equal((lean as { shared?: boolean }).shared, false);
});

test("a lean client fetches over https, checking the site's certificate", async () => {
  // A certificate for 127.0.0.1, made for this test by openssl, and trusted by the client alone.
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-tls-"));
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const tls = { key: readFileSync(key), cert: readFileSync(cert) };
  rmSync(dir, { recursive: true });
  const paths: string[] = [];
  const server = https.createServer(tls, (request, response) => {
    paths.push(request.url!);
    response.end("secret");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/vault?k=1`;
  try {
    const trusting = got.extend({ ...settings, ...leanRequests(), https: { certificateAuthority: tls.cert } });
    const response = await trusting(url);
    assert.equal(response.body, "secret");
    const wary = got.extend({ ...settings, ...leanRequests() });
    await assert.rejects(wary(url), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    assert.deepEqual(paths, ["/vault?k=1"]);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
