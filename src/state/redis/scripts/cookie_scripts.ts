// The scripts of a crawl's cookie jar (see cookie_store.ts), each atomic on one shard: the shard of a site holds the
// site's cookies, in a HASH `cookies:<site>`, field `[domain, path, name]` as JSON → the cookie as JSON; field
// `g[domain, path, name]` → the cookie as the crawl was given it at its start (see SEED_COOKIES). Each takes KEYS[1] =
// the shard's counts key, the shard's ARGV (SHARD_ARGS in shard_lua.ts), then its own arguments from ARGV[8].
import { type Script, script } from "./script.ts";
import { PREAMBLE } from "./shard_lua.ts";

/**
 * Sets and removes the cookies of a site. A cookie is set with when it expires (ms since the epoch, or "inf" for a
 * session cookie): the site's hash lasts as long as its longest-lived cookie, so that cookies that expire leave nothing
 * in Redis, and a session cookie keeps it as long as the crawl. A cookie replaced or removed may leave it longer: the
 * store filters expired cookies out as it reads them. Every change bumps the shard's cookie version (its counts'
 * `cookies`, which every shard script's summary carries), not its frontier's version `v`.
 */
const COOKIE_LUA = `
local function cookieKey(site) return P .. 'cookies:' .. site end

-- When the site's hash is to expire: -1 never, 0 not known yet (a new hash); then changeCookies sets it.
local function keepUntil(key)
  if redis.call('EXISTS', key) == 0 then return 0 end
  return redis.call('PEXPIRETIME', key)
end

local function setCookie(key, keep, field, expires, json)
  redis.call('HSET', key, field, json)
  if expires == 'inf' then return -1 end
  if keep == -1 then return -1 end
  return math.max(keep, tonumber(expires))
end

local function noteChange(site, key, keep)
  if redis.call('EXISTS', key) == 1 then
    if keep == -1 then redis.call('PERSIST', key) elseif keep > 0 then redis.call('PEXPIREAT', key, keep) end
    redis.call('SADD', P .. 'cookie-sites', site)
  else
    redis.call('SREM', P .. 'cookie-sites', site)
  end
  K.cookies = K.cookies + 1
  redis.call('HSET', COUNTS, 'cookies', K.cookies)
end
`;

function cookieScript(name: string, body: string): Script {
  return script(name, PREAMBLE, COOKIE_LUA, body);
}

/** The cookies of site ARGV[8] (see `siteOf`). Returns { { field, value, ... }, the shard's cookie version }. */
export const COOKIES = cookieScript("cookies", `return {redis.call('HGETALL', cookieKey(ARGV[8])), K.cookies}`);

/**
 * Changes the cookies of site ARGV[8]: ARGV[9] cookies to set, each as field, expiry and JSON, then the fields to
 * remove. Returns what COOKIES returns, after the change.
 */
export const SET_COOKIES = cookieScript(
  "set-cookies",
  `
local site = ARGV[8]
local key = cookieKey(site)
local keep = keepUntil(key)
local sets = tonumber(ARGV[9])
for i = 0, sets - 1 do
  local a = 10 + 3 * i
  keep = setCookie(key, keep, ARGV[a], ARGV[a + 1], ARGV[a + 2])
end
for a = 10 + 3 * sets, #ARGV do redis.call('HDEL', key, ARGV[a]) end
noteChange(site, key, keep)
return {redis.call('HGETALL', key), K.cookies}
`,
);

/**
 * Puts cookies the crawl starts with into site ARGV[8], each as field, as given (the cookie without its times), expiry
 * and JSON: a cookie is put unless the crawl was given it before as it is given now, so that a process joining with the
 * same cookies neither adds them twice nor undoes what the site set since (a new value, a removal); given otherwise
 * (a new login), it replaces the one there. Returns what COOKIES returns, after.
 */
export const SEED_COOKIES = cookieScript(
  "seed-cookies",
  `
local site = ARGV[8]
local key = cookieKey(site)
local keep = keepUntil(key)
local put = 0
for a = 9, #ARGV, 4 do
  if redis.call('HGET', key, 'g' .. ARGV[a]) ~= ARGV[a + 1] then
    keep = setCookie(key, keep, ARGV[a], ARGV[a + 2], ARGV[a + 3])
    redis.call('HSET', key, 'g' .. ARGV[a], ARGV[a + 1])
    put = put + 1
  end
end
if put > 0 then noteChange(site, key, keep) end
return {redis.call('HGETALL', key), K.cookies}
`,
);

/** The sites with cookies in the shard (some of them may have expired since). */
export const COOKIE_SITES = cookieScript("cookie-sites", `return redis.call('SMEMBERS', P .. 'cookie-sites')`);

/** Forgets every cookie of the shard. */
export const CLEAR_COOKIES = cookieScript(
  "clear-cookies",
  `
for _, site in ipairs(redis.call('SMEMBERS', P .. 'cookie-sites')) do redis.call('DEL', cookieKey(site)) end
redis.call('DEL', P .. 'cookie-sites')
K.cookies = K.cookies + 1
redis.call('HSET', COUNTS, 'cookies', K.cookies)
return 1
`,
);
