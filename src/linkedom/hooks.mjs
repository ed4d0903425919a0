// A module resolution hook (see node:module register): linkedom's event-target module resolves to ./event_target.ts,
// which builds no listener Map until one is needed. Plain JavaScript, because hooks run on their own thread.
const original = /\/linkedom\/esm\/interface\/event-target\.js$/;
const replacement = new URL("./event_target.ts", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  return original.test(resolved.url) ? { ...resolved, url: replacement } : resolved;
}
