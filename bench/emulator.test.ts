/** Regression guard, not a timing test: the emulator benchmarks still run end to end and produce figures. */
import { describe, expect, it } from "vitest";
import { run, TINY } from "./emulator.ts";

describe("emulator benchmarks on tiny sizes", () => {
  it("produce a figure, a baseline and a finite ratio for every target", async () => {
    const results = await run(TINY);
    expect(results.map((r) => r.name)).toHaveLength(4);
    for (const r of results) {
      expect(Number.isFinite(r.ratio) && r.ratio > 0).toBe(true);
      expect(r.figure).toMatch(/\d/);
      expect(r.baseline).toMatch(/\d/);
    }
  }, 120_000);
});
