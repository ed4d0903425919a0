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
    call(controller.signal).then(
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => controller.abort();
  });
}
