// The column types of writeParquet(): how each is declared in the file, and which JavaScript values each takes.
import type { SchemaElement } from "hyparquet-writer";

/**
 * The type of a Parquet column, as {@linkcode writeParquet} writes it and DuckDB reads it back:
 *
 * | type | Parquet | DuckDB | takes |
 * | --- | --- | --- | --- |
 * | `"string"` | BYTE_ARRAY (UTF-8) | VARCHAR | a string as it is; a number, boolean or bigint as text, a Date in ISO 8601, an object or array as JSON (as writeCsv does) |
 * | `"int32"` | INT32 | INTEGER | an integer from -2^31 to 2^31-1, or a string of one |
 * | `"int64"` | INT64 | BIGINT | an integer from -2^63 to 2^63-1 (a number or a bigint), or a string of one |
 * | `"double"` | DOUBLE | DOUBLE | a number (±Infinity included), a bigint, or a string of a decimal number |
 * | `"boolean"` | BOOLEAN | BOOLEAN | `true`, `false`, or the strings `"true"` and `"false"` (any case) |
 * | `"timestamp"` | INT64, TIMESTAMP(MILLIS, adjusted to UTC) | TIMESTAMP WITH TIME ZONE | a Date, or an ISO 8601 string (`2026-03-01`, `2026-03-01T08:00:00Z`, `...+08:00`), one without an offset taken as UTC; to the millisecond |
 *
 * Every column is nullable. `null`, `undefined` and a missing key are null in every column; so is a string that is
 * empty or only spaces in a column that is not `"string"` (an empty CSV cell, a selector that matched nothing), and
 * `NaN` in a `"double"` column. In a `"string"` column `""` stays `""`. Strings are trimmed before they are read as
 * numbers, booleans or timestamps.
 *
 * @example
 * ```ts
 * import type { ParquetColumnType } from "./parquet_types.ts";
 * const rating: ParquetColumnType = "double";
 * ```
 */
export type ParquetColumnType = "string" | "int32" | "int64" | "double" | "boolean" | "timestamp";

/** The column types, in the order messages list them. */
export const PARQUET_COLUMN_TYPES: readonly ParquetColumnType[] = ["string", "int32", "int64", "double", "boolean", "timestamp"];

/** What {@linkcode toParquetValue} returns for a value its column's type cannot hold. */
export const INVALID: unique symbol = Symbol("invalid");

/** A value as the Parquet writer takes it: strings, numbers (int32, double), bigints (int64, timestamp), booleans. */
export type ParquetValue = string | number | bigint | boolean | null;

/**
 * The schema element that declares a nullable column of `type`.
 *
 * @example
 * ```ts
 * import { parquetSchemaElement } from "./parquet_types.ts";
 * parquetSchemaElement("status", "int32"); // { name: "status", type: "INT32", repetition_type: "OPTIONAL" }
 * ```
 */
export function parquetSchemaElement(name: string, type: ParquetColumnType): SchemaElement {
  const repetition_type = "OPTIONAL";
  switch (type) {
    case "string":
      return { name, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" }, repetition_type };
    case "int32":
      return { name, type: "INT32", repetition_type };
    case "int64":
      return { name, type: "INT64", repetition_type };
    case "double":
      return { name, type: "DOUBLE", repetition_type };
    case "boolean":
      return { name, type: "BOOLEAN", repetition_type };
    case "timestamp":
      return {
        name,
        type: "INT64",
        converted_type: "TIMESTAMP_MILLIS",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
        repetition_type,
      };
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `value` as a column of `type` stores it, `null` for no value (see {@linkcode ParquetColumnType}), or
 * {@linkcode INVALID} when the type cannot hold it: an integer column never gets a rounded or clamped number, a
 * timestamp column never a guessed date.
 *
 * @example
 * ```ts
 * import { INVALID, toParquetValue } from "./parquet_types.ts";
 * toParquetValue("int32", " 42 "); // 42
 * toParquetValue("int32", ""); // null
 * toParquetValue("int32", 9.4) === INVALID; // true
 * toParquetValue("timestamp", "2026-03-01T08:00:00Z"); // 1772352000000n
 * ```
 */
export function toParquetValue(type: ParquetColumnType, value: unknown): ParquetValue | typeof INVALID {
  if (value === null || value === undefined) return null;
  if (type === "string") return toText(value);
  if (typeof value === "string") {
    const text = value.trim();
    return text === "" ? null : fromText(type, text);
  }
  switch (type) {
    case "int32":
      if (typeof value === "bigint") return value >= INT32_MIN && value <= INT32_MAX ? Number(value) : INVALID;
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? (value as number)
        : INVALID;
    case "int64":
      if (typeof value === "number" && Number.isInteger(value)) return int64(BigInt(value));
      return typeof value === "bigint" ? int64(value) : INVALID;
    case "double":
      if (typeof value === "number") return Number.isNaN(value) ? null : value;
      return typeof value === "bigint" ? Number(value) : INVALID;
    case "boolean":
      return typeof value === "boolean" ? value : INVALID;
    case "timestamp": {
      const millis = value instanceof Date ? value.getTime() : NaN;
      return Number.isNaN(millis) ? INVALID : BigInt(millis);
    }
  }
}

function toText(value: unknown): string | typeof INVALID {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object":
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? INVALID : value.toISOString();
      try {
        return JSON.stringify(value) ?? INVALID;
      } catch {
        return INVALID; // a bigint or a cycle inside
      }
    default:
      return INVALID; // a function, a symbol
  }
}

function fromText(type: Exclude<ParquetColumnType, "string">, text: string): ParquetValue | typeof INVALID {
  switch (type) {
    case "int32": {
      const number = INTEGER.test(text) ? Number(text) : NaN;
      return number >= INT32_MIN && number <= INT32_MAX ? number : INVALID;
    }
    case "int64":
      return INTEGER.test(text) ? int64(BigInt(text)) : INVALID;
    case "double":
      return DECIMAL.test(text) ? Number(text) : INVALID;
    case "boolean": {
      const lower = text.toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : INVALID;
    }
    case "timestamp": {
      const match = ISO_8601.exec(text);
      if (match === null) return INVALID;
      const [, year, month, day, offset] = match;
      if (!isDate(Number(year), Number(month), Number(day))) return INVALID;
      // A date-time without an offset is local time to Date.parse(): take it as UTC, like a date alone.
      const iso = text.toUpperCase().replace(" ", "T");
      const millis = Date.parse(iso.length > 10 && offset === undefined ? `${iso}Z` : iso);
      return Number.isNaN(millis) ? INVALID : BigInt(millis);
    }
  }
}

/** Whether a date exists: Date.parse() takes February 30 for March 2. */
function isDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function int64(value: bigint): bigint | typeof INVALID {
  return value >= INT64_MIN && value <= INT64_MAX ? value : INVALID;
}
