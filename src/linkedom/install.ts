// Loads linkedom with ./event_target.ts in place of its own EventTarget (why: see that file). The resolution hook must
// be in place before linkedom is first resolved, so linkedom is imported here, dynamically, after registering it; a
// program that imported linkedom itself before rxcrawl keeps linkedom's own module, which works the same, slower.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);

/** linkedom, loaded through the hook. */
export const linkedom: typeof import("linkedom") = await import("linkedom");
