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
