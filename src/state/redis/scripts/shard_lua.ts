// The Lua library of a shard's scripts: its counts, its per-host queues and the leases on them. Every shard script
// starts with it, and takes the same first ARGV (see SHARD_ARGS); its own arguments follow. The keys are built from
// the shard's prefix (their layout is in keys.ts): they share the shard's hash tag, so they live in one slot.

/**
 * The ARGV every shard script takes first, in order; a script's own arguments start at ARGV[SHARD_ARGS.length + 1].
 * `budget` says how the step counts the requests it starts against maxPages: `none` (no maxPages), `local` (the crawl
 * has one shard, whose slot holds its meta: maxPages is read there), or the number of starts the step may make (several
 * shards share maxPages through grants: see budget.ts).
 */
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
local READY, AGAIN, DELAYED = P .. 'ready', P .. 'again', P .. 'delayed'
local LEASES, LEASED = P .. 'leases', P .. 'leased'
local OUTBOX, OUTBOX_AT = P .. 'outbox', P .. 'outbox-at'
local FIELDS = {'admitted', 'done', 'errors', 'queued', 'leased', 'started', 'underway', 'cookies', 'v'}
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
 * waiting and fewer leases than PER_HOST; it is in AGAIN as well while fetches under way wait in it (its `a`). Both
 * change with `touch`.
 *
 * A request leased for the first time is a start, which maxPages counts (`K.started`); a fetch under way (a retry, a
 * redirect's next hop, a lease given back) is not. Once the step has no start left, only the hosts of AGAIN are leased
 * from, and the requests that never started wait for a larger maxPages.
 */
export const FRONTIER = `
local function hostKey(host) return P .. 'h:' .. host end
local function heldKey(worker) return P .. 'held:' .. worker end

-- Each host's render decision, the last committed: '1' its pages are read in a browser, '0' over HTTP alone; '' when
-- none was. A crawl that decides nothing has no hash, looked for once a step.
local RENDER = P .. 'render'
local decided = nil
local function renderOf(host)
  if decided == nil then decided = redis.call('EXISTS', RENDER) == 1 end
  if not decided then return '' end
  return redis.call('HGET', RENDER, host) or ''
end
local function decide(host, render)
  redis.call('HSET', RENDER, host, render)
  decided = true
end

local function intervalOf(host)
  return math.max(INTERVAL, tonumber(redis.call('HGET', hostKey(host), 'pace') or 0))
end

-- The starts this step may still make (see SHARD_ARGS).
local SPENT = 0
local maxPages = nil
local function startsLeft()
  if BUDGET == 'none' then return math.huge end
  if BUDGET == 'local' then
    if not maxPages then
      local stored = redis.call('HGET', P .. 'meta', 'maxPages')
      maxPages = (not stored or stored == 'inf') and math.huge or tonumber(stored)
    end
    return maxPages - K.started
  end
  return tonumber(BUDGET) - SPENT
end

local function push(host, depth, line, front)
  local hk = hostKey(host)
  local list = hk .. ':q:' .. depth
  if front then redis.call('LPUSH', list, line) else redis.call('RPUSH', list, line) end
  redis.call('ZADD', hk .. ':d', depth, depth)
  redis.call('HINCRBY', hk, 'n', 1)
  if depth == -1 then redis.call('HINCRBY', hk, 'a', 1) end
  changed = true
end

-- The depth of a host's next request ('-1': a fetch under way), or nil when none waits.
local function nextDepth(host)
  return redis.call('ZRANGE', hostKey(host) .. ':d', 0, 0)[1]
end

local function pop(host, depth)
  local hk = hostKey(host)
  local list = hk .. ':q:' .. depth
  local line = redis.call('LPOP', list)
  if redis.call('LLEN', list) == 0 then redis.call('ZREM', hk .. ':d', depth) end
  if line then
    redis.call('HINCRBY', hk, 'n', -1)
    if depth == '-1' then redis.call('HINCRBY', hk, 'a', -1) end
  end
  return line
end

-- Puts the host in READY and AGAIN or takes it out, after its queue or its leases changed. An idle host's record (its
-- next start, for politeness) expires a minute after that start, or after its open reservation lapses, unless it has
-- a pace of its own to remember.
local function touch(host)
  local hk = hostKey(host)
  local h = redis.call('HMGET', hk, 'n', 'l', 'next', 'pace', 'a', 'until')
  local n, l, nextStart, a = tonumber(h[1] or 0), tonumber(h[2] or 0), tonumber(h[3] or 0), tonumber(h[5] or 0)
  if n > 0 and l < PER_HOST then redis.call('ZADD', READY, nextStart, host) else redis.call('ZREM', READY, host) end
  if a > 0 and l < PER_HOST then redis.call('ZADD', AGAIN, nextStart, host) elseif h[5] then redis.call('ZREM', AGAIN, host) end
  if n == 0 and l == 0 and not h[4] then
    redis.call('PEXPIRE', hk, math.max(nextStart - TIME, tonumber(h[6] or 0) - TIME, 0) + 60000)
  else
    redis.call('PERSIST', hk)
  end
end

-- Open starts. With an interval, a start given (a lease, a reservation) is open until its request has left (SENT), or
-- is over without one (the lease ends: robots.txt refused it, the crawl stopped, its holder died; the reservation
-- lapses): meanwhile the host gives no other start, leased or reserved, for the next counts from when that request
-- leaves, however late. The host's 'open' holds the lease's token or the reservation's id, 'until' when the
-- reservation lapses (it has no lease to end with); 'last' is where the start was given. Its 'next', and so its
-- score in READY and AGAIN, is then only when to look again: never later than the next start can be.

-- Closes the host's open start: its next start is an interval after from.
local function closeStart(host, from)
  local hk = hostKey(host)
  redis.call('HSET', hk, 'next', from + intervalOf(host))
  redis.call('HDEL', hk, 'open', 'until')
end

-- Whether the host's start open (with till, a reservation's deadline) is open still; one whose lease ended or whose
-- reservation lapsed, or on a host with no interval any more, is closed here, where it was given.
local function stillOpen(host, interval, open, till)
  local live
  if till then live = tonumber(till) > TIME else live = redis.call('HEXISTS', LEASED, open) == 1 end
  if live and interval > 0 then return true end
  closeStart(host, tonumber(redis.call('HGET', hostKey(host), 'last') or TIME))
  touch(host)
  return false
end

-- Leases the next request of a ready host to WORKER for ms, and moves the host's next start one interval on, opening
-- the start when there is an interval; not when it would be a start and none is left. Appends token, line, the host's
-- interval and its render decision to out. Returns whether it leased, and whether the host left the hosts ready now
-- instead (its start is open: it is looked at again an interval on, the soonest its next start can be).
local function leaseOne(host, ms, out)
  local hk = hostKey(host)
  local h = redis.call('HMGET', hk, 'pace', 'open', 'until')
  local interval = math.max(INTERVAL, tonumber(h[1] or 0))
  if h[2] then
    if stillOpen(host, interval, h[2], h[3]) then
      redis.call('HSET', hk, 'next', TIME + interval)
      touch(host)
      return false, true
    end
    if tonumber(redis.call('HGET', hk, 'next')) > TIME then return false, true end
  end
  local depth = nextDepth(host)
  local underway = depth == '-1'
  if depth and not underway and startsLeft() <= 0 then return false end
  local line = depth and pop(host, depth)
  if not line then
    redis.call('HSET', hk, 'n', 0, 'a', 0)
    touch(host)
    return false
  end
  -- A paced lease's token ends in 'p': its start may be open, which only the end of such a lease looks for.
  local token = SHARD .. '.' .. redis.call('INCR', P .. 'token') .. (interval > 0 and 'p' or '')
  redis.call('ZADD', LEASES, TIME + ms, token)
  redis.call('HSET', LEASED, token, WORKER .. ' ' .. host .. ' ' .. line)
  redis.call('SADD', heldKey(WORKER), token)
  if interval > 0 then
    redis.call('HSET', hk, 'next', TIME + interval, 'last', TIME, 'open', token)
  else
    redis.call('HSET', hk, 'next', TIME, 'last', TIME)
  end
  redis.call('HINCRBY', hk, 'l', 1)
  touch(host)
  K.queued = K.queued - 1
  K.leased = K.leased + 1
  if underway then
    K.underway = K.underway - 1
  else
    K.started = K.started + 1
    SPENT = SPENT + 1
  end
  changed = true
  out[#out + 1] = token
  out[#out + 1] = line
  out[#out + 1] = interval
  out[#out + 1] = renderOf(host)
  return true
end

-- Up to max leases from the hosts ready now (of READY while a start is left, then of AGAIN), in turn: the hosts that
-- waited longest first, one each, before any gets a second.
local function leaseMany(max, ms)
  local out = {}
  local count = 0
  for _, hostsOf in ipairs({READY, AGAIN}) do
    while count < max and (hostsOf == AGAIN or startsLeft() > 0) do
      local hosts = redis.call('ZRANGEBYSCORE', hostsOf, '-inf', TIME, 'LIMIT', 0, max - count)
      local before, moved = count, false
      for _, host in ipairs(hosts) do
        if count < max then
          local leased, away = leaseOne(host, ms, out)
          if leased then count = count + 1 end
          moved = moved or away
        end
      end
      -- Hosts whose start is open left the range: others may be behind them.
      if count == before and not moved then break end
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
  local hk = hostKey(host)
  redis.call('HINCRBY', hk, 'l', -1)
  if string.sub(token, -1) == 'p' then
    -- Over without its request (the callers put the host back in place).
    local h = redis.call('HMGET', hk, 'open', 'last')
    if h[1] == token then closeStart(host, tonumber(h[2])) end
  end
  K.leased = K.leased - 1
  changed = true
  return host, line
end

-- A lease that ends without its page (given back, expired, its holder dead): its request goes to the front of its
-- host, started already.
local function giveBack(token)
  local host, line = endLease(token)
  if not host then return end
  push(host, -1, line, true)
  K.queued = K.queued + 1
  K.underway = K.underway + 1
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
  K.underway = K.underway + 1
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

-- The ms until the first member of a sorted set of times is due, or -1 when it is empty.
local function dueIn(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return first[2] and math.max(0, tonumber(first[2]) - TIME) or -1
end

-- What every shard script returns last: the shard's counts and what a process needs to choose where to lease next.
-- { admitted, done, errors, queued, leased, started, fetches under way waiting, version, hosts ready now, ms until
-- one is (-1: none waits), the same two for fetches under way alone (what is leased once no start is left), outbox
-- entries, age of the oldest (-1: none), starts left (-1: not counted here), the version of the shard's cookies }.
local function summary()
  local delayed = dueIn(DELAYED)
  local function soonest(ms) if delayed >= 0 and (ms < 0 or delayed < ms) then return delayed end return ms end
  local oldest = redis.call('ZRANGE', OUTBOX_AT, 0, 0, 'WITHSCORES')
  local left = -1
  if BUDGET == 'local' and startsLeft() < math.huge then left = math.max(0, startsLeft()) end
  return {K.admitted, K.done, K.errors, K.queued, K.leased, K.started, K.underway, K.v,
    redis.call('ZCOUNT', READY, '-inf', TIME), soonest(dueIn(READY)), redis.call('ZCOUNT', AGAIN, '-inf', TIME), soonest(dueIn(AGAIN)),
    redis.call('ZCARD', OUTBOX_AT), oldest[2] and (TIME - tonumber(oldest[2])) or -1, left, K.cookies}
end
`;
