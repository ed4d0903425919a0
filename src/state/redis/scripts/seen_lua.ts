// The seen set of a shard, as Lua: a binary trie of buckets that splits a bucket before it outgrows an intset.
//
// A URL is its 64-bit hash: `top`, its first 12 bits, and `low`, the other 52 (see seenEntry in keys.ts). The
// buckets of level L hold the URLs whose hash starts with the L bits of their number `prefix`: the 4,096 buckets of
// level 12 are the trie's first leaves, and each member is `low`, an integer below 2^52 that Redis keeps in an
// intset, 8 bytes, while the set has at most `set-max-intset-entries` members (512 by default). A bucket about to
// pass that splits in two, by its members' next bit, one level down; a bitmap (`splits`, bit 2^L + prefix) marks the
// buckets split. So the set costs about 8 bytes a URL plus a key per few hundred URLs at any size, and stays exact.
//
// Looking a URL up walks down from the shallowest level that still has a leaf (`min` in the `seen` hash, with the
// splits counted per level), a bit or two, since the trie fills evenly.

/** The seen set's functions: `seenHas(top, low)` and `seenAdd(top, low)` (1 when new). */
export const SEEN = `
local SEEN_INFO, SPLITS = P .. 'seen', P .. 'splits'
local BASE = 12
local seenMin = nil

local function bucketKey(level, prefix) return P .. 's:' .. level .. ':' .. string.format('%d', prefix) end
local function bitOf(low, k) return math.floor(low / 2 ^ (52 - k)) % 2 end

-- The leaf bucket of a URL: its key, level and prefix.
local function seenBucket(top, low)
  if not seenMin then seenMin = tonumber(redis.call('HGET', SEEN_INFO, 'min') or BASE) end
  local n = tonumber(low)
  local level = seenMin
  local prefix = tonumber(top) * 2 ^ (level - BASE) + math.floor(n / 2 ^ (52 - (level - BASE)))
  while redis.call('GETBIT', SPLITS, string.format('%d', 2 ^ level + prefix)) == 1 do
    level = level + 1
    prefix = prefix * 2 + bitOf(n, level - BASE)
  end
  return bucketKey(level, prefix), level, prefix
end

local function split(key, level, prefix)
  local zero, one = {}, {}
  for _, member in ipairs(redis.call('SMEMBERS', key)) do
    if bitOf(tonumber(member), level + 1 - BASE) == 0 then zero[#zero + 1] = member else one[#one + 1] = member end
  end
  if #zero > 0 then redis.call('SADD', bucketKey(level + 1, prefix * 2), unpack(zero)) end
  if #one > 0 then redis.call('SADD', bucketKey(level + 1, prefix * 2 + 1), unpack(one)) end
  redis.call('DEL', key)
  redis.call('SETBIT', SPLITS, string.format('%d', 2 ^ level + prefix), 1)
  local splitHere = redis.call('HINCRBY', SEEN_INFO, 'split:' .. level, 1)
  if level == seenMin then
    local leaves = level == BASE and 2 ^ BASE or 2 * tonumber(redis.call('HGET', SEEN_INFO, 'split:' .. (level - 1)) or 0)
    if splitHere >= leaves then
      seenMin = level + 1
      redis.call('HSET', SEEN_INFO, 'min', seenMin)
    end
  end
end

-- Whether a URL is seen.
local function seenHas(top, low)
  return redis.call('SISMEMBER', (seenBucket(top, low)), low) == 1
end

-- Adds a URL; 1 when it was new. A full bucket splits first, unless the URL is in it.
local function seenAdd(top, low)
  local key, level, prefix = seenBucket(top, low)
  if redis.call('SCARD', key) >= SPLIT_AT then
    if redis.call('SISMEMBER', key, low) == 1 then return 0 end
    split(key, level, prefix)
    key = seenBucket(top, low)
  end
  return redis.call('SADD', key, low)
end
`;
