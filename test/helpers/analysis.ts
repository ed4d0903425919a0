// The tools the README tells users to load rxcrawl's output with: DuckDB (its Node package) and pandas (a Python with
// it). Tests use them as a user does, on the files a pipeline wrote.
import { spawnSync } from "node:child_process";
import { DuckDBInstance } from "@duckdb/node-api";

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
 * Runs SQL statements in an in-memory DuckDB whose relative file names are read from `dir`, as the DuckDB shell
 * started in `dir` reads them; returns each statement's rows, with numbers as JavaScript numbers.
 */
export async function runDuckDb(statements: readonly string[], dir: string): Promise<Record<string, unknown>[][]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run(`SET file_search_path = '${dir.replace(/'/g, "''")}'`);
    const results: Record<string, unknown>[][] = [];
    for (const sql of statements) {
      const reader = await connection.runAndReadAll(sql);
      results.push(reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)]))));
    }
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function plain(value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}
