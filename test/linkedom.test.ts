import { test } from "node:test";
import assert from "node:assert/strict";
import { EventTarget as LazyEventTarget } from "../src/linkedom/event_target.ts";
import { linkedom } from "../src/linkedom/install.ts";
import { parseDocument } from "../src/select.ts";

test("linkedom loads with the EventTarget that makes listener maps lazily", () => {
  assert.equal(linkedom.EventTarget, LazyEventTarget);
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

  inner.dispatchEvent(new linkedom.Event("ping", { bubbles: true }) as unknown as Event);
  inner.dispatchEvent(new linkedom.Event("ping") as unknown as Event);
  assert.deepEqual(seen, ["inner:ping:2", "inner:once", "outer:inner", "inner:ping:2"]);

  seen.length = 0;
  inner.removeEventListener("ping", onInner);
  inner.addEventListener("ping", (event: Event) => {
    seen.push("first");
    event.stopImmediatePropagation();
  });
  inner.addEventListener("ping", () => seen.push("second"));
  inner.dispatchEvent(new linkedom.Event("ping") as unknown as Event);
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
