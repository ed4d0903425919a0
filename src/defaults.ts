/**
 * Every default of the library, in one place: the options' doc comments, the pipelines' `--help` and the README quote
 * these values, and no other module writes them down.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from "./defaults.ts";
 * DEFAULTS.maxBytes; // 10485760
 * ```
 */
export const DEFAULTS = {
  /** Requests in flight at once, over all hosts (`crawl`, `fetchPages`). */
  concurrency: 8,
  /** Parser threads; 0 parses on the fetching thread (`crawl`, `parseHtml`). */
  workers: 0,
  /** The most URLs a crawl admits. */
  maxPages: Infinity,
  /** The most links followed from a start URL. */
  maxDepth: Infinity,
  /** Milliseconds the requests in flight get to finish after a graceful stop. */
  stopGrace: 10_000,
  /** Requests of a crawl's frontier kept in memory, over all hosts; the rest wait in temporary files. */
  frontierMemory: 100_000,
  /** Milliseconds one request may take, body included. */
  timeout: 30_000,
  /** Retries of a request that failed in a retryable way. */
  retries: 2,
  /** Milliseconds before the first retry; doubled for each next one. */
  retryDelay: 1000,
  /** The longest wait a `Retry-After` header may impose, in milliseconds. */
  maxRetryAfter: 60_000,
  /** The largest body accepted, in bytes after decompression. */
  maxBytes: 10 * 1024 * 1024,
  /** Redirects followed before a request fails. */
  maxRedirects: 10,
  /** Requests in flight to one host at once. */
  perHost: Infinity,
  /** Requests started per second per host. */
  rate: Infinity,
  /** Whether robots.txt is fetched and obeyed. */
  robots: true,
  /** Whether a crawl keeps cookies, as a browser does. */
  cookies: true,
  /** How a pool of proxies is shared out: each host keeps one proxy (`"host"`), or each request takes the next. */
  proxyRotate: "host",
  /** Statuses that mean the site is turning the crawler away rather than failing. */
  blockStatus: [429],
  /**
   * Text whose presence in a body (its first 16 KiB, letter case ignored) marks a challenge or block page, whatever the
   * status: Cloudflare's challenge and block pages, DataDome's and PerimeterX's captchas.
   */
  blockMarkers: ["<title>Just a moment...</title>", "<title>Attention Required! | Cloudflare</title>", "captcha-delivery.com", "px-captcha"],
  /** The User-Agent sent unless another is set: honest about what is asking. */
  userAgent: "rxcrawl/0.1 (+https://www.npmjs.com/package/rxcrawl)",
  /** The links a crawl follows. */
  follow: "a[href]",
  /**
   * Extensions of links to files, which a crawl does not request (as Scrapy's `IGNORED_EXTENSIONS`): images, audio,
   * video, archives and packages, documents, fonts, executables, and source and data files, which are never pages.
   */
  skipExtensions: [
    // images
    "ai", "avif", "bmp", "eps", "gif", "heic", "ico", "jpeg", "jpg", "png", "ps", "psd", "svg", "tif", "tiff", "webp",
    // audio
    "aac", "aiff", "flac", "m4a", "mid", "midi", "mp3", "oga", "ogg", "opus", "wav", "wma",
    // video
    "3gp", "avi", "flv", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "ogv", "swf", "webm", "wmv",
    // archives and packages
    "7z", "apk", "bz2", "deb", "dmg", "gz", "iso", "jar", "rar", "rpm", "tar", "tgz", "whl", "xz", "zip", "zst",
    // documents
    "doc", "docx", "epub", "odp", "ods", "odt", "pdf", "ppt", "pptx", "rtf", "xls", "xlsx",
    // fonts
    "eot", "otf", "ttf", "woff", "woff2",
    // executables
    "bin", "dll", "exe", "msi",
    // source and data files
    "css", "csv", "js", "json", "py", "rb", "sh", "txt",
  ],
  /** Pages a browser renders at once, each in a tab of its own. */
  renderPages: 4,
  /** Pages a tab renders before a fresh one takes its place. */
  renderRecycleAfter: 50,
  /** The browser's memory, in MB over all its processes (shared pages once), past which it is restarted between pages. */
  renderMaxBrowserMb: 1536,
  /** Resource types a rendered page may not load. */
  renderBlock: ["image", "media", "font"],
  /** Milliseconds with no request in flight after which a rendered page counts as settled. */
  renderIdleMs: 500,
  /** Pages of a host read both ways (static and rendered) before `auto` decides how to read it. */
  renderFirstPages: 3,
  /** One page in this many of a decided host is read both ways again, so that the decision can change. */
  renderSampleEvery: 50,
} as const;
