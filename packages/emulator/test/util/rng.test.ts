import { describe, expect, it } from "vitest";
import { Rng } from "../../src/util/rng.js";

describe("Rng", () => {
  it("repeats for the same seed and differs for another", () => {
    const seq = (seed: number | string) => {
      const r = new Rng(seed);
      return Array.from({ length: 10 }, () => r.next());
    };
    expect(seq(7)).toEqual(seq(7));
    expect(seq("a")).toEqual(seq("a"));
    expect(seq(7)).not.toEqual(seq(8));
  });
  it("stays in range", () => {
    const r = new Rng(3);
    for (let i = 0; i < 10_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      const n = r.int(-3, 3);
      expect(n >= -3 && n <= 3 && Number.isInteger(n)).toBe(true);
    }
  });
  it("weighted picks follow the weights roughly and never pick weight 0", () => {
    const r = new Rng(9);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++)
      counts[
        r.weighted([
          ["a", 1],
          ["b", 3],
          ["c", 0],
        ] as const)
      ]++;
    expect(counts.c).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(2.5);
    expect(counts.b / counts.a).toBeLessThan(3.5);
  });
  it("forks are independent of later use of the parent", () => {
    const a = new Rng(1);
    const b = new Rng(1);
    const fa = a.fork("x");
    b.fork("x");
    a.next();
    expect(fa.next()).toBe(new Rng(1).fork("x").next());
    void b;
  });
});
