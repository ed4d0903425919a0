import type { MonoTypeOperatorFunction } from "rxjs";
import { sink, type SinkTarget } from "./sink.ts";

/** Options of {@linkcode writeJsonl}. */
export interface WriteJsonlOptions {
  /** Add to the end of the file instead of replacing it. @default false */
  append?: boolean;
}

/**
 * Writes each row as one line of JSON (JSON Lines), UTF-8, as rows arrive, and passes the rows on. The file is
 * flushed and closed on complete, on error and on unsubscribe; the Observable completes once it is. pandas
 * (`read_json(path, lines=True)`) and DuckDB (`read_json('file.jsonl')`) read it with no other options.
 *
 * @example
 * ```ts
 * import { from, lastValueFrom } from "rxjs";
 * import { writeJsonl } from "./jsonl.ts";
 * await lastValueFrom(from([{ url: "https://example.com/", title: "例子" }]).pipe(writeJsonl("data/out/pages.jsonl")));
 * ```
 */
export function writeJsonl<T>(target: SinkTarget, options: WriteJsonlOptions = {}): MonoTypeOperatorFunction<T> {
  return sink(target, () => ({ row: (row: T) => `${JSON.stringify(row)}\n` }), options.append ?? false);
}
