import type { Script } from "./scripts.ts";

/** What {@linkcode runScript} needs of a Redis client: node-redis's `sendCommand`. */
export interface CommandSender {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Runs a Lua script by its SHA1 (EVALSHA), and by its source (EVAL, which also caches it) when the server does not
 * know it yet: after a restart, or on a server that never saw it. Commands sent in the same tick go out together
 * (node-redis pipelines them), so a burst of commits costs one write.
 *
 * @example
 * ```ts
 * import { runScript } from "./script_runner.ts";
 * import { CLAIM } from "./scripts.ts";
 * const added = await runScript(client, CLAIM, ["rxcrawl:{c}:seen:1"], ["42"]);
 * ```
 */
export async function runScript(client: CommandSender, script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await client.sendCommand(["EVALSHA", script.sha, ...tail]);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
    return client.sendCommand(["EVAL", script.source, ...tail]);
  }
}
