// Admission into a shard, as Lua: a request found is new when the seen set lacks it, and is admitted while the
// crawl's maxPages allows; a new one beyond it is held back, so that a run with a larger maxPages admits it. How much a
// shard may admit is its BUDGET mode (and it keeps at most a million requests held back):
//   none     no maxPages;
//   local    the crawl has one shard, whose slot also holds the crawl's meta: maxPages is read there;
//   granted  several shards share maxPages: the crawl grants each pages, and a shard admits while its budget lasts
//            (see budget.ts). Its held-back requests then wait for the next grant.
// Also here: entries that other shards send (the outbox, the grants) are applied once each, by their sequence number.

/** Admission: `admit(top, low, host, depth, line)` (1 admitted, 0 seen, 2 held back), `promote()`, `fresh(source, seq)`. */
export const ADMISSION = `
local maxPages = nil
local function budgetLeft()
  if BUDGET == 'none' then return math.huge end
  if BUDGET == 'granted' then return K.budget end
  if not maxPages then
    local stored = redis.call('HGET', P .. 'meta', 'maxPages')
    maxPages = (not stored or stored == 'inf') and math.huge or tonumber(stored)
  end
  return maxPages - K.admitted
end

-- At most HELD_MAX held back per shard (about 150 bytes each in Redis), the first found: a crawl capped far below the
-- links it finds would otherwise keep them all in memory.
local HELD_MAX = 1000000
local function holdBack(top, low, host, depth, line)
  if redis.call('HLEN', HELD_SET) >= HELD_MAX then return end
  if redis.call('HSETNX', HELD_SET, top .. ':' .. low, 1) == 1 then
    redis.call('RPUSH', HELD, top .. ' ' .. low .. ' ' .. host .. ' ' .. depth .. ' ' .. line)
  end
end

local function enqueue(top, low, host, depth, line)
  seenAdd(top, low)
  push(host, tonumber(depth), line, false)
  touch(host)
  K.admitted = K.admitted + 1
  K.queued = K.queued + 1
  if BUDGET == 'granted' then K.budget = K.budget - 1 end
end

local function admit(top, low, host, depth, line)
  if seenHas(top, low) then return 0 end
  if budgetLeft() <= 0 then
    holdBack(top, low, host, depth, line)
    return 2
  end
  enqueue(top, low, host, depth, line)
  return 1
end

-- Admits held-back requests, first come first, while the budget allows; returns how many.
local function promote()
  local count = 0
  while budgetLeft() > 0 do
    local entry = redis.call('LPOP', HELD)
    if not entry then break end
    local top, low, host, depth, line = string.match(entry, '^(%S+) (%S+) (%S+) (%S+) (.*)$')
    redis.call('HDEL', HELD_SET, top .. ':' .. low)
    if not seenHas(top, low) then
      enqueue(top, low, host, depth, line)
      count = count + 1
    end
  end
  return count
end

-- Whether entry seq from source was not applied here before; marks it applied. Entries from one source may come out
-- of order (two processes deliver at once); those above the first gap are remembered one by one until it fills.
local function fresh(source, seq)
  local inbox = P .. 'inbox'
  local above = inbox .. ':' .. source
  local last = tonumber(redis.call('HGET', inbox, source) or 0)
  if seq <= last or redis.call('SISMEMBER', above, seq) == 1 then return false end
  if seq == last + 1 then
    last = seq
    while redis.call('SREM', above, last + 1) == 1 do last = last + 1 end
    redis.call('HSET', inbox, source, last)
  else
    redis.call('SADD', above, seq)
  end
  return true
end
`;
