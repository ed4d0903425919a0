#!/bin/sh
':' //; exec node "$(cd "$(dirname "$0")/.." && pwd)/bin/run_source.mjs" "$0" "$@"
// The first two lines are read by sh as well as by TypeScript: sh runs node on this repository's bin/run_source.mjs,
// found from the script's own folder, so the script runs from any working directory; it runs the script bundled once
// from its TypeScript sources (see that file). TypeScript sees a string and a comment.
// The seed's first lesson, in RxJS: the same waits one after another, all at once, and capped. A wait stands for a
// request: the program does nothing while it waits, so waits can overlap, and a cap (the seed's semaphore) is
// mergeMap's concurrency argument.
// Input: none (--count, --wait-ms). Output: each task's lines and each measured runtime, on stdout.
import { concatMap, defer, lastValueFrom, mergeMap, range, timer, map, tap } from "rxjs";
import { commandSpec, integerFlag, parseCli, runPipeline } from "../src/cli/mod.ts";

const COMMAND = commandSpec({
  usage: "[--count N] [--wait-ms MS]",
  about: `Runs N waits of MS milliseconds sequentially (concatMap), concurrently (mergeMap), and capped at 2 at a time
(mergeMap with concurrency 2), printing each measured runtime: about 3 s, 1 s and 2 s with the defaults.`,
  flags: [],
  extra: {
    count: { type: "string", arg: "N", help: "waits to run", default: "3" },
    "wait-ms": { type: "string", arg: "MS", help: "milliseconds each wait lasts", default: "1000" },
  },
});

await runPipeline(async () => {
  const { values } = parseCli(COMMAND);
  const count = integerFlag(values, "count") ?? 3;
  const waitMs = integerFlag(values, "wait-ms", 0) ?? 1000;

  // One task: "One", a wait, "Two", as in the seed's count().
  const task = (name: number) =>
    defer(() => {
      console.log(`${name} One`);
      return timer(waitMs).pipe(
        tap(() => console.log(`${name} Two`)),
        map(() => name),
      );
    });

  for (const [label, operator] of [
    ["sequential (concatMap)", concatMap(task)],
    ["concurrent (mergeMap)", mergeMap(task)],
    ["capped at 2 (mergeMap, 2)", mergeMap(task, 2)],
  ] as const) {
    const started = performance.now();
    await lastValueFrom(range(0, count).pipe(operator), { defaultValue: undefined });
    console.log(`${label}: Code runtime: ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  }
});
