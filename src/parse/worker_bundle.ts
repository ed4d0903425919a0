// The parser worker as one plain JavaScript file, made with esbuild and kept in a cache, so that a worker thread starts
// without a TypeScript loader: loading parse_worker.ts through tsx gives each worker a loader thread of its own and
// resolves a few hundred modules through it, about 30 MB and 0.3 s per worker. The bundle holds linkedom with
// ./linkedom/event_target.ts in place of linkedom's EventTarget, as ./linkedom/install.ts arranges on the main thread.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Bumped when the way the bundle is made changes, so that an older cache is not used. */
const FORMAT = 2;
const SRC = fileURLToPath(new URL(".", import.meta.url));
const ENTRY = join(SRC, "parse_worker.ts");

/** What the cache keeps beside a bundle: the files it was made of, each with its size and modification time. */
interface Manifest {
  format: number;
  bundle: string;
  inputs: Record<string, string>;
}

let pending: Promise<URL | undefined> | undefined;

/**
 * The URL of the bundled parser worker, made on first use in a process and reused while none of its source files
 * changes; `undefined` when it cannot be made (esbuild missing, no private temporary directory), and the pool then
 * loads parse_worker.ts through tsx instead.
 *
 * @example
 * ```ts
 * import { parserWorkerBundle } from "./worker_bundle.ts";
 * const url = await parserWorkerBundle(); // file:///tmp/rxcrawl-me/parse-worker-3f2a….mjs
 * ```
 */
export function parserWorkerBundle(): Promise<URL | undefined> {
  pending ??= bundleParserWorker(cacheDir()).catch(() => undefined);
  return pending;
}

/**
 * The bundled parser worker in `dir`: the one made before when its manifest lists the same source files, each with
 * the same size and modification time, else a new one. Rejects when esbuild fails or `dir` is not a directory of this
 * user's that only this user can write to.
 *
 * @example
 * ```ts
 * import { bundleParserWorker } from "./worker_bundle.ts";
 * const url = await bundleParserWorker("/tmp/rxcrawl-cache");
 * ```
 */
export async function bundleParserWorker(dir: string): Promise<URL> {
  // One manifest per copy of rxcrawl on the machine, so that two checkouts do not rebuild in turn.
  const manifestPath = join(dir, `parse-worker-${createHash("sha256").update(SRC).digest("hex").slice(0, 8)}.json`);
  const manifest = await readManifest(manifestPath);
  if (manifest !== undefined && (await unchanged(manifest.inputs))) return pathToFileURL(join(dir, manifest.bundle));
  return pathToFileURL(await build(dir, manifestPath));
}

function cacheDir(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = String(process.getuid?.() ?? "user");
  }
  return join(tmpdir(), `rxcrawl-${user}`);
}

async function readManifest(path: string): Promise<Manifest | undefined> {
  try {
    await checkOwnDirectory(join(path, ".."));
    const manifest = JSON.parse(await readFile(path, "utf8")) as Manifest;
    if (manifest.format !== FORMAT) return undefined;
    await stat(join(path, "..", manifest.bundle));
    return manifest;
  } catch {
    return undefined;
  }
}

async function unchanged(inputs: Record<string, string>): Promise<boolean> {
  const files = Object.entries(inputs);
  const now = await Promise.all(files.map(([file]) => fingerprint(file).catch(() => "")));
  return files.every(([, before], i) => now[i] === before);
}

async function fingerprint(file: string): Promise<string> {
  const { size, mtimeMs } = await stat(file);
  return `${size}:${mtimeMs}`;
}

async function build(dir: string, manifestPath: string): Promise<string> {
  const esbuild = await import("esbuild");
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [ENTRY],
      absWorkingDir: SRC,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [
        {
          name: "rxcrawl-linkedom",
          setup(build) {
            // What ./linkedom/install.ts does at run time, done at bundle time: linkedom's ES modules, inlined, with
            // our EventTarget in place of its own and attribute names lower-cased as they are parsed.
            build.onLoad({ filter: /[\\/]parse[\\/]linkedom[\\/]install\.ts$/ }, () => ({
              contents: [
                'import * as dom from "linkedom";',
                'import { lowerCaseAttributeNames } from "./linkedom/attribute_case.ts";',
                "lowerCaseAttributeNames(dom);",
                "export const linkedom = () => dom;",
                "",
              ].join("\n"),
              loader: "js",
              resolveDir: SRC,
            }));
            build.onLoad({ filter: /[\\/]linkedom[\\/]esm[\\/]interface[\\/]event-target\.js$/ }, () => ({
              contents: `export * from ${JSON.stringify(join(SRC, "linkedom", "event_target.ts"))};\n`,
              loader: "js",
              resolveDir: SRC,
            }));
          },
        },
      ],
    });
  } finally {
    await esbuild.stop();
  }
  const code = result.outputFiles[0]!.contents;
  const bundle = `parse-worker-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`;
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = join(SRC, input);
    inputs[file] = await fingerprint(file);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkOwnDirectory(dir);
  await writeAtomically(join(dir, bundle), code);
  await writeAtomically(manifestPath, JSON.stringify({ format: FORMAT, bundle, inputs } satisfies Manifest));
  await prune(dir);
  return join(dir, bundle);
}

/**
 * Removes the bundles no manifest names any more and nobody has written for a week. Not at once: a crawl started
 * before its sources changed may still start a worker on its older bundle.
 */
async function prune(dir: string): Promise<void> {
  const names = await readdir(dir);
  const named = new Set<string>();
  for (const name of names.filter((name) => name.endsWith(".json"))) {
    const manifest = await readManifest(join(dir, name));
    if (manifest !== undefined) named.add(manifest.bundle);
  }
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const name of names) {
    if (!/^parse-worker-[0-9a-f]+\.mjs$/.test(name) || named.has(name)) continue;
    const file = join(dir, name);
    const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Infinity }));
    if (mtimeMs < weekAgo) await rm(file, { force: true });
  }
}

/** Code is run from the cache: it must be a directory of this user's that nobody else can write to. */
async function checkOwnDirectory(dir: string): Promise<void> {
  const { uid, mode } = await stat(dir);
  const me = process.getuid?.();
  if ((me !== undefined && uid !== me) || (mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
}

/** Writes through a temporary file and a rename, so that a process reading at the same time sees all or nothing. */
async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
