import { UsageError } from "./errors.ts";

/**
 * Checks that an option is a positive integer (or `Infinity` when `allowInfinity`), throwing a {@linkcode UsageError}
 * that names the option and the value received.
 *
 * @example
 * ```ts
 * import { positiveInteger } from "./validate.ts";
 * positiveInteger("concurrency", 8); // 8
 * positiveInteger("concurrency", 0); // throws "Expected concurrency to be a positive integer, got 0"
 * ```
 */
export function positiveInteger(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value === "number" && (Number.isSafeInteger(value) || (allowInfinity && value === Infinity)) && value > 0) {
    return value;
  }
  throw new UsageError(`Expected ${name} to be a positive integer, got ${show(value)}`);
}

/**
 * Checks that an option is a non-negative integer.
 *
 * @example
 * ```ts
 * import { nonNegativeInteger } from "./validate.ts";
 * nonNegativeInteger("retries", 0); // 0
 * ```
 */
export function nonNegativeInteger(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value === "number" && (Number.isSafeInteger(value) || (allowInfinity && value === Infinity)) && value >= 0) {
    return value;
  }
  throw new UsageError(`Expected ${name} to be a non-negative integer, got ${show(value)}`);
}

/**
 * Checks that an option is a positive finite number (a rate, a delay in seconds).
 *
 * @example
 * ```ts
 * import { positiveNumber } from "./validate.ts";
 * positiveNumber("rate", 0.5); // 0.5
 * ```
 */
export function positiveNumber(name: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  throw new UsageError(`Expected ${name} to be a positive number, got ${show(value)}`);
}

/**
 * Checks that an option is a finite number, 0 or more (an interval in ms).
 *
 * @example
 * ```ts
 * import { nonNegativeNumber } from "./validate.ts";
 * nonNegativeNumber("intervalMs", 0); // 0
 * ```
 */
export function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  throw new UsageError(`Expected ${name} to be a non-negative number, got ${show(value)}`);
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
