/** Regression guard, not a timing test: the core benchmarks still run end to end and produce figures. */
import { describe, expect, it } from "vitest";
import { run, TINY } from "./core.ts";

describe("core benchmarks on tiny sizes", () => {
  it("produce a figure, a baseline and a finite ratio for every target", async () => {
    const results = await run(TINY);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(Number.isFinite(r.ratio) && r.ratio > 0).toBe(true);
      expect(r.figure).toMatch(/\d/);
    }
  }, 120_000);
});
