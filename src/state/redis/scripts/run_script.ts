import type { Script } from "./script.ts";

/** What {@linkcode runScript} needs of a connection: a command sent to the node that holds `key`. */
export interface CommandSender {
  send(key: string, args: string[]): Promise<unknown>;
}

/**
 * Runs a Lua script on the node that holds `keys[0]`, by its SHA1 (EVALSHA), and by its source (EVAL, which also
 * caches it) when that node does not know it yet: after a restart, or on a node that never saw it. Commands sent in
 * the same tick to one node go out together (node-redis pipelines them), so a burst of commits costs one write.
 *
 * @example
 * ```ts
 * import { runScript } from "./run_script.ts";
 * const status = await runScript(connection, CRAWL_STATUS, ["rxcrawl:{books}:meta"], []);
 * ```
 */
export async function runScript(sender: CommandSender, script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const key = keys[0]!;
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await sender.send(key, ["EVALSHA", script.sha, ...tail]);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
    return sender.send(key, ["EVAL", script.source, ...tail]);
  }
}
