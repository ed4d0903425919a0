/**
 * The bundled Douban-like demo site: a deterministic book site served on loopback, for trying rxcrawl offline, for
 * tests and for benchmarks.
 *
 * @example
 * ```ts
 * import { startDemoSite } from "rxcrawl/demo";
 * const site = await startDemoSite({ pages: 200 });
 * // crawl({ start: site.startUrl, follow: "#db-rec-section dt a" }) ...
 * await site.close();
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
