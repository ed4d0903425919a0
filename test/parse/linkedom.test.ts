import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EventTarget as LazyEventTarget } from "../../src/parse/linkedom/event_target.ts";
import { linkedom } from "../../src/parse/linkedom/install.ts";
import { parseDocument } from "../../src/parse/select.ts";

const execFileAsync = promisify(execFile);

test("linkedom loads with the EventTarget that makes listener maps lazily", () => {
  assert.equal(linkedom().EventTarget, LazyEventTarget);
  const document = parseDocument("<p>text</p>");
  assert.ok(document.querySelector("p") instanceof LazyEventTarget);
});

test("events on parsed documents work: listeners, bubbling, once, removal and stopImmediatePropagation", () => {
  const document = parseDocument("<div id=outer><p id=inner><b>x</b></p></div>");
  const outer = document.getElementById("outer")!;
  const inner = document.getElementById("inner")!;
  const seen: string[] = [];
  const onInner = (event: Event) => seen.push(`inner:${event.type}:${event.eventPhase}`);
  inner.addEventListener("ping", onInner);
  inner.addEventListener("ping", () => seen.push("inner:once"), { once: true });
  outer.addEventListener("ping", (event: Event) => seen.push(`outer:${(event.target as Element).id}`));

  inner.dispatchEvent(new (linkedom().Event)("ping", { bubbles: true }) as unknown as Event);
  inner.dispatchEvent(new (linkedom().Event)("ping") as unknown as Event);
  assert.deepEqual(seen, ["inner:ping:2", "inner:once", "outer:inner", "inner:ping:2"]);

  seen.length = 0;
  inner.removeEventListener("ping", onInner);
  inner.addEventListener("ping", (event: Event) => {
    seen.push("first");
    event.stopImmediatePropagation();
  });
  inner.addEventListener("ping", () => seen.push("second"));
  inner.dispatchEvent(new (linkedom().Event)("ping") as unknown as Event);
  assert.deepEqual(seen, ["first"]);
});

test("an on* handler set on an element runs on click", () => {
  const document = parseDocument("<button>go</button>");
  const button = document.querySelector("button")! as unknown as HTMLElement;
  let clicks = 0;
  button.onclick = () => clicks++;
  button.click();
  assert.equal(clicks, 1);
});

test("linkedom is loaded on the main thread only when pages are parsed there", async () => {
  const script = fileURLToPath(new URL("../fixtures/parse_where.ts", import.meta.url));
  const run = async (workers: number) => {
    const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", script, String(workers)], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      timeout: 15_000,
    });
    return JSON.parse(stdout) as { titles: string[]; linkedomLoaded: boolean };
  };
  const titles = ["page 1", "page 2", "page 3"];
  assert.deepEqual(await run(1), { titles, linkedomLoaded: false });
  assert.deepEqual(await run(0), { titles, linkedomLoaded: true });
});
