/** Regression guard, not a timing test: the sync benchmarks still run end to end and produce figures. */
import { describe, expect, it } from "vitest";
import { run, TINY } from "./sync.ts";

describe("sync benchmarks on tiny sizes", () => {
  it("produce a figure, a baseline and a finite ratio for every target, and the request bound holds", async () => {
    const results = await run(TINY);
    expect(results).toHaveLength(6);
    for (const r of results) expect(Number.isFinite(r.ratio) && r.ratio > 0).toBe(true);
    // Requests are counted, not timed: the bound is a fact, not a speed.
    for (const r of results.filter((x) => x.name.includes("requests vs the bound")))
      expect(r.holds).toBe(true);
  }, 180_000);
});
