// Loads linkedom on first use, with ./event_target.ts in place of its own EventTarget (why: see that file). It is
// loaded then, not when this module is: a crawl that parses on worker threads never parses on the main thread, and
// linkedom costs it 0.1 s of start-up and about 25 MB. Its CommonJS build can be loaded synchronously at that moment;
// the EventTarget is swapped by putting our module in the require cache under the path of linkedom's own, before
// linkedom is required. A program that required linkedom itself before rxcrawl keeps linkedom's own EventTarget,
// which works the same, slower. Attribute names are lower-cased as an HTML parser does (./attribute_case.ts).
import { createRequire, Module } from "node:module";
import { dirname, join } from "node:path";
import { lowerCaseAttributeNames } from "./attribute_case.ts";
import { EventTarget } from "./event_target.ts";

type Linkedom = typeof import("linkedom");

const require = createRequire(import.meta.url);
let loaded: Linkedom | undefined;

/**
 * linkedom, loaded on the first call.
 *
 * @example
 * ```ts
 * import { linkedom } from "./install.ts";
 * const { document } = linkedom().parseHTML("<p>hi</p>");
 * ```
 */
export function linkedom(): Linkedom {
  if (loaded === undefined) {
    const file = join(dirname(require.resolve("linkedom")), "interface", "event-target.js");
    if (require.cache[file] === undefined) {
      const module = new Module(file);
      module.filename = file;
      module.loaded = true;
      module.exports = { EventTarget };
      require.cache[file] = module;
    }
    loaded = require("linkedom") as Linkedom;
    lowerCaseAttributeNames(loaded);
  }
  return loaded;
}
