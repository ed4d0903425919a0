// Admission into a shard, as Lua: a request found is admitted when the seen set lacks it, whatever maxPages (which
// counts the requests started, when they are leased: see shard_lua.ts). Also here: entries that other shards send (the
// outbox) are applied once each, by their sequence number.

/** Admission: `admit(top, low, host, depth, line)` (1 admitted, 0 seen before), `fresh(source, seq)`. */
export const ADMISSION = `
local function admit(top, low, host, depth, line)
  if seenHas(top, low) then return 0 end
  seenAdd(top, low)
  push(host, tonumber(depth), line, false)
  touch(host)
  K.admitted = K.admitted + 1
  K.queued = K.queued + 1
  return 1
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
