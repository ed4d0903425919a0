// The machinery shared by the file sinks (writeCsv, writeJsonl): opening the target, writing rows as they arrive while
// honouring the stream's backpressure, and flushing and closing on complete, on error and on unsubscribe.
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { map, type MonoTypeOperatorFunction, Observable } from "rxjs";
import { UsageError } from "../errors.ts";

/**
 * Where a sink writes: a file path (created with its folders, replaced if it exists unless the sink appends) or a
 * stream such as stdout.
 */
export type SinkTarget = string | Writable;

/** An encoder between rows and bytes: a Transform (csv-stringify), or undefined to write strings as they are. */
export type Encoder = () => Writable & NodeJS.ReadableStream;

/**
 * Writes each row, encoded by `toChunk`, and re-emits it once the target has taken it (the write's callback): while the
 * target is full, rows wait in the stream's buffer and are passed on, in order, at the pace the target takes them.
 * The Observable completes only after the target is flushed and closed, so `await lastValueFrom(...)` means the file
 * is complete. A write error (a full disk, a closed pipe) fails the stream: nothing would be recorded any more.
 */
export function sink<T>(
  target: SinkTarget,
  toChunk: (row: T) => unknown,
  encoder?: Encoder,
  append = false,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const path = typeof target === "string" ? target : undefined;
      let input: Writable;
      let done: Promise<void>;
      try {
        ({ input, done } = open(target, encoder, append));
      } catch (error) {
        subscriber.error(writeError(path, error));
        return;
      }
      done.catch((error: unknown) => subscriber.error(writeError(path, error)));

      // Rows wait in the stream's own buffer rather than in a concatMap waiting for "drain": concatMap queues in an
      // array emptied with shift(), which costs O(n) per row once the array is large, so 200,000 rows from a fast
      // source took 15 s instead of about one.
      let unconfirmed = 0; // rows written whose callback has not come yet
      let sourceDone = false;
      const finish = (): void => {
        input.end();
        done.then(
          () => subscriber.complete(),
          () => {}, // reported by the catch above
        );
      };
      const subscription = source
        .pipe(map((row) => [row, toChunk(row)] as const)) // a toChunk that throws becomes an error notification
        .subscribe({
          next: ([row, chunk]) => {
            unconfirmed++;
            input.write(chunk, (error) => {
              unconfirmed--;
              if (error == null) subscriber.next(row); // a write error fails the stream through `done`
              if (sourceDone && unconfirmed === 0) finish();
            });
          },
          error: (error: unknown) => {
            input.end();
            done.then(
              () => subscriber.error(error),
              () => subscriber.error(error),
            );
          },
          complete: () => {
            // Ending the stream now would push every waiting row through at once and confirm them all, so rows would
            // be passed on ahead of the target: end it after the last confirmation instead.
            sourceDone = true;
            if (unconfirmed === 0) finish();
          },
        });
      // On unsubscribe (a stop, a signal) what was written is still flushed and the file closed; Node keeps the
      // process alive until that is done.
      return () => {
        subscription.unsubscribe();
        if (!input.writableEnded) input.end();
      };
    });
}

function open(target: SinkTarget, encoder: Encoder | undefined, append: boolean): { input: Writable; done: Promise<void> } {
  let output: Writable;
  if (typeof target === "string") {
    mkdirSync(dirname(target), { recursive: true });
    output = createWriteStream(target, { flags: append ? "a" : "w" });
  } else {
    output = target;
  }
  const input = encoder?.() ?? new PassThrough();
  // A caller's stream (stdout) stays open after the rows: it is not ours to close.
  const done = pipeline(input, output, { end: typeof target === "string" });
  return { input, done };
}

function writeError(path: string | undefined, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new UsageError(`Cannot write ${path ?? "the output stream"}: ${reason}`, { cause: error });
}
