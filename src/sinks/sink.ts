// The machinery shared by the file sinks (writeCsv, writeJsonl): opening the target, writing rows as they arrive while
// honouring the stream's backpressure, passing a row on once the target has it, and flushing and closing on complete,
// on error and on unsubscribe.
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { type MonoTypeOperatorFunction, Observable } from "rxjs";
import { UsageError } from "../errors.ts";

/**
 * Where a sink writes: a file path (created with its folders, replaced if it exists unless the sink appends) or a
 * stream such as stdout.
 */
export type SinkTarget = string | Writable;

/** How a sink turns rows into text, made afresh for each subscription. */
export interface Encoding<T> {
  /** The text of a row (the first may bring a header with it). */
  row(row: T): string;
  /** The text that ends the output, if any: the header of a CSV file that got no row. */
  end?(): string | undefined;
}

/**
 * Writes each row, encoded, straight to the target, and re-emits it once the target has taken it: the write's
 * callback, which for a file comes when the operating system has the bytes. So a row passed on is in the file even if
 * the process dies the next moment, which is what a shared crawl acknowledges written. While the target is full, rows
 * wait in the stream's buffer and are passed on, in order, at the pace the target takes them. The Observable completes
 * only after the target is flushed and closed, so `await lastValueFrom(...)` means the file is complete. A write error
 * (a full disk, a closed pipe) fails the stream: nothing would be recorded any more.
 */
export function sink<T>(target: SinkTarget, encoding: () => Encoding<T>, append = false): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const path = typeof target === "string" ? target : undefined;
      let output: Writable;
      try {
        output = open(target, append);
      } catch (error) {
        subscriber.error(writeError(path, error));
        return;
      }
      const fail = (error: unknown) => subscriber.error(writeError(path, error));
      output.on("error", fail);
      const encoder = encoding();

      // Rows wait in the stream's own buffer rather than in a concatMap waiting for "drain": concatMap queues in an
      // array emptied with shift(), which costs O(n) per row once the array is large, so 200,000 rows from a fast
      // source took 15 s instead of about one.
      let unconfirmed = 0; // rows written whose callback has not come yet
      let settle: (() => void) | undefined; // what completes or fails the stream once every row is confirmed
      const whenConfirmed = (then: () => void): void => {
        if (unconfirmed === 0) then();
        else settle = then;
      };
      let closed = false;
      // Ends a file (flushed, then closed); leaves a caller's stream (stdout) open, as it is not ours to close.
      const close = async (): Promise<void> => {
        if (closed) return;
        closed = true;
        const tail = encoder.end?.();
        if (path === undefined) {
          if (tail !== undefined) await new Promise<void>((resolve, reject) => output.write(tail, (error) => (error ? reject(error) : resolve())));
          return;
        }
        output.end(tail);
        await finished(output);
      };
      const subscription = source.subscribe({
        next: (row) => {
          let chunk: string;
          try {
            chunk = encoder.row(row);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          unconfirmed++;
          output.write(chunk, (error) => {
            unconfirmed--;
            if (error == null) subscriber.next(row); // a write error fails the stream through the "error" event
            if (unconfirmed === 0 && settle !== undefined) settle();
          });
        },
        error: (error: unknown) =>
          whenConfirmed(() =>
            close().then(
              () => subscriber.error(error),
              () => subscriber.error(error),
            ),
          ),
        // Ending the file now would confirm every waiting row at once, ahead of the target: end it after the last
        // confirmation instead.
        complete: () => whenConfirmed(() => close().then(() => subscriber.complete(), fail)),
      });
      // On unsubscribe (a stop, a signal) what was written is still flushed and the file closed; Node keeps the
      // process alive until that is done.
      return () => {
        subscription.unsubscribe();
        if (path !== undefined) void close().catch(() => {});
        else output.off("error", fail);
      };
    });
}

function open(target: SinkTarget, append: boolean): Writable {
  if (typeof target !== "string") return target;
  mkdirSync(dirname(target), { recursive: true });
  return createWriteStream(target, { flags: append ? "a" : "w" });
}

function writeError(path: string | undefined, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new UsageError(`Cannot write ${path ?? "the output stream"}: ${reason}`, { cause: error });
}
