/**
 * A set of strings that stores only a 64-bit hash of each, in one flat typed array: about 11 to 22 bytes per entry
 * whatever the length of the string, so a crawl can remember millions of URLs in flat memory.
 *
 * The price is a false "seen" when two URLs share all 64 bits: for a million URLs the chance that this happens at all
 * is about 3 in 100 million.
 *
 * @example
 * ```ts
 * import { SeenSet } from "./seen_set.ts";
 * const seen = new SeenSet();
 * seen.add("https://example.com/"); // true: new
 * seen.add("https://example.com/"); // false: seen before
 * seen.size; // 1
 * ```
 */
export class SeenSet {
  // Pairs of 32-bit halves; (0, 0) marks an empty slot, so a hash of (0, 0) is stored as (0, 1).
  #slots: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.#slots = new Uint32Array(capacity * 2);
    this.#mask = capacity - 1;
  }

  /** How many distinct strings were added. */
  get size(): number {
    return this.#size;
  }

  /** Adds `key`; returns `true` if it was not in the set before. */
  add(key: string): boolean {
    hash64(key);
    if (!this.#insert(H[0]!, H[1]!)) return false;
    if (++this.#size > (this.#mask + 1) * 0.7) this.#grow();
    return true;
  }

  /** Whether `key` was added before. */
  has(key: string): boolean {
    hash64(key);
    const hi = H[0]!;
    const lo = H[1]!;
    const slots = this.#slots;
    for (let i = hi & this.#mask; ; i = (i + 1) & this.#mask) {
      const a = slots[2 * i]!;
      const b = slots[2 * i + 1]!;
      if (a === 0 && b === 0) return false;
      if (a === hi && b === lo) return true;
    }
  }

  #insert(hi: number, lo: number): boolean {
    const slots = this.#slots;
    for (let i = hi & this.#mask; ; i = (i + 1) & this.#mask) {
      const a = slots[2 * i]!;
      const b = slots[2 * i + 1]!;
      if (a === 0 && b === 0) {
        slots[2 * i] = hi;
        slots[2 * i + 1] = lo;
        return true;
      }
      if (a === hi && b === lo) return false;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    this.#mask = this.#slots.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i]!;
      const lo = old[i + 1]!;
      if (hi !== 0 || lo !== 0) this.#insert(hi, lo);
    }
  }
}

// The hash is written here rather than returned, so the hot path allocates nothing.
const H = new Uint32Array(2);

/**
 * The 64-bit hash that {@linkcode SeenSet} keeps of a string, as its high and low 32-bit halves, for a seen set kept
 * elsewhere (a shared crawl keeps it in Redis) that must agree with this one.
 *
 * @example
 * ```ts
 * import { hash64Parts } from "./seen_set.ts";
 * const [hi, lo] = hash64Parts("https://example.com/");
 * ```
 */
export function hash64Parts(key: string): [hi: number, lo: number] {
  hash64(key);
  return [H[0]!, H[1]!];
}

/** Two 32-bit multiply-xorshift lanes over the UTF-16 code units, cross-mixed at the end (after cyrb53). */
function hash64(s: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  H[0] = h1;
  H[1] = h2 === 0 && h1 === 0 ? 1 : h2;
}
