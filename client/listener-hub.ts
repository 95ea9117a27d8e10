/**
 * A small typed listener registry: `on` returns an unsubscribe function, and a listener that
 * throws is reported without stopping the others or the caller (a handle's state must keep
 * folding even when user code misbehaves).
 */
export class ListenerHub<M extends { [K in keyof M]: (...args: never[]) => void }> {
  readonly #listeners = new Map<keyof M, Set<M[keyof M]>>();

  /** Adds a listener for `type`; returns a function that removes it. */
  on<K extends keyof M>(type: K, listener: M[K]): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Calls every listener of `type` with `args`. */
  emit<K extends keyof M>(type: K, ...args: Parameters<M[K]>): void {
    const set = this.#listeners.get(type);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<M[K]>) => void)(...args);
      } catch (error) {
        console.error(`planroom: a "${String(type)}" listener threw:`, error);
      }
    }
  }

  /** Whether any listener of `type` is registered. */
  has(type: keyof M): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0;
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
