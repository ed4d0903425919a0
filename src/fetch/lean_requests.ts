import http from "node:http";
import https from "node:https";
import { checkServerIdentity } from "node:tls";
import { type ExtendOptions, type NativeRequestOptions, Options, type RequestFunction } from "got";

/**
 * What got builds for each request, built without the object shape that Node 20's V8 makes slow: an object literal
 * that spreads one object and then lists more keys (`{ ...a, b, c }`) gets no cached hidden class, so each key after
 * the spread costs a new one. got's `createNativeRequestOptions` spreads its cache options and lists 30 keys: 50 µs
 * and 23 KB of garbage a request, measured with got 14.6 on Node 20. Node's `http.request(url, options)` does the same
 * to the URL (`urlToHttpOptions`) and then copies every option onto that object, 7 KB more. Here the options are one
 * plain object and the URL's parts are set on them, as `http.request(options)` takes them: what got and Node would
 * have built, less the options left unset and, for an http: URL, those of TLS, which nothing then reads.
 *
 * @example
 * ```ts
 * import got from "got";
 * import { leanRequests } from "./lean_requests.ts";
 * const client = got.extend({ ...leanRequests(), retry: { limit: 0 } });
 * ```
 */
export function leanRequests(): Pick<ExtendOptions, "handlers" | "request"> {
  return {
    handlers: [
      (options, next) => {
        options.createNativeRequestOptions = nativeRequestOptions as Options["createNativeRequestOptions"];
        return next(options);
      },
    ],
    request: requestWithOptions,
  };
}

type Native = ReturnType<Options["createNativeRequestOptions"]>;

/**
 * What got's own method covers and this one does not: a cache, a Unix socket, client certificates as objects, and
 * HTTP/2 (whose requests got makes with a library of its own, which a client with `leanRequests` does not reach).
 */
function needsGot(options: Options, url: URL): boolean {
  return options.http2 || options.cache !== undefined || url.hostname === "unix" || Array.isArray(options.https.pfx);
}

function nativeRequestOptions(this: Options): Native {
  const url = this.url as URL;
  if (needsGot(this, url)) return Options.prototype.createNativeRequestOptions.call(this);
  const secure = url.protocol === "https:";
  const native: Record<string, unknown> = {
    agent: secure ? this.agent.https : this.agent.http,
    setHost: this.setHost,
    method: this.method,
    headers: this.headers,
  };
  // Node reads an option set to undefined as one not given, so only those given are set: the object stays small
  // through each copy Node makes of it (three a request, one more for a new connection).
  const { dnsCache } = this; // got stores `dnsCache: true` as its shared cache object; its type still says boolean
  given(native, "lookup", this.dnsLookup ?? (typeof dnsCache === "object" ? dnsCache.lookup : undefined));
  given(native, "family", this.dnsLookupIpVersion);
  given(native, "maxHeaderSize", this.maxHeaderSize);
  given(native, "localAddress", this.localAddress);
  given(native, "createConnection", this.createConnection);
  given(native, "h2session", this.h2session);
  if (!secure) return native as Native;
  const tls = this.https;
  native.checkServerIdentity = tls.checkServerIdentity ?? checkServerIdentity;
  given(native, "ALPNProtocols", tls.alpnProtocols);
  given(native, "ca", tls.certificateAuthority);
  given(native, "cert", tls.certificate);
  given(native, "key", tls.key);
  given(native, "passphrase", tls.passphrase);
  given(native, "pfx", tls.pfx);
  given(native, "rejectUnauthorized", tls.rejectUnauthorized);
  given(native, "servername", tls.serverName);
  given(native, "ciphers", tls.ciphers);
  given(native, "honorCipherOrder", tls.honorCipherOrder);
  given(native, "minVersion", tls.minVersion);
  given(native, "maxVersion", tls.maxVersion);
  given(native, "sigalgs", tls.signatureAlgorithms);
  given(native, "sessionTimeout", tls.tlsSessionLifetime);
  given(native, "dhparam", tls.dhparam);
  given(native, "ecdhCurve", tls.ecdhCurve);
  given(native, "crl", tls.certificateRevocationLists);
  given(native, "secureOptions", tls.secureOptions);
  return native as Native;
}

function given(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** The parts of a URL that `http.request(url, options)` reads from it (set by Node's `urlToHttpOptions`). */
interface UrlParts {
  protocol: string;
  hostname: string;
  path: string;
  port?: number;
  auth?: string;
}

/**
 * Sends a request as `http.request` (or `https.request`) would, taking any of its forms: got calls it with a URL and
 * the options, a cache (cacheable-request) with options that hold the URL's parts and a callback. Only got's call with
 * lean options takes the shortcut; options that got built itself (they always hold `h2session`, the lean ones only
 * with HTTP/2, which a client of this does not use) go as they came.
 */
const requestWithOptions: RequestFunction = (url, options, callback) => {
  const send = (url.protocol === "https:" ? https.request : http.request) as (...args: unknown[]) => http.ClientRequest;
  if (!(url instanceof URL) || "h2session" in options) return send(url, options, callback);
  const target = options as NativeRequestOptions & UrlParts;
  const { hostname } = url;
  target.protocol = url.protocol;
  target.hostname = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  target.path = url.pathname + url.search;
  if (url.port !== "") target.port = Number(url.port);
  if (url.username !== "" || url.password !== "") target.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return send(target, callback);
};
