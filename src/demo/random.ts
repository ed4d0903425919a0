/**
 * The demo sites' randomness: reproducible from a seed, and one stream per (seed, key...), so that a page's content
 * depends on its own keys alone and never on the order pages are asked for.
 */

/** Multipliers of the keys, one per position: odd constants of murmur3 and xxhash. */
const KEY_MULTIPLIERS = [0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1];

/**
 * mulberry32: tiny, fast and good enough to make a link graph look random while staying reproducible.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./random.ts";
 * const random = mulberry32(42);
 * random(); // a number in [0, 1), the same on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A generator for one (seed, keys) combination: the keys (up to four non-negative integers, such as a page and a
 * purpose) are mixed into the seed with murmur3's finaliser.
 *
 * @example
 * ```ts
 * import { randomFor } from "./random.ts";
 * const links = randomFor(1, 7, 0); // page 7's links
 * const text = randomFor(1, 7, 1); // page 7's text: another stream
 * ```
 */
export function randomFor(seed: number, ...keys: number[]): () => number {
  let h = Math.imul(seed | 0, 0x9e3779b1);
  keys.forEach((key, i) => (h ^= Math.imul(key + 1, KEY_MULTIPLIERS[i] ?? 0x9e3779b1)));
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return mulberry32(h ^ (h >>> 16));
}
