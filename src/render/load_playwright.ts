import { UsageError } from "../errors.ts";

/** The part of playwright-core rendering uses. */
export type Playwright = typeof import("playwright-core");

/**
 * Loads playwright-core, the optional peer dependency rendering needs, on first use: a crawl that renders nothing never
 * loads it, and a plain install does without it. Throws a {@linkcode UsageError} saying how to install it when it is
 * missing. `specifier` is the module to load, for tests.
 *
 * @example
 * ```ts
 * import { loadPlaywright } from "./load_playwright.ts";
 * const { chromium } = await loadPlaywright();
 * ```
 */
export async function loadPlaywright(specifier = "playwright-core"): Promise<Playwright> {
  try {
    return (await import(specifier)) as Playwright;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && String(error).includes(specifier)) {
      throw new UsageError(
        `Rendering needs the ${specifier} package, which is not installed: npm install ${specifier} ` +
          "(it downloads no browser; rendering drives the system's Chromium)",
      );
    }
    throw error;
  }
}
