// The scripts on the crawl-wide keys (see CrawlKeys in keys.ts), each atomic: the crawl's state and limits, the starts
// granted to processes under a shared maxPages, and the registry of workers.
import { script } from "./script.ts";

/**
 * The crawl as it is, for the end-of-crawl check and the limits every process keeps. KEYS: meta. Returns { version,
 * state, maxPages, starts granted, perHost, intervalMs }.
 */
export const CRAWL_STATUS = script(
  "crawl-status",
  `
local m = redis.call('HMGET', KEYS[1], 'v', 'state', 'maxPages', 'granted', 'perHost', 'intervalMs')
return {tonumber(m[1] or 0), m[2] or '', m[3] or 'inf', tonumber(m[4] or 0), m[5] or 'inf', m[6] or '0'}
`,
);

/** Marks a crawl of several shards open: its start requests are all in their shards. KEYS: meta. */
export const MARK_OPEN = script(
  "mark-open",
  `
redis.call('HSET', KEYS[1], 'state', 'open')
return redis.call('HINCRBY', KEYS[1], 'v', 1)
`,
);

/**
 * Grants a process up to ARGV[1] starts of the crawl's maxPages: as many as are left. KEYS: meta. Returns the starts
 * granted (0 when none is left).
 */
export const GRANT = script(
  "grant",
  `
local m = redis.call('HMGET', KEYS[1], 'maxPages', 'granted')
if not m[1] or m[1] == 'inf' then return 0 end
local starts = math.min(tonumber(ARGV[1]), tonumber(m[1]) - tonumber(m[2] or 0))
if starts <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'granted', starts)
redis.call('HINCRBY', KEYS[1], 'v', 1)
return starts
`,
);

/** Takes back ARGV[1] starts a process was granted and did not make. KEYS: meta. */
export const GIVE_BACK = script(
  "give-back",
  `
redis.call('HINCRBY', KEYS[1], 'granted', 0 - tonumber(ARGV[1]))
return redis.call('HINCRBY', KEYS[1], 'v', 1)
`,
);

/** Registers a worker. KEYS: worker-count, workers, status. ARGV: what it tells about itself (JSON). Returns its id. */
export const REGISTER = script(
  "register",
  `
local id = 'w' .. redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], id, ARGV[1])
redis.call('HSET', KEYS[3], id, 'running')
return id
`,
);

/** The workers: KEYS workers, status. Returns { worker, status, what it told (JSON), ... }. */
export const WORKERS = script(
  "workers",
  `
local out = {}
local status = redis.call('HGETALL', KEYS[2])
for i = 1, #status, 2 do
  out[#out + 1] = status[i]
  out[#out + 1] = status[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[1], status[i]) or '{}'
end
return out
`,
);

/**
 * Sets worker ARGV[1]'s status to ARGV[3] if it still is ARGV[2]: a process takes over a dead worker ("taking <it>")
 * only while no other does, and marks it "done" once its output is complete. KEYS: status. Returns 1 when set.
 */
export const SWAP_STATUS = script(
  "swap-status",
  `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`,
);

/** Takes the right to fetch an origin's robots.txt for the crawl. KEYS: its lock. ARGV: holder, ttl. */
export const ROBOTS_LOCK = script(
  "robots-lock",
  `return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) and 1 or 0`,
);

/** Stores an origin's robots.txt response and lets go of its lock. KEYS: robots, lock. ARGV: origin, response. */
export const ROBOTS_STORE = script(
  "robots-store",
  `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`,
);

/** Lets go of an origin's robots.txt lock, if ARGV[1] still holds it. KEYS: the lock. */
export const ROBOTS_UNLOCK = script(
  "robots-unlock",
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);
