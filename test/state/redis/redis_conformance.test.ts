// The behaviours every crawl state must have (crawl_state_conformance.ts), run against the Redis state on one server
// and on a three-master Redis Cluster, both real and started here.
import { after, before } from "node:test";
import { RedisCrawlState } from "../../../src/state/redis/redis_state.ts";
import { type ConformanceTarget, conformance } from "../crawl_state_conformance.ts";
import { NO_REDIS, startRedis, type TestRedis } from "../../helpers/redis.ts";
import { startCluster, type TestCluster } from "../../helpers/redis_cluster.ts";

let redis: TestRedis | undefined;
let cluster: TestCluster | undefined;
before(async () => {
  if (NO_REDIS !== false) return;
  [redis, cluster] = await Promise.all([startRedis(), startCluster()]);
});
after(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

let crawls = 0;

/** A target whose crawls live on the server `url()` names. */
function target(name: string, url: () => string): ConformanceTarget {
  return {
    name,
    shared: true,
    skip: NO_REDIS,
    async crawl(options = {}) {
      const crawlId = `conformance${++crawls}`;
      const states: RedisCrawlState[] = [await RedisCrawlState.connect({ url: url(), crawlId, ...options })];
      return {
        state: states[0]!,
        async another() {
          const state = await RedisCrawlState.connect({ url: url(), crawlId, ...options });
          states.push(state);
          return state;
        },
        async dispose() {
          for (const state of states) await state.disconnect();
          await RedisCrawlState.remove(url(), crawlId);
        },
      };
    },
  };
}

conformance(target("RedisCrawlState on one server", () => redis!.url));
conformance(target("RedisCrawlState on a three-master Redis Cluster (16 shards)", () => cluster!.url));
