// Starts a worker thread whose code is TypeScript. Loaders registered on the main thread do not reach worker
// threads, so the worker registers tsx itself before it imports its entry module (workerData.entry).
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
