// The behaviours every crawl state must have (crawl_state_conformance.ts), run against the Redis state on one server
// and on a three-master Redis Cluster, both real and started here.
import { RedisCrawlState } from "../../../src/state/redis/redis_state.ts";
import { type ConformanceTarget, conformance } from "../crawl_state_conformance.ts";
import { NO_REDIS } from "../../helpers/redis.ts";
import { redisAndCluster } from "../../helpers/redis_cluster.ts";

const servers = redisAndCluster();

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

conformance(target("RedisCrawlState on one server", () => servers.redis!.url));
conformance(target("RedisCrawlState on a three-master Redis Cluster (16 shards)", () => servers.cluster!.url));
