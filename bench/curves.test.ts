/** Regression guard, not a timing test: the scaling curves still run and give a figure per cell. */
import { describe, expect, it } from "vitest";
import { run, TINY } from "./curves.ts";

describe("scaling curves on tiny sizes", () => {
  it("fill every cell", async () => {
    const { history, pages } = await run(TINY, () => {});
    expect(history).toHaveLength(1);
    expect(history[0]!.slice(2).every((s) => s > 0)).toBe(true);
    expect(pages[0]![1]).toBeGreaterThan(0);
  }, 120_000);
});
