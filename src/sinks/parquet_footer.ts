// The footer of a Parquet file without rows, as hyparquet-writer 0.17 writes it, has one wrong byte: the empty list of
// row groups is declared with element type 0 instead of struct. DuckDB reads past it, but a strict Thrift reader
// (arrow-rs: "Expected list element type of Struct but got Byte") rejects the whole file. This finds that byte by
// walking the footer's Thrift compact encoding, and mends it.

// Thrift compact protocol types.
const BOOLEAN_TRUE = 1;
const BOOLEAN_FALSE = 2;
const BYTE = 3;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

/** FileMetaData's field 4: `required list<RowGroup> row_groups`. */
const ROW_GROUPS = 4;

/**
 * Mends, in place, the declared element type of an empty `row_groups` list in the footer at the end of `bytes` (the
 * Thrift FileMetaData, its 4-byte length, "PAR1"). Leaves any other footer as it is.
 *
 * @example
 * ```ts
 * import { mendEmptyRowGroups } from "./parquet_footer.ts";
 * const tail = new Uint8Array(0); // the last bytes of a Parquet file, footer included
 * mendEmptyRowGroups(tail);
 * ```
 */
export function mendEmptyRowGroups(bytes: Uint8Array): void {
  if (bytes.length < 8) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = bytes.length - 8 - view.getUint32(bytes.length - 8, true);
  if (start < 0) return;
  const metadata = bytes.subarray(start, bytes.length - 8); // the same memory: a change to it is a change to `bytes`
  try {
    let pos = 0;
    let id = 0;
    for (;;) {
      const header = byteAt(metadata, pos++);
      if (header === 0) return; // the end of FileMetaData, without row_groups
      const type = header & 0x0f;
      if (header >> 4 === 0) [id, pos] = zigzag(metadata, pos);
      else id += header >> 4;
      if (id === ROW_GROUPS && type === LIST) {
        const list = byteAt(metadata, pos);
        if (list >> 4 === 0 && (list & 0x0f) !== STRUCT) metadata[pos] = STRUCT;
        return;
      }
      pos = skip(metadata, pos, type);
    }
  } catch {
    // Not a footer this walk understands: leave it.
  }
}

/** The position after the value of compact `type` at `pos`. */
function skip(bytes: Uint8Array, pos: number, type: number): number {
  switch (type) {
    case BOOLEAN_TRUE:
    case BOOLEAN_FALSE:
      return pos; // a struct field's boolean lives in its header
    case BYTE:
      return pos + 1;
    case DOUBLE:
      return pos + 8;
    case BINARY: {
      const [length, next] = varint(bytes, pos);
      return next + length;
    }
    case LIST:
    case SET: {
      const header = byteAt(bytes, pos++);
      let size = header >> 4;
      if (size === 15) [size, pos] = varint(bytes, pos);
      const element = header & 0x0f;
      for (let i = 0; i < size; i++) {
        pos = element === BOOLEAN_TRUE || element === BOOLEAN_FALSE ? pos + 1 : skip(bytes, pos, element);
      }
      return pos;
    }
    case MAP: {
      let size: number;
      [size, pos] = varint(bytes, pos);
      if (size === 0) return pos;
      const types = byteAt(bytes, pos++);
      for (let i = 0; i < size; i++) pos = skip(bytes, skip(bytes, pos, types >> 4), types & 0x0f);
      return pos;
    }
    case STRUCT:
      for (;;) {
        const header = byteAt(bytes, pos++);
        if (header === 0) return pos;
        if (header >> 4 === 0) pos = varint(bytes, pos)[1];
        pos = skip(bytes, pos, header & 0x0f);
      }
    default:
      if (type >= 4 && type <= 6) return varint(bytes, pos)[1]; // i16, i32, i64
      throw new Error(`Expected a Thrift compact type, got ${type}`);
  }
}

function byteAt(bytes: Uint8Array, pos: number): number {
  const byte = bytes[pos];
  if (byte === undefined) throw new Error(`Expected a byte at ${pos}, got the end`);
  return byte;
}

/** An unsigned varint at `pos` (up to 2^53), and the position after it. */
function varint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = byteAt(bytes, pos++);
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
  }
}

/** A zigzag varint (a field id written in full) at `pos`, and the position after it. */
function zigzag(bytes: Uint8Array, pos: number): [number, number] {
  const [value, next] = varint(bytes, pos);
  return [value % 2 === 0 ? value / 2 : -(value + 1) / 2, next];
}
