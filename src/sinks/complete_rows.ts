import { closeSync, createReadStream, openSync, readSync, statSync, truncateSync } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { isCsvPath } from "./write_rows.ts";

/**
 * Reads the complete rows of a CSV or JSONL file that a sink was writing when its process died, and cuts off what
 * follows the last complete one (a torn row, or a line that is not JSON), so that the file is valid again and can be
 * appended to. Calls `onRow` with each complete row, in order, and resolves with their number (a CSV's header is not
 * a row).
 *
 * @example
 * ```ts
 * import { completeRows } from "./complete_rows.ts";
 * const urls: string[] = [];
 * const rows = await completeRows("data/out/site.csv", (row) => urls.push(String(row.url)));
 * ```
 */
export async function completeRows(path: string, onRow: (row: Record<string, unknown>) => void = () => {}): Promise<number> {
  let rows = 0;
  const end = lastNewline(path);
  let good = 0; // bytes up to the end of the last complete row
  if (end > 0) {
    const input = createReadStream(path, { end: end - 1 });
    try {
      if (isCsvPath(path)) {
        // Rows are counted as the parser meets them: a parse error discards the rows it had buffered for us.
        const onRecord = (record: Record<string, string>, context: { bytes: number }) => {
          onRow(record);
          rows++;
          good = context.bytes;
          return null;
        };
        for await (const _ of input.pipe(parse({ columns: true, bom: true, relax_column_count: true, on_record: onRecord })));
        if (rows === 0) good = end; // a header alone
      } else {
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          onRow(JSON.parse(line) as Record<string, unknown>);
          rows++;
          good += Buffer.byteLength(line) + 1;
        }
      }
    } catch {
      // A row cut inside a quoted field, or a line that is not JSON: everything from there on is cut off.
    } finally {
      input.destroy();
    }
  }
  if (statSync(path).size > good) truncateSync(path, good);
  return rows;
}

/**
 * The length of the file up to and including its last `\n`, 0 when it has none.
 *
 * @example
 * ```ts
 * import { lastNewline } from "./complete_rows.ts";
 * lastNewline("data/out/site.csv.journal"); // 1234
 * ```
 */
export function lastNewline(path: string): number {
  const fd = openSync(path, "r");
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let position = statSync(path).size; position > 0; ) {
      const start = Math.max(0, position - block.length);
      const read = readSync(fd, block, 0, position - start, start);
      const index = block.subarray(0, read).lastIndexOf(10);
      if (index >= 0) return start + index + 1;
      position = start;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
