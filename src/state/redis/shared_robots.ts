import { setTimeout as sleep } from "node:timers/promises";
import type { RobotsFetch, RobotsResponse } from "../../fetch/robots.ts";
import { originOf } from "../../url.ts";
import { ROBOTS_LOCK, ROBOTS_STORE, ROBOTS_UNLOCK } from "./scripts/crawl_scripts.ts";
import { type CommandSender, runScript } from "./scripts/run_script.ts";

/** How long the process fetching an origin's robots.txt holds the right to, before another may try. */
const LOCK_MS = 60_000;
/** How long an answer that closed the origin (5xx, unreachable) is kept before the file is fetched again. */
const UNREACHABLE_MS = 60_000;
/** How often a process waiting for another's fetch looks for its result. */
const POLL_MS = 50;

interface Stored {
  response: RobotsResponse;
  /** When it was fetched, ms since the epoch (the fetching machine's clock). */
  at: number;
}

/**
 * Makes a robots.txt fetch happen once per origin for a whole crawl: the first process to need an origin's file takes
 * a lock in Redis, fetches it and stores the response; the others wait for it and read it. Both live in the shard of
 * the origin's host (`robotsKey(origin)` is the hash of the responses). An answer that closes the origin (5xx, no
 * answer) is fetched again after a minute, as `RobotsCache` does within a process.
 *
 * @example
 * ```ts
 * import { sharedRobots } from "./shared_robots.ts";
 * const fetchOnce = sharedRobots(connection, (origin) => `${shards.prefixes[shardOf(origin)]}robots`, "w1")(fetchRobots);
 * ```
 */
export function sharedRobots(client: CommandSender, robotsKey: (origin: string) => string, holder: string): (fetch: RobotsFetch) => RobotsFetch {
  return (fetch) => async (url, signal, stop) => {
    const origin = originOf(url);
    const robots = robotsKey(origin);
    const lock = `${robots}-lock:${origin}`;
    for (;;) {
      const stored = (await client.send(robots, ["HGET", robots, origin])) as string | null;
      if (stored !== null) {
        const { response, at } = JSON.parse(stored) as Stored;
        const closed = response.status === 0 || response.status >= 500;
        if (!closed || Date.now() - at < UNREACHABLE_MS) return response;
      }
      if (Number(await runScript(client, ROBOTS_LOCK, [lock], [holder, LOCK_MS])) === 1) {
        let response: RobotsResponse;
        try {
          response = await fetch(url, signal, stop);
        } catch (error) {
          await runScript(client, ROBOTS_UNLOCK, [lock], [holder]).catch(() => {});
          throw error;
        }
        const entry: Stored = { response, at: Date.now() };
        await runScript(client, ROBOTS_STORE, [robots, lock], [origin, JSON.stringify(entry)]);
        return response;
      }
      await sleep(POLL_MS, undefined, signal === undefined ? {} : { signal });
    }
  };
}
