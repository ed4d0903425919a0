// Runs a pipeline of this repository from its TypeScript sources, as the pipelines' first lines ask:
//   node [flags] bin/run_source.mjs pipelines/<name>.ts [arguments]
// The pipeline, the sources it imports and the packages they import are bundled by esbuild into one JavaScript file,
// kept in node_modules/.cache/rxcrawl/ until one of those files changes: node then reads one file, where loading the
// sources through tsx's module hooks takes a file at a time, and the packages hundreds of files (a pipeline's
// start-up, measured: about 0.3 s against 1.1 s). Each source file keeps its own import.meta.url, so the paths it
// derives from it (its parser threads' script, the packages it loads at run time) are the same as from the sources.
// Where the bundle cannot be made (no esbuild), the sources run through tsx.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Bumped when the way bundles are made changes, so that older ones are not used. */
const FORMAT = 3;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = join(ROOT, "node_modules", ".cache", "rxcrawl");
/** npm's record of the installed packages, rewritten by every install. */
const INSTALLED = join(ROOT, "node_modules", ".package-lock.json");

/** The URL of the bundle of `entry`: the one made before when none of its inputs changed, else a new one. */
async function bundled(entry) {
  const name = basename(entry, ".ts");
  const manifestPath = join(CACHE, `${name}.json`);
  const manifest = await readFile(manifestPath, "utf8").then(JSON.parse, () => undefined);
  if (manifest?.format === FORMAT && manifest.entry === entry && (await unchanged(manifest.inputs))) {
    return pathToFileURL(join(CACHE, manifest.bundle)).href;
  }
  const esbuild = await import("esbuild");
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: ROOT,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      // esbuild finds its binary, and tsx its loader, beside their own files: they stay where they are.
      external: ["esbuild", "tsx", "tsx/*"],
      // For the packages written as CommonJS, which call require().
      banner: { js: 'import { createRequire as __rxcrawlRequire } from "node:module"; const require = __rxcrawlRequire(import.meta.url);' },
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [keepImportMetaUrl],
    });
  } finally {
    await esbuild.stop();
  }
  const code = result.outputFiles[0].contents;
  const bundle = `${name}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`;
  // The packages' files stand for themselves by npm's record of the installed tree, which every install rewrites:
  // a few dozen source files to look at on each start, not a thousand.
  const inputs = { [INSTALLED]: await fingerprint(INSTALLED) };
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = resolve(ROOT, input);
    if (!file.includes(`${sep}node_modules${sep}`)) inputs[file] = await fingerprint(file);
  }
  await mkdir(CACHE, { recursive: true });
  await writeAtomically(join(CACHE, bundle), code);
  await writeAtomically(manifestPath, JSON.stringify({ format: FORMAT, entry, bundle, inputs }));
  await prune(name, bundle);
  return pathToFileURL(join(CACHE, bundle)).href;
}

/**
 * Removes the earlier bundles of `name` once an hour old: not at once, since a process that read the manifest just
 * before may still be about to load the one it named.
 */
async function prune(name, current) {
  const hourAgo = Date.now() - 3600_000;
  for (const file of await readdir(CACHE)) {
    if (file === current || !file.startsWith(`${name}-`) || !file.endsWith(".mjs")) continue;
    const { mtimeMs } = await stat(join(CACHE, file)).catch(() => ({ mtimeMs: Infinity }));
    if (mtimeMs < hourAgo) await rm(join(CACHE, file), { force: true });
  }
}

/** Each TypeScript source file with `import.meta.url` as the file's own URL, not the bundle's. */
const keepImportMetaUrl = {
  name: "keep-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts)$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return { contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};

async function unchanged(inputs) {
  const files = Object.entries(inputs ?? {});
  const now = await Promise.all(files.map(([file]) => fingerprint(file).catch(() => "")));
  return files.length > 0 && files.every(([, before], i) => now[i] === before);
}

async function fingerprint(file) {
  const { size, mtimeMs } = await stat(file);
  return `${size}:${mtimeMs}`;
}

/** Through a temporary file and a rename, so that a process starting at the same time sees all or nothing. */
async function writeAtomically(path, data) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

// The run itself, after the declarations it uses.
const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  process.stderr.write("usage: node bin/run_source.mjs <pipeline.ts> [arguments]\n");
  process.exit(2);
}
const entry = resolve(script);
// The pipeline reads its arguments, and names itself, from process.argv, as when node runs it by its path.
process.argv = [process.argv[0], entry, ...args];

let target;
try {
  target = await bundled(entry);
} catch {
  const { register } = await import("tsx/esm/api");
  register();
  target = pathToFileURL(entry).href;
}
await import(target);
