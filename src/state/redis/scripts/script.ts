import { createHash } from "node:crypto";

/** A Lua script, with its SHA1 for EVALSHA. */
export interface Script {
  name: string;
  source: string;
  sha: string;
}

/**
 * A script from its Lua parts, which are joined in order: library code first, then the script's own body. Every
 * script may call `now()`: milliseconds on the clock of the Redis server that runs it, the one clock shared by every
 * process that works on the keys it holds. Only commands that Redis 7.0 and Valkey 8 both have are used.
 *
 * @example
 * ```ts
 * import { script } from "./script.ts";
 * const PING = script("ping", "return now()");
 * ```
 */
export function script(name: string, ...parts: string[]): Script {
  const source = [NOW, ...parts.map((part) => part.trim())].join("\n") + "\n";
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

const NOW = `local function now() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end`;
