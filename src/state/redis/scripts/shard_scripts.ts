// The scripts that change one shard, each atomic. Each takes KEYS[1] = the shard's counts key (which routes it to the
// shard's node), the shard's ARGV (SHARD_ARGS in shard_lua.ts), then its own arguments, listed below from ARGV[8];
// each returns the shard's summary last (see `summary` in shard_lua.ts).
import { ADMISSION } from "./admission_lua.ts";
import { type Script, script } from "./script.ts";
import { SEEN } from "./seen_lua.ts";
import { FRONTIER, PREAMBLE } from "./shard_lua.ts";

function shardScript(name: string, body: string): Script {
  return script(name, PREAMBLE, SEEN, FRONTIER, ADMISSION, body);
}

/**
 * Creates the crawl, or finds it; run on the crawl's own tag, which with one shard is the shard's too. ARGV: the
 * definition, layout, shards, maxPages ("inf" or a number), perHost ("inf" or a number), intervalMs, split size,
 * then the number of start requests and each as top, low, host, depth, line (admitted here when the crawl has one
 * shard; with several, each shard admits its own, see ADMIT). A crawl found keeps its definition; a finite maxPages
 * (unless the crawl has several shards and none), perHost or a positive intervalMs replaces the stored one for the
 * whole crawl: a larger maxPages lets the requests left waiting start. Returns { 1 created | 0 found | -1 no crawl and
 * no start request, definition, layout, shards, maxPages, perHost, intervalMs, split size, state, summary }.
 */
export const OPEN = shardScript(
  "open",
  `
local META = P .. 'meta'
local function answer(created)
  local s = redis.call('HMGET', META, 'definition', 'layout', 'shards', 'maxPages', 'perHost', 'intervalMs', 'splitAt', 'state')
  save()
  return {created, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], summary()}
end
if redis.call('HEXISTS', META, 'definition') == 1 then
  -- Processes that start requests without grants cannot be given a maxPages: a crawl of several shards keeps none.
  local stored = redis.call('HMGET', META, 'shards', 'maxPages')
  if ARGV[11] ~= 'inf' and (stored[1] == '1' or stored[2] ~= 'inf') then redis.call('HSET', META, 'maxPages', ARGV[11]) end
  if ARGV[12] ~= 'inf' then redis.call('HSET', META, 'perHost', ARGV[12]) end
  if tonumber(ARGV[13]) > 0 then redis.call('HSET', META, 'intervalMs', ARGV[13]) end
  redis.call('HINCRBY', META, 'v', 1)
  return answer(0)
end
local starts = tonumber(ARGV[15])
if starts == 0 then return {-1} end
local shards = tonumber(ARGV[10])
redis.call('HSET', META, 'definition', ARGV[8], 'layout', ARGV[9], 'shards', shards, 'maxPages', ARGV[11],
  'perHost', ARGV[12], 'intervalMs', ARGV[13], 'splitAt', ARGV[14], 'granted', 0, 'v', 0, 'created', TIME,
  'state', shards == 1 and 'open' or 'opening')
if shards == 1 then
  for i = 0, starts - 1 do
    local a = 16 + i * 5
    admit(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4])
  end
end
changed = true
return answer(1)
`,
);

/**
 * Admits requests into this shard: the start requests of a crawl of several shards. ARGV: then each as top, low,
 * host, depth, line. Returns { admitted, summary }.
 */
export const ADMIT = shardScript(
  "admit",
  `
local admitted = 0
for a = 8, #ARGV, 5 do
  if admit(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]) == 1 then admitted = admitted + 1 end
end
changed = true
save()
return {admitted, summary()}
`,
);

/**
 * Takes back expired leases, then leases up to ARGV[8] requests for ARGV[9] ms to the worker, from the hosts ready
 * now, in turn. Returns { { token, line, interval, render decision ('1', '0', '' for none), ... }, the shard's time,
 * starts made, summary }.
 */
export const LEASE = shardScript(
  "lease",
  `
housekeep()
local out = leaseMany(tonumber(ARGV[8]), tonumber(ARGV[9]))
save()
return {out, TIME, SPENT, summary()}
`,
);

/**
 * Ends a lease with its outcome: refused (returns { 0, summary }) unless lease ARGV[8] still holds. ARGV: token,
 * leases wanted next, lease ms, outcome ("f" finished | "c" continued), the host whose pace changed ("" for none) and
 * its interval, the host whose render decision the page made ("" for none) and the decision ("1" | "0"), kept before
 * the next leases are made, which carry it; for a finished page: its URL, its record ("" when no log is kept), "1"
 * when it has an error; for a
 * continued fetch: its next host, its line, its delay, "1" when that host is in this shard (else the move is among
 * the outbox entries); then the number of requests found for this shard, each as top, low, host, depth, line; then
 * the number of outbox entries, each as target shard and payload (see APPLY). The finished page's record goes to the
 * worker's log; the outbox entries are stored with their numbers, for the worker to deliver. Returns { 1, requests
 * admitted here, { id, payload, ... }, { token, line, interval, render decision, ... }, the shard's time, starts made,
 * summary }.
 */
export const COMMIT = shardScript(
  "commit",
  `
housekeep()
local token = ARGV[8]
local deadline = redis.call('ZSCORE', LEASES, token)
if not deadline or tonumber(deadline) < TIME then
  save()
  return {0, summary()}
end
local host = endLease(token)
local paceHost = ARGV[12]
if paceHost ~= '' then setPace(paceHost, tonumber(ARGV[13])) end
if ARGV[14] ~= '' then decide(ARGV[14], ARGV[15]) end
local a = 16
if ARGV[11] == 'f' then
  K.done = K.done + 1
  if ARGV[a + 2] == '1' then K.errors = K.errors + 1 end
  if ARGV[a + 1] ~= '' then redis.call('HSET', P .. 'log:' .. WORKER, ARGV[a], ARGV[a + 1]) end
  a = a + 3
else
  if ARGV[a + 3] == '1' then waitAgain(ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])) end
  a = a + 4
end
touch(host)
local admitted = 0
local found = tonumber(ARGV[a])
a = a + 1
for _ = 1, found do
  if admit(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]) == 1 then admitted = admitted + 1 end
  a = a + 5
end
local entries = {}
local outgoing = tonumber(ARGV[a])
a = a + 1
for _ = 1, outgoing do
  local target, payload = ARGV[a], ARGV[a + 1]
  local id = target .. ':' .. redis.call('HINCRBY', P .. 'out-seq', target, 1)
  redis.call('HSET', OUTBOX, id, payload)
  redis.call('ZADD', OUTBOX_AT, TIME, id)
  entries[#entries + 1] = id
  entries[#entries + 1] = payload
  a = a + 2
end
local out = leaseMany(tonumber(ARGV[9]), tonumber(ARGV[10]))
save()
return {1, admitted, entries, out, TIME, SPENT, summary()}
`,
);

/**
 * Applies an outbox entry of another shard, once: ARGV source shard, its number there, payload. The payload is lines
 * joined by "\\n": "L top low host depth line" for a request found (admitted if new), "M host delay line" for a fetch
 * that goes on on a host of this shard. Returns { 1 applied | 0 applied before, requests admitted, summary }.
 */
export const APPLY = shardScript(
  "apply",
  `
if not fresh(ARGV[8], tonumber(ARGV[9])) then return {0, 0, summary()} end
local admitted = 0
for entry in string.gmatch(ARGV[10], '[^\\n]+') do
  if string.sub(entry, 1, 1) == 'L' then
    local top, low, host, depth, line = string.match(entry, '^L (%S+) (%S+) (%S+) (%S+) (.*)$')
    if admit(top, low, host, depth, line) == 1 then admitted = admitted + 1 end
  else
    local host, delay, line = string.match(entry, '^M (%S+) (%S+) (.*)$')
    waitAgain(host, line, tonumber(delay))
  end
end
changed = true
save()
return {1, admitted, summary()}
`,
);

/** Forgets delivered outbox entries. ARGV: their ids. Returns { summary }. */
export const DELIVERED = shardScript(
  "delivered",
  `
for a = 8, #ARGV do
  redis.call('HDEL', OUTBOX, ARGV[a])
  redis.call('ZREM', OUTBOX_AT, ARGV[a])
end
changed = true
save()
return {summary()}
`,
);

/** The outbox entries older than ARGV[8] ms, at most 100. Returns { { id, payload, ... }, summary }. */
export const UNDELIVERED = shardScript(
  "undelivered",
  `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', OUTBOX_AT, '-inf', TIME - tonumber(ARGV[8]), 'LIMIT', 0, 100)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', OUTBOX, id) or ''
end
return {out, summary()}
`,
);

/**
 * The shard as it is, once the leases past their deadline are taken back and the delayed fetches due are queued: a
 * process that asks after a shard whose only leases were a dead process's finds them waiting. Returns { summary }.
 */
export const STATUS = shardScript(
  "status",
  `
housekeep()
save()
return {summary()}
`,
);

/** Gives leases back: their requests go to the front of their hosts. ARGV: tokens. Returns { summary }. */
export const RELEASE = shardScript(
  "release",
  `
for a = 8, #ARGV do giveBack(ARGV[a]) end
save()
return {summary()}
`,
);

/** Gives back every lease a worker holds here (it died). ARGV: the worker. Returns { summary }. */
export const RECLAIM = shardScript(
  "reclaim",
  `
local held = heldKey(ARGV[8])
for _, token in ipairs(redis.call('SMEMBERS', held)) do giveBack(token) end
redis.call('DEL', held)
save()
return {summary()}
`,
);

/** Extends the worker's leases here to ARGV[8] ms from now. ARGV: then the tokens. */
export const HEARTBEAT = shardScript(
  "heartbeat",
  `
for a = 9, #ARGV do redis.call('ZADD', LEASES, 'XX', TIME + tonumber(ARGV[8]), ARGV[a]) end
return 1
`,
);

/**
 * The request of start ARGV[10] (a lease's token, a reservation's id) on host ARGV[8] left at ARGV[9] (ms, the shard's
 * clock): its start closes, and the host's next start is an interval after it left, or after it was given if that is
 * later. A request whose start closed already (its lease lapsed) moves the host's next start, or the start open now,
 * to count from it as well.
 */
export const SENT = shardScript(
  "sent",
  `
local host, left, id = ARGV[8], tonumber(ARGV[9]), ARGV[10]
local hk = hostKey(host)
local h = redis.call('HMGET', hk, 'open', 'last', 'next')
local last = tonumber(h[2] or 0)
if h[1] == id then
  closeStart(host, math.max(last, left))
  touch(host)
elseif h[1] then
  if left > last then redis.call('HSET', hk, 'last', left) end
elseif left + intervalOf(host) > tonumber(h[3] or 0) then
  redis.call('HSET', hk, 'next', left + intervalOf(host))
  touch(host)
end
return 1
`,
);

/**
 * Takes a start on host ARGV[8] outside the frontier, open (with an interval) until its request is SENT or ARGV[9] ms
 * after the start. Returns { 1, the ms to wait before it, the start's id ("" when the host has no interval: nothing to
 * close), the shard's time }, or { 0, the ms after which to ask again } while the host's last start is open.
 */
export const RESERVE = shardScript(
  "reserve",
  `
local host, ms = ARGV[8], tonumber(ARGV[9])
local hk = hostKey(host)
local h = redis.call('HMGET', hk, 'next', 'pace', 'open', 'until')
local interval = math.max(INTERVAL, tonumber(h[2] or 0))
local nextStart = tonumber(h[1] or 0)
if h[3] then
  if stillOpen(host, interval, h[3], h[4]) then return {0, interval} end
  nextStart = tonumber(redis.call('HGET', hk, 'next'))
end
local start = math.max(TIME, nextStart)
if interval <= 0 then return {1, start - TIME, '', TIME} end
local id = 'r' .. redis.call('INCR', P .. 'token')
redis.call('HSET', hk, 'next', start + interval, 'last', start, 'open', id, 'until', start + ms)
touch(host)
return {1, start - TIME, id, TIME}
`,
);

/** Sets host ARGV[8]'s own interval to ARGV[9] ms. */
export const PACE = shardScript("pace", `setPace(ARGV[8], tonumber(ARGV[9])) return 1`);

/** Keeps host ARGV[8]'s render decision, ARGV[9] ("1" | "0"), for its next leases. */
export const RENDER = shardScript("render", `decide(ARGV[8], ARGV[9]) return 1`);

/** Marks a URL seen, as ARGV top and low. Returns 1 when it was new. */
export const CLAIM = shardScript("claim", `return seenAdd(ARGV[8], ARGV[9])`);

/** Forgets the records of worker ARGV[8] written to its output: ARGV[9...] their URLs. */
export const ACKNOWLEDGE = shardScript(
  "acknowledge",
  `
local log = P .. 'log:' .. ARGV[8]
for a = 9, #ARGV do redis.call('HDEL', log, ARGV[a]) end
return redis.call('HINCRBY', P .. 'acked', ARGV[8], #ARGV - 8)
`,
);

/** What worker ARGV[8] left here: { its records not acknowledged, how many it acknowledged, leases it holds }. */
export const LEFT = shardScript(
  "left",
  `
return {redis.call('HVALS', P .. 'log:' .. ARGV[8]), tonumber(redis.call('HGET', P .. 'acked', ARGV[8]) or 0),
  redis.call('SCARD', heldKey(ARGV[8]))}
`,
);

/** Forgets what worker ARGV[8] left here, its output complete. */
export const FORGET = shardScript(
  "forget",
  `
redis.call('DEL', P .. 'log:' .. ARGV[8], heldKey(ARGV[8]))
redis.call('HDEL', P .. 'acked', ARGV[8])
return 1
`,
);
