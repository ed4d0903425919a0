// The tools the README tells users to load rxcrawl's output with: DuckDB (its Node package) and pandas (a Python with
// it). Tests use them as a user does, on the files a pipeline wrote.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";

/** The Debian package that brings pandas, named in every skip for want of it. */
export const PANDAS_PACKAGE = "python3-pandas";

let python: string | null | undefined;

/**
 * A Python that can `import pandas`: `python3` on the PATH, else Debian's `/usr/bin/python3` (the PATH's may be a
 * pyenv one without it), else `python`; `undefined` when none can.
 */
export function pythonWithPandas(): string | undefined {
  if (python === undefined) {
    const candidates = ["python3", "/usr/bin/python3", "python"];
    python = candidates.find((command) => spawnSync(command, ["-c", "import pandas"], { stdio: "ignore" }).status === 0) ?? null;
  }
  return python ?? undefined;
}

/** The skip reason of a test that needs pandas, or `false` when it is there. */
export function needsPandas(): string | false {
  return pythonWithPandas() === undefined
    ? `needs pandas: no python3 here can import it (Debian: apt-get install ${PANDAS_PACKAGE})`
    : false;
}

/** Runs a Python script with pandas in `cwd`; returns its stdout, or throws with its stderr. */
export function runPython(script: string, cwd: string): string {
  const command = pythonWithPandas();
  if (command === undefined) throw new Error(`No python3 here can import pandas (Debian: apt-get install ${PANDAS_PACKAGE})`);
  const result = spawnSync(command, ["-c", script], { cwd, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`python exited with ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/**
 * Runs SQL statements in an in-memory DuckDB started in `dir`, as the DuckDB shell started there would run them: files
 * named relative to it are read and written there. Returns each statement's rows, with numbers as JavaScript numbers.
 * It runs in a node process of its own, since a process has one working directory.
 */
export async function runDuckDb(statements: readonly string[], dir: string): Promise<Record<string, unknown>[][]> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", DUCKDB_RUNNER, JSON.stringify(statements)], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) throw new Error(stderr.trim().split("\n").find((line) => line.includes("Error")) ?? stderr);
  return JSON.parse(stdout) as Record<string, unknown>[][];
}

/** The DuckDB runner's code: its statements come as its argument, its rows go out as JSON. */
const DUCKDB_RUNNER = `
import { createRequire } from "node:module";
const { DuckDBInstance } = await import(createRequire(${JSON.stringify(import.meta.url)}).resolve("@duckdb/node-api"));
const instance = await DuckDBInstance.create(":memory:");
const connection = await instance.connect();
const results = [];
for (const sql of JSON.parse(process.argv[1])) {
  const reader = await connection.runAndReadAll(sql);
  results.push(reader.getRowObjectsJS());
}
process.stdout.write(JSON.stringify(results, (_, value) => (typeof value === "bigint" ? Number(value) : value)));
`;
