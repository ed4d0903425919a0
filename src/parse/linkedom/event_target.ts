// linkedom's EventTarget, with the listener Maps made on a node's first addEventListener. linkedom's own one gives
// every node it builds, text nodes included, a Map held in a WeakMap: a parsed page is thousands of nodes and no
// listener, and those entries more than halve parsing speed (on a 40 KB page, about 590 pages/s against 1,390 on one
// core), mostly in the garbage collector, which traces every WeakMap entry. Events behave as in linkedom 0.18: the
// path is the target and, for a bubbling event, its ancestors. Installed by ./install.ts; not for use on its own.

type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };
type Options = boolean | AddEventListenerOptions | undefined;

interface PathStep {
  currentTarget: object;
  target: object;
}

/** The fields linkedom's Event keeps for dispatching. */
interface DispatchedEvent {
  type: string;
  bubbles: boolean;
  defaultPrevented: boolean;
  cancelBubble: boolean;
  eventPhase: number;
  currentTarget?: object;
  target?: object;
  _path: PathStep[];
  _stopImmediatePropagationFlag: boolean;
  readonly NONE: number;
  readonly CAPTURING_PHASE: number;
  readonly AT_TARGET: number;
  readonly BUBBLING_PHASE: number;
}

const listeners = new WeakMap<object, Map<string, Map<Listener, Options>>>();

function invokeListeners(this: DispatchedEvent, { currentTarget, target }: PathStep): boolean {
  const forType = listeners.get(currentTarget)?.get(this.type);
  if (forType === undefined) return false;
  this.eventPhase = currentTarget === target ? this.AT_TARGET : this.BUBBLING_PHASE;
  this.currentTarget = currentTarget;
  this.target = target;
  for (const [listener, options] of forType) {
    if (typeof options === "object" && options.once) forType.delete(listener);
    if (typeof listener === "function") listener.call(target, this as unknown as Event);
    else listener.handleEvent(this as unknown as Event);
    if (this._stopImmediatePropagationFlag) break;
  }
  delete this.currentTarget;
  delete this.target;
  return this.cancelBubble;
}

class LazyEventTarget {
  /** The node events bubble to; linkedom's nodes override it. */
  _getParent(): object | null {
    return null;
  }

  addEventListener(type: string, listener: Listener, options?: Options): void {
    let byType = listeners.get(this);
    if (byType === undefined) listeners.set(this, (byType = new Map()));
    let forType = byType.get(type);
    if (forType === undefined) byType.set(type, (forType = new Map()));
    forType.set(listener, options);
  }

  removeEventListener(type: string, listener: Listener): void {
    const byType = listeners.get(this);
    const forType = byType?.get(type);
    if (forType?.delete(listener) && forType.size === 0) byType!.delete(type);
  }

  dispatchEvent(event: DispatchedEvent): boolean {
    event.eventPhase = event.CAPTURING_PHASE;
    for (let node: { dispatchEvent?: unknown; _getParent?(): object | null } | null = this; node; ) {
      if (node.dispatchEvent) event._path.push({ currentTarget: node, target: this });
      node = event.bubbles && node._getParent ? node._getParent() : null;
    }
    event._path.some(invokeListeners, event);
    event._path = [];
    event.eventPhase = event.NONE;
    return !event.defaultPrevented;
  }
}

export { LazyEventTarget as EventTarget };
