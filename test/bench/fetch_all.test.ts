import { test } from "node:test";
import assert from "node:assert/strict";
import { broadUrls } from "../../bench/fetch_all.ts";

test("broadUrls() lists every page of the broad site once, a window of hosts at a time, each host's pages in order", () => {
  const urls = broadUrls(8080, 5, 3, 2);
  const list = Array.from({ length: urls.length }, (_, i) => urls.at(i));
  assert.equal(new Set(list).size, 15);
  assert.deepEqual(list.slice(0, 6), [
    "http://127.0.0.2:8080/page/0",
    "http://127.0.0.3:8080/page/0",
    "http://127.0.0.2:8080/page/1",
    "http://127.0.0.3:8080/page/1",
    "http://127.0.0.2:8080/page/2",
    "http://127.0.0.3:8080/page/2",
  ]);
  assert.deepEqual(list.slice(12), ["http://127.0.0.6:8080/page/0", "http://127.0.0.6:8080/page/1", "http://127.0.0.6:8080/page/2"]);
});
