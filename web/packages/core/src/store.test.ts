import { describe, expect, it, vi } from "vitest";
import { StateStore } from "./store.ts";

describe("StateStore", () => {
  it("keeps the snapshot identical until the value changes", () => {
    const s = new StateStore({ a: 1, b: "x" });
    const first = s.getSnapshot();
    s.patch({ a: 1 });
    expect(s.getSnapshot()).toBe(first);
    s.patch({ a: 2 });
    expect(s.getSnapshot()).not.toBe(first);
    expect(s.getSnapshot()).toEqual({ a: 2, b: "x" });
  });

  it("notifies subscribers on change only, until they unsubscribe", () => {
    const s = new StateStore(0);
    const l = vi.fn();
    const off = s.subscribe(l);
    s.set(0);
    expect(l).not.toHaveBeenCalled();
    s.set((n) => n + 1);
    expect(l).toHaveBeenCalledTimes(1);
    off();
    s.set(5);
    expect(l).toHaveBeenCalledTimes(1);
    expect(s.getSnapshot()).toBe(5);
  });

  it("lets a listener unsubscribe another during notification", () => {
    const s = new StateStore(0);
    const calls: string[] = [];
    let offB = () => {};
    s.subscribe(() => {
      calls.push("a");
      offB();
    });
    offB = s.subscribe(() => calls.push("b"));
    s.set(1);
    s.set(2);
    expect(calls).toEqual(["a", "b", "a"]);
  });
});
