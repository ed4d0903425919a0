import { basename } from "node:path";

let name: string | undefined;

/**
 * The name the running command goes by in usage lines and messages: the script's file name (`crawl.ts`), or what the
 * `rxcrawl` command set (`rxcrawl crawl`).
 *
 * @example
 * ```ts
 * import { programName } from "./program.ts";
 * process.stderr.write(`${programName()}: stopping\n`);
 * ```
 */
export function programName(): string {
  return name ?? basename(process.argv[1] ?? "rxcrawl");
}

/**
 * Sets the name {@linkcode programName} gives, for a command that runs a pipeline under another name.
 *
 * @example
 * ```ts
 * import { setProgramName } from "./program.ts";
 * setProgramName("rxcrawl crawl");
 * ```
 */
export function setProgramName(program: string): void {
  name = program;
}
