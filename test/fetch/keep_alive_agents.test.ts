import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { keepAliveAgents } from "../../src/fetch/keep_alive_agents.ts";

// Five hosts, each a server of its own at an address of its own, counting the connections it was opened.
const HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"];
const servers: { server: http.Server; url: string; connections: number }[] = [];

before(async () => {
  for (const address of HOSTS) {
    const server = http.createServer((_, response) => response.end("ok"));
    const entry = { server, url: "", connections: 0 };
    server.on("connection", () => entry.connections++);
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    entry.url = `http://${address}:${(server.address() as AddressInfo).port}/`;
    servers.push(entry);
  }
});

after(async () => {
  await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

function get(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

async function openConnections(): Promise<number[]> {
  await sleep(50); // a socket the agent closed reaches its server's side
  return Promise.all(
    servers.map(({ server }) => new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count)))),
  );
}

test("keepAliveAgents() reuses a host's idle connection for its next request", async () => {
  const agents = keepAliveAgents(2);
  const first = servers[0]!;
  const before = first.connections;
  for (let i = 0; i < 3; i++) assert.equal(await get(first.url, agents.http), "ok");
  assert.equal(first.connections - before, 1, "three requests, one after the other, on one connection");
  agents.http.destroy();
});

test("keepAliveAgents() keeps at most its limit of idle connections over all hosts, and closes the rest", async () => {
  const agents = keepAliveAgents(2);
  for (const { url } of servers) assert.equal(await get(url, agents.http), "ok");
  const open = await openConnections();
  assert.equal(open.reduce((sum, count) => sum + count, 0), 2, `open connections by host: ${open.join(", ")}`);
  // Destroyed, the agent closes the connections it kept.
  agents.http.destroy();
  assert.deepEqual(await openConnections(), [0, 0, 0, 0, 0]);
});
