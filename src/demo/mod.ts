/**
 * The bundled demo sites, served on loopback, for trying rxcrawl offline, for tests and for benchmarks: a
 * deterministic Douban-like book site on one host, and a broad site of many hosts (one per loopback address, up to
 * millions of pages made on demand) that logs what it served, to judge a crawler's politeness per host.
 *
 * @example
 * ```ts
 * import { startBroadSite, startDemoSite } from "rxcrawl/demo";
 * const site = await startDemoSite({ pages: 200 });
 * // crawl({ start: site.startUrl, follow: "#db-rec-section dt a" }) ...
 * await site.close();
 *
 * const broad = await startBroadSite({ hosts: 100, pagesPerHost: 50, latencyMs: 50 });
 * // crawl({ start: broad.startUrl, hosts: "any", rate: 2 }) ...
 * broad.log.gaps(500).below; // requests that came less than 1/rate after the one before at their host
 * await broad.close();
 * ```
 * @module
 */
export {
  type DemoSite,
  type DemoSiteOptions,
  type DemoSiteStats,
  demoLastmod,
  demoRecommendations,
  renderDemoPage,
  type RenderDemoPageOptions,
  startDemoSite,
} from "./demo_site.ts";
export {
  broadHostAddress,
  broadHostIndex,
  type BroadLink,
  type BroadPage,
  broadPage,
  type BroadPageOptions,
  type BroadRobots,
  type BroadSite,
  type BroadSiteOptions,
  renderBroadPage,
  type RenderBroadPageOptions,
  startBroadSite,
} from "./broad_site.ts";
export { type ArrivalSpan, type GapCount, HostRequestLog } from "./request_log.ts";
