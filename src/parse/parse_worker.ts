// The body of a ParserPool worker thread: receives fetched pages, answers with parsed records.
import { parentPort, workerData } from "node:worker_threads";
import type { Portable } from "./extractor.ts";
import { compileSpec, parsePage } from "./parse_page.ts";
import type { WorkerSpec } from "./parser_pool.ts";
import type { FetchedPage } from "../records.ts";

const { spec } = workerData as { spec: WorkerSpec };

async function load(portable: Portable) {
  const module = (await import(portable.module)) as Record<string, unknown>;
  const fn = module[portable.exportName];
  if (typeof fn !== "function") throw new Error(`${portable.module} exports no function ${portable.exportName}`);
  return fn as never;
}

const { follow, extract } = spec;
const compiled = compileSpec({
  follow: typeof follow === "object" ? await load(follow.portable) : follow,
  ...(extract === undefined ? {} : { extract: "portable" in extract ? await load(extract.portable) : extract.fields }),
});

parentPort!.on("message", ({ id, page }: { id: number; page: FetchedPage }) => {
  parentPort!.postMessage({ id, record: parsePage(page, compiled) });
});
// The pool restarts a worker that dies only once it has got here: one that dies while loading would die again.
parentPort!.postMessage({ ready: true });
