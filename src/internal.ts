// Machinery shared by the operators: kept here, with the reasons, so each operator file reads as its own logic.
import { Observable } from "rxjs";

/**
 * An Observable of one async call that receives an AbortSignal: it emits the result and completes, and
 * unsubscribing aborts the call. This is how a cancelled crawl reaches into requests in flight; the rejection an abort
 * causes is dropped, as nobody is listening any more.
 */
export function abortable<T>(call: (signal: AbortSignal) => Promise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    call(controller.signal).then(
      (value) => {
        settled = true;
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => {
        settled = true;
        subscriber.error(error);
      },
    );
    // Only a call still running is aborted: an abort builds a DOMException, stack and all, which per page adds up.
    return () => {
      if (!settled) controller.abort();
    };
  });
}

/**
 * `{ ...base, ...more }`, for `more` with keys that `base` lacks. Node 20's V8 caches no hidden class for an object
 * spread and then given new keys (`{ ...base, key }`), so each such object builds its own: ~1 µs and ~1 KB of garbage
 * a new key, which on a path every page takes adds up. Assigning both into a fresh object reuses them.
 */
export function withKeys<T extends object, U extends object>(base: T, more: U): T & U {
  return Object.assign({}, base, more);
}
