import { filter, type MonoTypeOperatorFunction, defer } from "rxjs";
import { SeenSet } from "./seen_set.ts";

/**
 * Drops every value whose key was seen before in this subscription. The key defaults to the value itself (for a
 * stream of URL strings) and is kept as a 64-bit hash ({@linkcode SeenSet}), so memory stays flat on long crawls.
 * A second subscription starts with an empty set.
 *
 * @example
 * ```ts
 * import { from } from "rxjs";
 * import { dedupe } from "./dedupe.ts";
 * from(["https://a.example/", "https://a.example/", "https://b.example/"]).pipe(dedupe());
 * // emits https://a.example/, https://b.example/
 * ```
 */
export function dedupe<T>(key: (value: T) => string = String): MonoTypeOperatorFunction<T> {
  return (source) =>
    defer(() => {
      const seen = new SeenSet();
      return source.pipe(filter((value) => seen.add(key(value))));
    });
}
