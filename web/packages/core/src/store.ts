/** Listener is called after every change of a StateStore. */
export type Listener = () => void;

/**
 * StateStore holds one immutable value and tells subscribers when it changes.
 * Its subscribe/getSnapshot pair is exactly what React's useSyncExternalStore
 * (and most other UI frameworks' external-store adapters) expect: the
 * snapshot is the same object until the value changes.
 */
export class StateStore<T> {
  #value: T;
  readonly #listeners = new Set<Listener>();

  constructor(initial: T) {
    this.#value = initial;
  }

  /** getSnapshot returns the current value; it is stable between changes. */
  readonly getSnapshot = (): T => this.#value;

  /** subscribe registers a listener and returns the function that removes it. */
  readonly subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  /** set replaces the value (or derives it from the previous one). Setting the
   * same object notifies no one. */
  set(next: T | ((prev: T) => T)): void {
    const value = typeof next === "function" ? (next as (prev: T) => T)(this.#value) : next;
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    for (const l of [...this.#listeners]) l();
  }

  /** patch merges fields into an object value. */
  patch(this: StateStore<T & object>, fields: Partial<T>): void {
    this.set((prev) => {
      for (const k of Object.keys(fields) as (keyof T)[]) {
        if (!Object.is(prev[k], fields[k])) return { ...prev, ...fields };
      }
      return prev;
    });
  }
}
