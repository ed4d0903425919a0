import { UsageError } from "../errors.ts";

/** How a pool shares its proxies out: each request takes the next one, or each host keeps one. */
export type ProxyRotate = "request" | "host";

/** The environment variables a crawl reads its proxies from when none is given: see {@linkcode proxySettings}. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** Which proxies a crawl goes through, for which URLs: checked, plain data. */
export interface ProxySettings {
  /** The proxies, each with the schemes of the URLs it carries. Empty: every request goes direct. */
  proxies: readonly { url: string; schemes: readonly ("http" | "https")[] }[];
  /** Hosts that go direct (`NO_PROXY`): a name covers its subdomains, `host:port` one port, `*` every host. */
  noProxy: readonly string[];
  rotate: ProxyRotate;
}

const PROTOCOLS = new Set(["http:", "https:", "socks5:", "socks5h:"]);

/**
 * Checks the proxies of a crawl: a list of URLs (`http://`, `https://`, `socks5://`, `socks5h://`, with
 * `user:password@` when the proxy asks for it), each carrying every request; or, given `{ env }`, the variables curl
 * reads: `HTTP_PROXY` for http URLs, `HTTPS_PROXY` for https URLs and `NO_PROXY` for the hosts that go direct (each in
 * lower case too, which wins). A malformed URL is a `UsageError` naming the option or variable, its credentials
 * masked.
 *
 * @example
 * ```ts
 * import { proxySettings } from "./proxy_settings.ts";
 * proxySettings(["socks5://127.0.0.1:1080"], "host").proxies.length; // 1
 * proxySettings({ env: process.env }, "host"); // HTTP_PROXY, HTTPS_PROXY, NO_PROXY
 * ```
 */
export function proxySettings(proxy: readonly string[] | { env: ProxyEnv }, rotate: ProxyRotate): ProxySettings {
  if (rotate !== "request" && rotate !== "host") {
    throw new UsageError(`Expected proxyRotate to be "request" or "host", got ${JSON.stringify(rotate)}`);
  }
  if (!("env" in proxy)) {
    return { proxies: proxy.map((url) => ({ url: checkProxyUrl(url, "proxy"), schemes: ["http", "https"] })), noProxy: [], rotate };
  }
  const { env } = proxy;
  const read = (key: string) => (env[key.toLowerCase()] || env[key] || "").trim();
  const proxies: { url: string; schemes: ("http" | "https")[] }[] = [];
  for (const [key, scheme] of [["HTTP_PROXY", "http"], ["HTTPS_PROXY", "https"]] as const) {
    const value = read(key);
    if (value === "") continue;
    // Like curl, a proxy named without a scheme is an HTTP proxy.
    const url = checkProxyUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`, key);
    const same = proxies.find((entry) => entry.url === url);
    if (same !== undefined) same.schemes.push(scheme);
    else proxies.push({ url, schemes: [scheme] });
  }
  const noProxy = read("NO_PROXY")
    .split(/[\s,]+/)
    .map((entry) => entry.toLowerCase().replace(/^\*?\./, ""))
    .filter((entry) => entry !== "");
  return { proxies, noProxy, rotate };
}

/**
 * Checks one proxy URL: `http://`, `https://`, `socks5://` or `socks5h://` (the proxy resolving host names), a host,
 * an optional port and `user:password@`; returns it normalized. A malformed one is a `UsageError` naming `name` and
 * showing the URL with its credentials masked.
 *
 * @example
 * ```ts
 * import { checkProxyUrl } from "./proxy_settings.ts";
 * checkProxyUrl("http://127.0.0.1:3128", "--proxy"); // "http://127.0.0.1:3128/"
 * ```
 */
export function checkProxyUrl(raw: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || !PROTOCOLS.has(url.protocol) || url.hostname === "" || (url.pathname !== "/" && url.pathname !== "")) {
    const shown = JSON.stringify(maskProxy(raw));
    throw new UsageError(`Expected ${name} to be a proxy URL (http://, https://, socks5:// or socks5h://host:port), got ${shown}`);
  }
  return url.href;
}

/**
 * A proxy URL with its credentials masked (`http://***@proxy:3128`): what may be printed, logged or written.
 *
 * @example
 * ```ts
 * import { maskProxy } from "./proxy_settings.ts";
 * maskProxy("socks5://alice:secret@127.0.0.1:1080"); // "socks5://***@127.0.0.1:1080"
 * ```
 */
export function maskProxy(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || !url.includes("//")) {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/?#]*@/i, (_all, scheme: string | undefined) => `${scheme ?? ""}***@`);
  }
  const hidden = parsed.username !== "" || parsed.password !== "" ? "***@" : "";
  return `${parsed.protocol}//${hidden}${parsed.host}`;
}
