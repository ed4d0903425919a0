// The browser as it runs on the machine, read from /proc as `ps` would show it: headless, the flags a machine with no
// route out needs, the sandbox off only for root, and everything of it in one directory that closing removes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BROWSER_FLAGS, launchBrowser } from "../../src/render/launch_browser.ts";
import { loadPlaywright } from "../../src/render/load_playwright.ts";
import { renderConfig } from "../../src/render/render_options.ts";

// Chromium's child processes rewrite their command line into one string; the browser's own keeps its arguments apart.
// A short-lived helper may have exited between the listing and the read: it has no command line left to check.
const args = (pid: number): string[] | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split(/[\0 ]/);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
};

test("the browser runs headless with its flags, in a profile of its own that close() removes with every process", async () => {
  const launched = await launchBrowser(renderConfig({ args: ["--lang=fr-FR"] }), await loadPlaywright());
  const { dir } = launched;
  try {
    const processes = launched.processes().flatMap((pid) => {
      const found = args(pid);
      return found === undefined ? [] : [{ pid, args: found }];
    });
    const main = processes.find((process) => !process.args.some((arg) => arg.startsWith("--type=")) && process.args.some((arg) => arg.includes("--user-data-dir")));
    assert.ok(main !== undefined, "the browser's own process");
    const flags = ["--headless", ...BROWSER_FLAGS, "--renderer-process-limit=4", "--lang=fr-FR", `--user-data-dir=${join(dir, "profile")}`];
    for (const flag of flags) {
      assert.ok(main.args.includes(flag), flag);
    }
    assert.equal(main.args.includes("--no-sandbox"), process.getuid?.() === 0, "--no-sandbox only as root");
    assert.ok(processes.some((process) => process.args.includes("--type=zygote")), "its zygotes");
    const crashHandlers = processes.filter((process) => process.args[0]?.endsWith("chrome_crashpad_handler"));
    for (const handler of crashHandlers) assert.ok(handler.args.some((arg) => arg.startsWith(`--database=${dir}/`)), "crash reports stay in the directory");
    assert.deepEqual(launched.browser.contexts().flatMap((context) => context.pages()), [], "no page left open");
  } finally {
    await launched.close();
  }
  assert.deepEqual(launched.processes(), []);
  assert.equal(existsSync(dir), false);
});
