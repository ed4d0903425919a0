import { test } from "node:test";
import assert from "node:assert/strict";
import { mendEmptyRowGroups } from "../../src/sinks/parquet_footer.ts";

/** A file's tail: `metadata` (Thrift compact bytes), its length as 4 bytes little-endian, then "PAR1". */
function tail(metadata: number[]): Uint8Array {
  const length = [0, 8, 16, 24].map((shift) => (metadata.length >> shift) & 0xff);
  return Uint8Array.from([...metadata, ...length, ...Buffer.from("PAR1")]);
}

// FileMetaData: version 2 (0x15 0x04), a schema of one element named "a" (0x19 0x1c, then 0x48 0x01 0x61 and the
// element's stop 0x00), num_rows 0 (0x16 0x00), then row_groups (0x19) as an empty list, created_by "x" (0x28 0x01
// 0x78) and the stop.
const before = [0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 0x61, 0x00, 0x16, 0x00, 0x19];
const after = [0x28, 0x01, 0x78, 0x00];

test("mendEmptyRowGroups() declares an empty row_groups list a list of structs, and changes nothing else", () => {
  const bytes = tail([...before, 0x00, ...after]);
  mendEmptyRowGroups(bytes);
  assert.deepEqual(bytes, tail([...before, 0x0c, ...after]));
});

test("mendEmptyRowGroups() leaves a footer with row groups, or one it cannot read, as it is", () => {
  // One row group: a struct holding num_rows 5 (0x36 0x0a, field 3 i64) and its stop.
  const rows = tail([...before, 0x1c, 0x36, 0x0a, 0x00, ...after]);
  const copy = rows.slice();
  mendEmptyRowGroups(rows);
  assert.deepEqual(rows, copy);
  for (const broken of [tail([0x19, 0xff]), tail([...before]), Uint8Array.from([1, 2, 3]), tail([0x0d])]) {
    const unchanged = broken.slice();
    mendEmptyRowGroups(broken);
    assert.deepEqual(broken, unchanged);
  }
});
