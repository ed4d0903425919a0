import { UsageError } from "../errors.ts";
import { CrawlJournal } from "../state/journal.ts";
import { checkOutputPath } from "../sinks/write_rows.ts";
import { programName } from "./program.ts";

/**
 * Opens the journal that makes a crawl to `out` resumable (none for rows on stdout), continuing an earlier run's with
 * `--resume`, and says on stderr what a resume picks up. Close it when the crawl is over.
 *
 * @example
 * ```ts
 * import { openJournal } from "./open_journal.ts";
 * const journal = await openJournal("data/out/site.csv", true);
 * // crawl({ ..., journal }) ... writeRows(out, { append: journal?.resumed })
 * journal?.close();
 * ```
 */
export async function openJournal(out: string | undefined, resume: boolean): Promise<CrawlJournal | undefined> {
  if (out === undefined) {
    if (resume) throw new UsageError("Expected --out with --resume: rows written to stdout cannot be resumed");
    return undefined;
  }
  checkOutputPath(out);
  const journal = await CrawlJournal.open(out, { resume });
  if (resume) {
    const { rows, pending } = journal.state;
    process.stderr.write(`${programName()}: resuming ${out}: ${rows} rows kept, ${pending.length} URLs to fetch again\n`);
  }
  return journal;
}
