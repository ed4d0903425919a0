import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// Chart.js is read from the installed package each time a process first needs it, not copied into the repository:
// an `npm update` updates the report too. Its package exports only the module builds, so the UMD build (one script
// that defines `window.Chart`) is found next to the resolved CommonJS entry, in `dist/`.
const UMD_FILE = "chart.umd.min.js";

let cached: string | undefined;

/**
 * The source of Chart.js's browser build, ready to stand inside a `<script>` element: without its source-map
 * comment (the map is not shipped with the report) and with any `</script` written `<\/script`, which means the same
 * in every place JavaScript allows it (strings, regular expressions, comments).
 *
 * @example
 * ```ts
 * import { chartLibrarySource } from "./chart_library.ts";
 * const html = `<script>${chartLibrarySource()}</script>`;
 * ```
 */
export function chartLibrarySource(): string {
  if (cached === undefined) {
    const entry = createRequire(import.meta.url).resolve("chart.js");
    const source = readFileSync(join(dirname(entry), UMD_FILE), "utf8");
    cached = source.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n").replace(/<\/script/gi, "<\\/script");
  }
  return cached;
}
