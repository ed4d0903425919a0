import { connectRedis } from "./connection.ts";
import { crawlPattern } from "./keys.ts";

/**
 * Removes every key of crawl `crawlId`, on every master of a cluster. Resolves with the number of keys removed.
 *
 * @example
 * ```ts
 * import { removeCrawl } from "./remove_crawl.ts";
 * await removeCrawl("redis://127.0.0.1:6379/0", "books"); // 42
 * ```
 */
export async function removeCrawl(url: string, crawlId: string): Promise<number> {
  const connection = await connectRedis(url);
  try {
    let removed = 0;
    for (const master of await connection.masters()) {
      let cursor = "0";
      do {
        const [next, found] = (await master(["SCAN", cursor, "MATCH", crawlPattern(crawlId), "COUNT", "1000"])) as [string, string[]];
        cursor = next;
        const gone = await Promise.all(found.map((key) => connection.send(key, ["UNLINK", key])));
        removed += gone.reduce<number>((sum, count) => sum + Number(count), 0);
      } while (cursor !== "0");
    }
    return removed;
  } finally {
    await connection.close();
  }
}
