import { test } from "node:test";
import assert from "node:assert/strict";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { checkProxyUrl, maskProxy, proxySettings } from "../../src/fetch/proxy_settings.ts";

test("maskProxy() hides the user and password of a proxy URL, whatever its shape", () => {
  assert.equal(maskProxy("socks5://alice:secret@127.0.0.1:1080"), "socks5://***@127.0.0.1:1080");
  assert.equal(maskProxy("http://alice@proxy:3128/"), "http://***@proxy:3128");
  assert.equal(maskProxy("http://proxy:3128/"), "http://proxy:3128");
  assert.equal(maskProxy("alice:secret@proxy:3128"), "***@proxy:3128");
});

test("a malformed proxy URL is a UsageError that masks its credentials", () => {
  assert.equal(checkProxyUrl("socks5h://u:p@proxy:1080", "--proxy"), "socks5h://u:p@proxy:1080");
  for (const [raw, shown] of [
    ["ftp://alice:secret@proxy:2121", "ftp://***@proxy:2121"],
    ["alice:secret@proxy:3128", "***@proxy:3128"],
    ["http://alice:secret@proxy:3128/path", "http://***@proxy:3128"],
  ]) {
    assert.throws(() => checkProxyUrl(raw!, "--proxy"), {
      name: "UsageError",
      message: `Expected --proxy to be a proxy URL (http://, https://, socks5:// or socks5h://host:port), got "${shown}"`,
    });
  }
  assert.throws(() => new Fetcher({ proxy: ["nope"] }), { message: /^Expected proxy to be a proxy URL/ });
  assert.throws(() => proxySettings({ env: { HTTPS_PROXY: "ftp://x:y@h" } }, "host"), { message: /^Expected HTTPS_PROXY to be a proxy URL .* got "ftp:\/\/\*\*\*@h"$/ });
  assert.throws(() => new Fetcher({ proxyRotate: "often" as "host" }), { message: 'Expected proxyRotate to be "request" or "host", got "often"' });
});

