import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { UsageError } from "../errors.ts";
import { processesWith } from "./browser_processes.ts";
import type { Playwright } from "./load_playwright.ts";
import type { RenderConfig } from "./render_options.ts";

/**
 * Flags for a browser that renders pages and does nothing else. The machine may have no route out (a crawl's own
 * requests go through the crawl), so Chromium's background connections (updates, sync, QUIC probes, first-run
 * pages) are turned off rather than left to fail; `--disable-gpu` because a headless server has none to use.
 *
 * `--disable-site-isolation-trials`, with a renderer process per tab (see {@linkcode browserFlags}): a crawl goes
 * from site to site at every page, and with each site in a process of its own, Chromium starts a renderer for nearly
 * every page (183 for 100 pages of ten hosts, measured), which costs more than rendering the page. Site isolation keeps
 * one site's secrets from another's pages; a crawler's tabs hold none (no login, no cookie of the user's).
 */
export const BROWSER_FLAGS = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-gpu",
  "--disable-quic",
  "--disable-site-isolation-trials",
] as const;

/**
 * The flags a browser of `config` starts with: {@linkcode BROWSER_FLAGS}, at most one renderer process per tab
 * (`--renderer-process-limit`: past it, pages share the processes there are), and the caller's own flags.
 *
 * @example
 * ```ts
 * import { browserFlags } from "./launch_browser.ts";
 * import { renderConfig } from "./render_options.ts";
 * browserFlags(renderConfig({ pages: 4 })).at(-1); // "--renderer-process-limit=4"
 * ```
 */
export function browserFlags(config: RenderConfig): string[] {
  return [...BROWSER_FLAGS, `--renderer-process-limit=${config.pages}`, ...config.args];
}

/** A running browser, its profile and crash database in a directory of its own, removed when it closes. */
export interface LaunchedBrowser {
  browser: Browser;
  /**
   * The browser's one context, where every tab opens: tabs of one context may share renderer processes (as many as
   * there are tabs), where tabs of contexts apart may not, and a context of its own costs each tab two more processes
   * (about 140 MB for four tabs, measured). Service workers blocked, downloads refused, the User-Agent set.
   */
  context: BrowserContext;
  /** The browser's directory: its `--user-data-dir` and crash database are inside, so its processes name it. */
  dir: string;
  /** The process ids of the browser's live processes. */
  processes(): number[];
  /** Closes the browser, waits for its processes to end and removes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts headless Chromium for rendering: the system's executable through playwright-core (which downloads nothing),
 * a fresh profile in a temporary directory, the sandbox kept unless running as root (where Chromium refuses to start
 * with it), and no signal handlers of Playwright's (the crawl stops on signals its own way; Playwright still kills the
 * browser if the process exits without closing it). A browser that fails to start is a {@linkcode UsageError}: the
 * executable is not a working Chromium.
 *
 * @example
 * ```ts
 * import { launchBrowser } from "./launch_browser.ts";
 * import { loadPlaywright } from "./load_playwright.ts";
 * import { renderConfig } from "./render_options.ts";
 * const launched = await launchBrowser(renderConfig(), await loadPlaywright());
 * const page = await launched.context.newPage();
 * await launched.close();
 * ```
 */
export async function launchBrowser(config: RenderConfig, playwright: Playwright): Promise<LaunchedBrowser> {
  const dir = mkdtempSync(join(tmpdir(), "rxcrawl-browser-"));
  // Should the process exit without closing the browser, Playwright kills it; the directory is ours to remove.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  process.once("exit", removeDir);
  let context: BrowserContext;
  try {
    context = await playwright.chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: config.browser,
      headless: true,
      chromiumSandbox: process.getuid?.() !== 0,
      args: browserFlags(config),
      // Chromium keeps its crash database under the user's config directory whatever the profile; pointed here, it
      // leaves nothing in the home directory and its handler processes carry the directory's name like the others.
      env: { ...process.env, XDG_CONFIG_HOME: join(dir, "config"), XDG_CACHE_HOME: join(dir, "cache") },
      artifactsDir: join(dir, "artifacts"),
      serviceWorkers: "block",
      acceptDownloads: false,
      ...(config.userAgent === undefined ? {} : { userAgent: config.userAgent }),
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    process.off("exit", removeDir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    const first = String((error as Error).message ?? error).split("\n")[0];
    throw new UsageError(`Expected browser to be a Chromium that starts, but ${config.browser} failed: ${first}`, { cause: error });
  }
  // The profile's own first tab would hold a renderer for nothing: the pool opens its tabs when it needs them.
  for (const page of context.pages()) await page.close();
  const browser = context.browser();
  if (browser === null) throw new Error("playwright-core gave a persistent context without its browser");

  let closing: Promise<void> | undefined;
  return {
    browser,
    context,
    dir,
    processes: () => processesWith(dir),
    close() {
      closing ??= (async () => {
        await context.close().catch(() => {});
        // Crash handlers leave the process tree and end on their own once the browser is gone.
        for (let i = 0; i < 50 && processesWith(dir).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
        process.off("exit", removeDir);
      })();
      return closing;
    },
  };
}
