// The Lua scripts through which a shared crawl changes its state in Redis: each runs atomically, so no two processes
// ever see a half-made step. Time is Redis's own (TIME), the one clock every machine of the crawl shares. Only
// commands that Redis 7.0 and Valkey 8 both have are used.
import { createHash } from "node:crypto";

/** A Lua script, with its SHA1 for EVALSHA. */
export interface Script {
  name: string;
  source: string;
  sha: string;
}

function script(name: string, body: string): Script {
  const source = `${NOW}\n${body.trim()}\n`;
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/** Milliseconds on the Redis server's clock. */
const NOW = `local function now() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end`;

/**
 * Leases up to `max` requests from the front of the queue to a worker for `ms` milliseconds, each with a new fencing
 * token, and returns { token, line, token, line, ... }. Part of LEASE and COMMIT.
 */
const LEASE_NEXT = `
local function leaseNext(queue, leases, leased, counter, held, max, ms)
  local out = {}
  if max <= 0 then return out end
  local lines = redis.call('LPOP', queue, max)
  if not lines then return out end
  local deadline = now() + ms
  for _, line in ipairs(lines) do
    local token = redis.call('INCR', counter)
    redis.call('ZADD', leases, deadline, token)
    redis.call('HSET', leased, token, line)
    redis.call('SADD', held, token)
    out[#out + 1] = tostring(token)
    out[#out + 1] = line
  end
  return out
end`;

/**
 * Creates the crawl or finds it. KEYS: meta, queue, counts, then the seen-set bucket of each start request.
 * ARGV: definition, bucket bits, maxPages, perHost, rate (each "inf" or a number), then member and line of each
 * start request. Returns { 1 = created | 0 = found, definition, bits, maxPages, perHost, rate } as stored, or {-1}
 * when there is no such crawl and no start request to create it. A crawl found keeps its definition; a finite
 * maxPages, perHost or rate replaces the stored one, for the whole crawl.
 */
export const OPEN = script(
  "open",
  `
local function stored() return redis.call('HMGET', KEYS[1], 'definition', 'bits', 'maxPages', 'perHost', 'rate') end
local found = redis.call('HGET', KEYS[1], 'definition')
if found then
  for i, name in ipairs({'maxPages', 'perHost', 'rate'}) do
    if ARGV[2 + i] ~= 'inf' then redis.call('HSET', KEYS[1], name, ARGV[2 + i]) end
  end
  local s = stored()
  return {0, s[1], s[2], s[3], s[4], s[5]}
end
if #KEYS == 3 then return {-1} end
redis.call('HSET', KEYS[1], 'definition', ARGV[1], 'bits', ARGV[2], 'maxPages', ARGV[3], 'perHost', ARGV[4], 'rate', ARGV[5], 'created', now())
local max = ARGV[3] == 'inf' and math.huge or tonumber(ARGV[3])
local admitted = 0
for i = 4, #KEYS do
  local a = 6 + (i - 4) * 2
  if admitted < max and redis.call('SADD', KEYS[i], ARGV[a]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[a + 1])
    admitted = admitted + 1
  end
end
redis.call('HSET', KEYS[3], 'admitted', admitted, 'done', 0, 'errors', 0)
local s = stored()
return {1, s[1], s[2], s[3], s[4], s[5]}
`,
);

/**
 * Takes back the leases whose deadline passed (to the front of the queue), then leases up to ARGV[1] requests for
 * ARGV[2] ms to worker ARGV[3]. KEYS: queue, leases, leased, token, counts, the worker's held set. Returns { queued,
 * leased, admitted, done, errors, { token, line, token, line, ... } }.
 */
export const LEASE = script(
  "lease",
  `${LEASE_NEXT}
local time = now()
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', time, 'LIMIT', 0, 1000)
for _, token in ipairs(expired) do
  local line = redis.call('HGET', KEYS[3], token)
  if line then redis.call('LPUSH', KEYS[1], line) end
  redis.call('ZREM', KEYS[2], token)
  redis.call('HDEL', KEYS[3], token)
end
local out = leaseNext(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6], tonumber(ARGV[1]), tonumber(ARGV[2]))
local c = redis.call('HMGET', KEYS[5], 'admitted', 'done', 'errors')
return {redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), tonumber(c[1] or 0), tonumber(c[2] or 0), tonumber(c[3] or 0), out}
`,
);

/**
 * Commits a finished page: refuses it (returns {0}) unless its lease ARGV[1] still holds; else ends the lease, admits
 * the new links while maxPages allows, counts the page and appends its record ARGV[2] to the worker's log; then
 * leases up to ARGV[4] requests for ARGV[5] ms, as LEASE does. KEYS: leases, leased, queue, counts, meta, log, held,
 * token, then the seen-set bucket of each link. ARGV: token, record, "1" when the record has an error, leases
 * wanted, lease ms, then member and line of each link. Returns { 1, links admitted, admitted, done, errors, queued,
 * leased, { token, line, ... } }.
 */
export const COMMIT = script(
  "commit",
  `${LEASE_NEXT}
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) < now() then return {0} end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[7], ARGV[1])
local stored = redis.call('HGET', KEYS[5], 'maxPages')
local max = (not stored or stored == 'inf') and math.huge or tonumber(stored)
local admitted = tonumber(redis.call('HGET', KEYS[4], 'admitted') or 0)
local added = 0
for i = 9, #KEYS do
  if admitted >= max then break end
  local a = 6 + (i - 9) * 2
  if redis.call('SADD', KEYS[i], ARGV[a]) == 1 then
    redis.call('RPUSH', KEYS[3], ARGV[a + 1])
    admitted = admitted + 1
    added = added + 1
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[4], 'admitted', added) end
local done = redis.call('HINCRBY', KEYS[4], 'done', 1)
local errors = ARGV[3] == '1' and redis.call('HINCRBY', KEYS[4], 'errors', 1) or tonumber(redis.call('HGET', KEYS[4], 'errors') or 0)
redis.call('RPUSH', KEYS[6], ARGV[2])
local out = leaseNext(KEYS[3], KEYS[1], KEYS[2], KEYS[8], KEYS[7], tonumber(ARGV[4]), tonumber(ARGV[5]))
return {1, added, admitted, done, errors, redis.call('LLEN', KEYS[3]), redis.call('ZCARD', KEYS[1]), out}
`,
);

/** Marks a URL seen. KEYS: its bucket. ARGV: its member. Returns 1 when it was new. */
export const CLAIM = script("claim", `return redis.call('SADD', KEYS[1], ARGV[1])`);

/**
 * Gives leases back: their requests go to the front of the queue. KEYS: leases, leased, queue, the worker's held
 * set. ARGV: tokens.
 */
export const RELEASE = script(
  "release",
  `
for i = 1, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    local line = redis.call('HGET', KEYS[2], ARGV[i])
    if line then redis.call('LPUSH', KEYS[3], line) end
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
  redis.call('SREM', KEYS[4], ARGV[i])
end
return #ARGV
`,
);

/**
 * A worker's heartbeat: extends its leases still held by ARGV[2] ms and notes it alive. KEYS: leases, alive, status.
 * ARGV: worker, ttl, then its lease tokens. Returns the worker's status (running, or taken when others took it for
 * dead and took over its records).
 */
export const HEARTBEAT = script(
  "heartbeat",
  `
local time = now()
local deadline = time + tonumber(ARGV[2])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
local status = redis.call('HGET', KEYS[3], ARGV[1])
if status == 'running' then redis.call('ZADD', KEYS[2], time, ARGV[1]) end
return status or 'unknown'
`,
);

/**
 * Registers a worker. KEYS: worker count, workers, status, alive. ARGV: what it tells about itself (JSON), and the
 * parts of its output's path before and after its id ("" when it writes none). Returns its id.
 */
export const REGISTER = script(
  "register",
  `
local id = 'w' .. redis.call('INCR', KEYS[1])
local info = cjson.decode(ARGV[1])
if ARGV[2] ~= '' then info.output = ARGV[2] .. id .. ARGV[3] end
redis.call('HSET', KEYS[2], id, cjson.encode(info))
redis.call('HSET', KEYS[3], id, 'running')
redis.call('ZADD', KEYS[4], now(), id)
return id
`,
);

/** Forgets the first ARGV[2] records of a worker's log, written now. KEYS: log, acked. ARGV: worker, count. */
export const ACKNOWLEDGE = script(
  "acknowledge",
  `
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
return redis.call('HINCRBY', KEYS[2], ARGV[1], tonumber(ARGV[2]))
`,
);

/**
 * A worker leaving: done, when its log is empty (everything it committed is acknowledged as written) and it holds no
 * lease; otherwise it stays running, for another process to take over what its output lacks. KEYS: status, alive,
 * log, held. ARGV: worker. Returns 1 when done.
 */
export const LEAVE = script(
  "leave",
  `
if redis.call('LLEN', KEYS[3]) > 0 or redis.call('SCARD', KEYS[4]) > 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'done')
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`,
);

/**
 * The workers still running (neither gone nor taken over) and what each told about itself, with the ms since it was
 * last heard from. KEYS: status, workers, alive. Returns { worker, info, silent ms, ... }.
 */
export const RUNNING = script(
  "running",
  `
local time = now()
local out = {}
local status = redis.call('HGETALL', KEYS[1])
for i = 1, #status, 2 do
  if status[i + 1] == 'running' then
    local seen = redis.call('ZSCORE', KEYS[3], status[i])
    out[#out + 1] = status[i]
    out[#out + 1] = redis.call('HGET', KEYS[2], status[i]) or '{}'
    out[#out + 1] = seen and (time - tonumber(seen)) or -1
  end
end
return out
`,
);

/**
 * Takes over a dead worker: the records of its log past the ARGV[3] rows its output holds move to the end of the
 * taker's log, its leases go back to the front of the queue, and it is marked taken. Refused (returns false) when the
 * worker is not running any more, or was heard from within ARGV[4] ms. KEYS: status, alive, acked, dead's log,
 * taker's log, dead's held set, leases, leased, queue. ARGV: dead, taker, rows, quiet ms. Returns the records moved.
 */
export const TAKE_OVER = script(
  "take-over",
  `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= 'running' then return false end
local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
if seen and tonumber(seen) > now() - tonumber(ARGV[4]) then return false end
local skip = tonumber(ARGV[3]) - tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or 0)
if skip < 0 then skip = 0 end
local records = redis.call('LRANGE', KEYS[4], skip, -1)
for _, record in ipairs(records) do redis.call('RPUSH', KEYS[5], record) end
redis.call('DEL', KEYS[4])
for _, token in ipairs(redis.call('SMEMBERS', KEYS[6])) do
  if redis.call('ZSCORE', KEYS[7], token) then
    local line = redis.call('HGET', KEYS[8], token)
    if line then redis.call('LPUSH', KEYS[9], line) end
    redis.call('ZREM', KEYS[7], token)
    redis.call('HDEL', KEYS[8], token)
  end
end
redis.call('DEL', KEYS[6])
redis.call('HSET', KEYS[1], ARGV[1], 'taken')
redis.call('ZREM', KEYS[2], ARGV[1])
return records
`,
);

/**
 * Asks for a start on a host: waits ARGV[1] ms between starts and allows ARGV[2] ("inf" or a number) in flight.
 * KEYS: the host's next-start key and in-flight set. ARGV: interval, perHost, token, ttl. Returns { 0, the time of
 * the grant } when the start is granted (the token then holds a place until released or ARGV[4] ms), else { the ms
 * to wait before asking again }.
 */
export const HOST_ACQUIRE = script(
  "host-acquire",
  `
local time = now()
if ARGV[2] ~= 'inf' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', time)
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return {25} end
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local next = tonumber(redis.call('GET', KEYS[1]) or 0)
  if time < next then return {next - time} end
  redis.call('SET', KEYS[1], time + interval, 'PX', interval + 60000)
end
if ARGV[2] ~= 'inf' then redis.call('ZADD', KEYS[2], time + tonumber(ARGV[4]), ARGV[3]) end
return {0, time}
`,
);

/**
 * Notes that a granted start left late: the host's next start moves to one interval after the moment it left, if
 * that is later. KEYS: the host's next-start key. ARGV: the moment it left (ms, Redis clock), interval.
 */
export const HOST_LEFT = script(
  "host-left",
  `
local next = tonumber(ARGV[1]) + tonumber(ARGV[2])
if next > tonumber(redis.call('GET', KEYS[1]) or 0) then redis.call('SET', KEYS[1], next, 'PX', tonumber(ARGV[2]) + 60000) end
return next
`,
);

/** Ends a start's place on its host. KEYS: the host's in-flight set. ARGV: token. */
export const HOST_RELEASE = script("host-release", `return redis.call('ZREM', KEYS[1], ARGV[1])`);

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

/** Removes keys of a crawl. KEYS: the keys. Returns how many existed. */
export const REMOVE = script("remove", `return #KEYS > 0 and redis.call('UNLINK', unpack(KEYS)) or 0`);
