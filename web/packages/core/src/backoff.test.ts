import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.ts";

describe("backoffDelay", () => {
  it("grows exponentially and is capped", () => {
    const mid = () => 0.5;
    const d = [0, 1, 2, 3, 4, 10, 30].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 2000, random: mid }));
    expect(d).toEqual([75, 150, 300, 600, 1200, 1500, 1500]);
  });

  it("jitters within [window/2, window]", () => {
    expect(backoffDelay(3, { baseMs: 100, random: () => 0 })).toBe(400);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0.999999 })).toBe(800);
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(backoffDelay(5, { baseMs: 100 }));
    expect(seen.size).toBeGreaterThan(10); // real jitter, not lockstep
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(1600);
      expect(v).toBeLessThanOrEqual(3200);
    }
  });
});
