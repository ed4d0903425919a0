import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../errors.ts";

/** The names a Chromium-based browser goes by on PATH, in the order they are tried. */
export const BROWSER_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"] as const;

/**
 * The executable of the browser to render with: `path` when given (it must exist and be executable), else the first of
 * {@linkcode BROWSER_NAMES} found on `PATH`. Throws a {@linkcode UsageError} saying what to install when there is none:
 * rendering drives the system's browser and downloads none.
 *
 * @example
 * ```ts
 * import { findBrowser } from "./find_browser.ts";
 * findBrowser(); // "/usr/bin/chromium" on Debian with `apt-get install chromium`
 * findBrowser("/opt/chrome/chrome"); // that path, or a UsageError naming it
 * ```
 */
export function findBrowser(path?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (path !== undefined) {
    const absolute = resolve(path);
    if (isExecutable(absolute)) return absolute;
    throw new UsageError(`Expected browser to be the path of a Chromium or Chrome executable, got "${path}" (no executable file there)`);
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter((dir) => isAbsolute(dir));
  for (const name of BROWSER_NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new UsageError(
    `Rendering needs Chromium or Chrome, and none of ${BROWSER_NAMES.join(", ")} is on PATH: install one ` +
      "(Debian, Ubuntu: apt-get install chromium) or give its path with the browser option (--browser PATH)",
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
