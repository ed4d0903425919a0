import { DEFAULTS } from "../defaults.ts";
import type { FieldValue } from "../records.ts";
import { positiveInteger } from "../validate.ts";

/** What one reading of a page found: the numbers `auto` compares between a static and a rendered reading. */
export interface PageYield {
  /** Links found to follow. */
  links: number;
  /** Extracted fields with a value (neither null nor `""`). */
  fields: number;
  /** Characters of the page's text. */
  text: number;
}

/**
 * How to read a host's next page: over HTTP only, in the browser, or both ways to compare them; or not yet, while as
 * many comparisons of the undecided host are out as it still needs (ask again once one is learned).
 */
export type Reading = "static" | "rendered" | "both" | "wait";

/** Options of {@linkcode RenderDecider}. */
export interface RenderDeciderOptions {
  /** Comparisons that must find nothing gained before a host is read statically; also the memory of the rule. @default 3 */
  firstPages?: number;
  /** One page in this many of a decided host is read both ways again. @default 50 */
  sampleEvery?: number;
}

/**
 * The {@linkcode PageYield} of a parsed page: its links, its fields with a value, and `text`, the length of its text.
 *
 * @example
 * ```ts
 * import { pageYield } from "./render_decider.ts";
 * pageYield({ links: ["https://example.com/a"], fields: { h1: "Hi", price: null } }, 120); // { links: 1, fields: 1, text: 120 }
 * ```
 */
export function pageYield(record: { links: readonly string[]; fields: Readonly<Record<string, FieldValue>> }, text: number): PageYield {
  const fields = Object.values(record.fields).filter((value) => value !== null && value !== "").length;
  return { links: record.links.length, fields, text };
}

/**
 * Whether rendering a page found clearly more than reading its HTML: a field with a value that the HTML lacked, more
 * than 1.2 times the links, or more than 1.5 times the text and 100 characters besides. The margins keep out what a
 * script adds to every page of a site that does not need it (a cookie banner, a "back to top" link, a date).
 *
 * @example
 * ```ts
 * import { rendersMore } from "./render_decider.ts";
 * rendersMore({ links: 0, fields: 0, text: 10 }, { links: 12, fields: 2, text: 900 }); // true: a shell and its app
 * rendersMore({ links: 40, fields: 2, text: 5000 }, { links: 41, fields: 2, text: 5030 }); // false
 * ```
 */
export function rendersMore(plain: PageYield, rendered: PageYield): boolean {
  return rendered.fields > plain.fields || rendered.links > plain.links * 1.2 || rendered.text > plain.text * 1.5 + 100;
}

/** What is known of one host. */
interface HostState {
  /** The last comparisons' verdicts (true: rendering found more), the newest last; at most `firstPages`. */
  verdicts: boolean[];
  /** Pages planned for the host. */
  pages: number;
  /** Comparisons planned ("both") and not learned yet. */
  out: number;
}

/**
 * Decides, per host and as a crawl goes, whether pages need a browser (`--render auto`). The rule:
 *
 * - A host is read both ways (the same page parsed from its HTML and from the browser's DOM) until it is decided.
 * - It is rendered as soon as one comparison finds that rendering yields more ({@linkcode rendersMore}), and for as
 *   long as any of its last `firstPages` comparisons did: one page that needs the browser is enough, as missing pages
 *   costs more than rendering some that did not need it.
 * - It is read statically once `firstPages` comparisons in a row found nothing more.
 * - A decided host has one page in `sampleEvery` read both ways again, so that the decision can flip: a single
 *   comparison finding more turns a static host to rendering; `firstPages` in a row finding nothing turn it back.
 *
 * An undecided host never has more comparisons out than it still needs: a page planned beyond them is told to `wait`
 * and asked about again once a comparison is learned, when the host may be decided. So a plain host costs `firstPages`
 * renders, however fast its pages come, and a script host one before its pages go straight to the browser. A decision
 * the crawl's state holds (`known`: this process's, committed, or another's) is followed when given.
 * Plain data in, a decision out: no browser, no clock.
 *
 * @example
 * ```ts
 * import { RenderDecider } from "./render_decider.ts";
 * const decider = new RenderDecider({ firstPages: 3, sampleEvery: 50 });
 * decider.plan("shop.example"); // "both"
 * decider.learn("shop.example", { links: 0, fields: 0, text: 12 }, { links: 30, fields: 2, text: 2400 });
 * decider.plan("shop.example"); // "rendered"
 * decider.plan("news.example", false); // "static": decided elsewhere
 * ```
 */
export class RenderDecider {
  readonly #firstPages: number;
  readonly #sampleEvery: number;
  readonly #hosts = new Map<string, HostState>();

  constructor(options: RenderDeciderOptions = {}) {
    this.#firstPages = positiveInteger("firstPages", options.firstPages ?? DEFAULTS.renderFirstPages);
    this.#sampleEvery = positiveInteger("sampleEvery", options.sampleEvery ?? DEFAULTS.renderSampleEvery, true);
  }

  /**
   * How to read the host's next page; counts the page unless it is told to wait. `known` is the host's decision as the
   * crawl's state holds it, followed when given.
   */
  plan(host: string, known?: boolean): Reading {
    const state = this.#state(host);
    const decision = known ?? this.decision(host);
    if (decision === undefined && state.out >= this.#firstPages - state.verdicts.length) return "wait";
    state.pages++;
    if (decision !== undefined && state.pages % this.#sampleEvery !== 0) return decision ? "rendered" : "static";
    state.out++;
    return "both";
  }

  /**
   * Takes in one page of the host read both ways (a render that failed found nothing: pass a yield of zeros); returns
   * whether the host is now rendered (undefined: undecided).
   */
  learn(host: string, plain: PageYield, rendered: PageYield): boolean | undefined {
    const state = this.#state(host);
    state.out = Math.max(0, state.out - 1);
    state.verdicts.push(rendersMore(plain, rendered));
    if (state.verdicts.length > this.#firstPages) state.verdicts.shift();
    return this.decision(host);
  }

  /** Whether the host's pages are rendered: true, false, or undefined while it is undecided. */
  decision(host: string): boolean | undefined {
    const verdicts = this.#hosts.get(host)?.verdicts ?? [];
    if (verdicts.includes(true)) return true;
    return verdicts.length >= this.#firstPages ? false : undefined;
  }

  #state(host: string): HostState {
    let state = this.#hosts.get(host);
    if (state === undefined) {
      state = { verdicts: [], pages: 0, out: 0 };
      this.#hosts.set(host, state);
    }
    return state;
  }
}
