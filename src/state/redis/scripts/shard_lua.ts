// The Lua library of a shard's scripts: its counts, its per-host queues and the leases on them. Every shard script
// starts with it, and takes the same first ARGV (see SHARD_ARGS); its own arguments follow. The keys are built from
// the shard's prefix (their layout is in keys.ts): they share the shard's hash tag, so they live in one slot.

/** The ARGV every shard script takes first, in order; a script's own arguments start at ARGV[SHARD_ARGS.length + 1]. */
export const SHARD_ARGS = ["prefix", "perHost", "intervalMs", "budget", "worker", "shard", "splitAt"] as const;

/**
 * The shard, its limits and its counts. `K` holds the counts, read once; a step changes them there and `save()`
 * writes them back, bumping the version `v` when anything changed, so that a reader that sees the same version twice
 * knows nothing happened in between (see crawl_end.ts).
 */
export const PREAMBLE = `
local P = ARGV[1]
local PER_HOST = ARGV[2] == 'inf' and math.huge or tonumber(ARGV[2])
local INTERVAL = tonumber(ARGV[3])
local BUDGET = ARGV[4]
local WORKER = ARGV[5]
local SHARD = ARGV[6]
local SPLIT_AT = tonumber(ARGV[7])
local TIME = now()
local COUNTS = P .. 'counts'
local READY, DELAYED = P .. 'ready', P .. 'delayed'
local LEASES, LEASED = P .. 'leases', P .. 'leased'
local OUTBOX, OUTBOX_AT = P .. 'outbox', P .. 'outbox-at'
local HELD, HELD_SET = P .. 'held-back', P .. 'held-back-set'
local FIELDS = {'admitted', 'done', 'errors', 'queued', 'leased', 'budget', 'v'}
local K = {}
do
  local stored = redis.call('HMGET', COUNTS, unpack(FIELDS))
  for i, field in ipairs(FIELDS) do K[field] = tonumber(stored[i] or 0) end
end
local changed = false
local function save()
  if not changed then return end
  K.v = K.v + 1
  local args = {}
  for _, field in ipairs(FIELDS) do
    args[#args + 1] = field
    args[#args + 1] = K[field]
  end
  redis.call('HSET', COUNTS, unpack(args))
end
`;

/**
 * Per-host queues. A host's requests wait in one LIST per depth (depth -1 for fetches under way, first), shallower
 * first, first come first within a depth. A host is in READY, scored with its next start, while it has requests
 * waiting and fewer leases than PER_HOST; it leaves when either fails and comes back with `touch`.
 */
export const FRONTIER = `
local function hostKey(host) return P .. 'h:' .. host end
local function heldKey(worker) return P .. 'held:' .. worker end

local function intervalOf(host)
  return math.max(INTERVAL, tonumber(redis.call('HGET', hostKey(host), 'pace') or 0))
end

local function push(host, depth, line, front)
  local hk = hostKey(host)
  local list = hk .. ':q:' .. depth
  if front then redis.call('LPUSH', list, line) else redis.call('RPUSH', list, line) end
  redis.call('ZADD', hk .. ':d', depth, depth)
  redis.call('HINCRBY', hk, 'n', 1)
  changed = true
end

local function pop(host)
  local hk = hostKey(host)
  local depth = redis.call('ZRANGE', hk .. ':d', 0, 0)[1]
  if not depth then return nil end
  local list = hk .. ':q:' .. depth
  local line = redis.call('LPOP', list)
  if redis.call('LLEN', list) == 0 then redis.call('ZREM', hk .. ':d', depth) end
  if line then redis.call('HINCRBY', hk, 'n', -1) end
  return line
end

-- Puts the host in READY or takes it out, after its queue or its leases changed. An idle host's record (its next
-- start, for politeness) expires a minute after that start, unless it has a pace of its own to remember.
local function touch(host)
  local hk = hostKey(host)
  local h = redis.call('HMGET', hk, 'n', 'l', 'next', 'pace')
  local n, l, nextStart = tonumber(h[1] or 0), tonumber(h[2] or 0), tonumber(h[3] or 0)
  if n > 0 and l < PER_HOST then redis.call('ZADD', READY, nextStart, host) else redis.call('ZREM', READY, host) end
  if n == 0 and l == 0 and not h[4] then
    redis.call('PEXPIRE', hk, math.max(nextStart - TIME, 0) + 60000)
  else
    redis.call('PERSIST', hk)
  end
end

-- Leases the next request of a ready host to WORKER for ms, and moves the host's next start one interval on.
-- Appends token, line and the host's interval to out.
local function leaseOne(host, ms, out)
  local line = pop(host)
  local hk = hostKey(host)
  if not line then
    redis.call('HSET', hk, 'n', 0)
    touch(host)
    return false
  end
  local token = SHARD .. '.' .. redis.call('INCR', P .. 'token')
  redis.call('ZADD', LEASES, TIME + ms, token)
  redis.call('HSET', LEASED, token, WORKER .. ' ' .. host .. ' ' .. line)
  redis.call('SADD', heldKey(WORKER), token)
  local interval = intervalOf(host)
  redis.call('HSET', hk, 'next', TIME + interval, 'last', TIME)
  redis.call('HINCRBY', hk, 'l', 1)
  touch(host)
  K.queued = K.queued - 1
  K.leased = K.leased + 1
  changed = true
  out[#out + 1] = token
  out[#out + 1] = line
  out[#out + 1] = interval
  return true
end

-- Up to max leases from the hosts ready now, in turn: the hosts that waited longest first, one each, before any
-- gets a second.
local function leaseMany(max, ms)
  local out = {}
  local count = 0
  while count < max do
    local hosts = redis.call('ZRANGEBYSCORE', READY, '-inf', TIME, 'LIMIT', 0, max - count)
    if #hosts == 0 then break end
    for _, host in ipairs(hosts) do
      if leaseOne(host, ms, out) then count = count + 1 end
    end
  end
  return out
end

-- Ends a lease, refused or not; returns its host and request line, or nil when it is not held any more.
local function endLease(token)
  local entry = redis.call('HGET', LEASED, token)
  redis.call('ZREM', LEASES, token)
  if not entry then return nil end
  redis.call('HDEL', LEASED, token)
  local worker, host, line = string.match(entry, '^(%S+) (%S+) (.*)$')
  redis.call('SREM', heldKey(worker), token)
  redis.call('HINCRBY', hostKey(host), 'l', -1)
  K.leased = K.leased - 1
  changed = true
  return host, line
end

-- A lease that ends without its page (given back, expired, its holder dead): its request goes to the front of its host.
local function giveBack(token)
  local host, line = endLease(token)
  if not host then return end
  push(host, -1, line, true)
  K.queued = K.queued + 1
  touch(host)
end

-- A fetch that goes on: after its delay, it waits for its host ahead of the host's pages not started.
local function waitAgain(host, line, delay)
  if delay > 0 then
    redis.call('ZADD', DELAYED, TIME + delay, host .. ' ' .. line)
    changed = true
  else
    push(host, -1, line, false)
    touch(host)
  end
  K.queued = K.queued + 1
end

-- Takes back the leases past their deadline, and puts the delayed fetches whose time came in their hosts' queues.
local function housekeep()
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', LEASES, '-inf', '(' .. TIME, 'LIMIT', 0, 100)) do giveBack(token) end
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', DELAYED, '-inf', TIME, 'LIMIT', 0, 100)) do
    redis.call('ZREM', DELAYED, member)
    local host, line = string.match(member, '^(%S+) (.*)$')
    push(host, -1, line, false)
    touch(host)
  end
end

-- A host's own interval from now on: its next start moves by the difference from the interval it had.
local function setPace(host, ms)
  local hk = hostKey(host)
  local before = intervalOf(host)
  if ms > INTERVAL then redis.call('HSET', hk, 'pace', ms) else redis.call('HDEL', hk, 'pace') end
  local after = intervalOf(host)
  local h = redis.call('HMGET', hk, 'next', 'last')
  if h[2] then redis.call('HSET', hk, 'next', math.max(tonumber(h[1] or 0) - before + after, tonumber(h[2]) + after)) end
  touch(host)
end

-- What every shard script returns last: the shard's counts and what a process needs to choose where to lease next.
-- { admitted, done, errors, queued, leased, version, hosts ready now, ms until one is (-1: none waits), outbox
-- entries, age of the oldest (-1: none), requests held back, budget }.
local function summary()
  local readyIn = -1
  local first = redis.call('ZRANGE', READY, 0, 0, 'WITHSCORES')
  if first[2] then readyIn = math.max(0, tonumber(first[2]) - TIME) end
  local delayed = redis.call('ZRANGE', DELAYED, 0, 0, 'WITHSCORES')
  if delayed[2] then
    local wait = math.max(0, tonumber(delayed[2]) - TIME)
    if readyIn < 0 or wait < readyIn then readyIn = wait end
  end
  local oldest = redis.call('ZRANGE', OUTBOX_AT, 0, 0, 'WITHSCORES')
  return {K.admitted, K.done, K.errors, K.queued, K.leased, K.v, redis.call('ZCOUNT', READY, '-inf', TIME), readyIn,
    redis.call('ZCARD', OUTBOX_AT), oldest[2] and (TIME - tonumber(oldest[2])) or -1, redis.call('LLEN', HELD), K.budget}
end
`;
