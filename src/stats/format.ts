// How the summary and the report write numbers for people: counts with separators, sizes in binary units, times in the largest unit
// that keeps them short. Every function is pure and locale-independent, so a report reads the same wherever it is
// made.

const COUNT = new Intl.NumberFormat("en-US");

/** A value split into its number and its unit, with the unit's size, so that another value can share it. */
interface Scaled {
  number: string;
  unit: string;
  size: number;
}

const BYTE_UNITS: [string, number][] = [
  ["GB", 1024 ** 3],
  ["MB", 1024 ** 2],
  ["KB", 1024],
  ["B", 1],
];

const MS_UNITS: [string, number][] = [
  ["s", 1000],
  ["ms", 1],
];

/** What a histogram measures, which decides how its values are written. */
export type Quantity = "bytes" | "ms";

/**
 * A count with thousands separators.
 *
 * @example
 * ```ts
 * import { formatCount } from "./format.ts";
 * formatCount(12345); // "12,345"
 * ```
 */
export function formatCount(value: number): string {
  return COUNT.format(value);
}

/**
 * A number with about three significant digits and no trailing zeros: 1234 → "1234", 12.34 → "12.3", 1.234 → "1.23".
 *
 * @example
 * ```ts
 * import { formatDecimal } from "./format.ts";
 * formatDecimal(12.345); // "12.3"
 * ```
 */
export function formatDecimal(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

/** `value` in the largest unit it reaches (the smallest unit for 0). */
function scaled(value: number, quantity: Quantity): Scaled {
  const units = quantity === "bytes" ? BYTE_UNITS : MS_UNITS;
  const [unit, size] = units.find(([, size]) => Math.abs(value) >= size) ?? units.at(-1) ?? ["", 1];
  return { number: formatDecimal(value / size), unit, size };
}

/**
 * A size in binary units (1 KB = 1024 bytes).
 *
 * @example
 * ```ts
 * import { formatBytes } from "./format.ts";
 * formatBytes(1536); // "1.5 KB"
 * ```
 */
export function formatBytes(bytes: number): string {
  const { number, unit } = scaled(bytes, "bytes");
  return `${number} ${unit}`;
}

/**
 * A duration given in milliseconds: "82 ms", "1.25 s".
 *
 * @example
 * ```ts
 * import { formatMs } from "./format.ts";
 * formatMs(1250); // "1.25 s"
 * ```
 */
export function formatMs(ms: number): string {
  const { number, unit } = scaled(ms, "ms");
  return `${number} ${unit}`;
}

/**
 * A value of a histogram's quantity, in bytes or milliseconds.
 *
 * @example
 * ```ts
 * import { formatQuantity } from "./format.ts";
 * formatQuantity(65536, "bytes"); // "64 KB"
 * ```
 */
export function formatQuantity(value: number, quantity: Quantity): string {
  return quantity === "bytes" ? formatBytes(value) : formatMs(value);
}

/**
 * A range of a histogram's quantity, written in the unit of its upper end: "50–100 ms", "0.5–1 s", "16–64 KB".
 *
 * @example
 * ```ts
 * import { formatRange } from "./format.ts";
 * formatRange(16384, 65536, "bytes"); // "16–64 KB"
 * formatRange(500, 1000, "ms"); // "0.5–1 s"
 * ```
 */
export function formatRange(low: number, high: number, quantity: Quantity): string {
  const { number, unit, size } = scaled(high, quantity);
  return `${formatDecimal(low / size)}–${number} ${unit}`;
}

/**
 * A wall time given in seconds, in the units a person would say it: "850 ms", "42.3 s", "6 min 52 s", "3 h 05 min".
 *
 * @example
 * ```ts
 * import { formatDuration } from "./format.ts";
 * formatDuration(412.6); // "6 min 53 s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return formatMs(seconds * 1000);
  if (seconds < 60) return `${formatDecimal(seconds)} s`;
  const whole = Math.round(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  if (h === 0) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${h} h ${String(m).padStart(2, "0")} min`;
}

/**
 * Seconds since the start as a clock reading, for the axis of a timeline: "0:00", "6:52", "1:02:03".
 *
 * @example
 * ```ts
 * import { formatClock } from "./format.ts";
 * formatClock(412); // "6:52"
 * ```
 */
export function formatClock(seconds: number): string {
  const whole = Math.floor(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  const ss = String(s).padStart(2, "0");
  return h === 0 ? `${m}:${ss}` : `${h}:${String(m).padStart(2, "0")}:${ss}`;
}

/**
 * An ISO 8601 time as a readable UTC time, "2026-11-25 21:00:03 UTC"; anything else is returned as it is.
 *
 * @example
 * ```ts
 * import { formatTime } from "./format.ts";
 * formatTime("2026-11-25T21:00:03.120Z"); // "2026-11-25 21:00:03 UTC"
 * ```
 */
export function formatTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return `${time.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * A share as a percentage with at most one decimal: "2.4%", and "0%" of nothing.
 *
 * @example
 * ```ts
 * import { formatPercent } from "./format.ts";
 * formatPercent(12, 500); // "2.4%"
 * ```
 */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return "0%";
  return `${Number(((part / whole) * 100).toFixed(1))}%`;
}
