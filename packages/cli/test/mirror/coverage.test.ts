import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeRanges, missingRanges, type Range, subtractRange } from "../../src/mirror/coverage.js";

const range = fc
  .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 }))
  .map(([since, width]): Range => ({ sinceMs: since, untilMs: since + width }));

/** Points 0…259 as a set: the ground truth the range arithmetic must agree with. */
const points = (ranges: readonly Range[]) => {
  const set = new Set<number>();
  for (const r of ranges) for (let p = r.sinceMs; p < r.untilMs; p++) set.add(p);
  return set;
};

describe("coverage ranges", () => {
  it("merging keeps exactly the covered points, in sorted, disjoint, non-touching ranges", () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 12 }), (ranges) => {
        const merged = mergeRanges(ranges);
        expect(points(merged)).toEqual(points(ranges));
        for (let i = 1; i < merged.length; i++)
          expect(merged[i]!.sinceMs).toBeGreaterThan(merged[i - 1]!.untilMs);
        for (const r of merged) expect(r.untilMs).toBeGreaterThan(r.sinceMs);
      }),
      { numRuns: 500 },
    );
  });

  it("the missing ranges are exactly the points of [from, to) that no range covers", () => {
    fc.assert(
      fc.property(
        fc.array(range, { maxLength: 12 }),
        fc.integer({ min: 0, max: 240 }),
        fc.integer({ min: 0, max: 60 }),
        (ranges, from, width) => {
          const to = from + width;
          const covered = points(ranges);
          const expected = new Set<number>();
          for (let p = from; p < to; p++) if (!covered.has(p)) expected.add(p);
          const missing = missingRanges(ranges, from, to);
          expect(points(missing)).toEqual(expected);
          expect(mergeRanges(missing)).toEqual(missing);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("subtracting a range keeps exactly the points outside it", () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 12 }), range, (ranges, cut) => {
        const left = subtractRange(ranges, cut);
        const expected = new Set([...points(ranges)].filter((p) => p < cut.sinceMs || p >= cut.untilMs));
        expect(points(left)).toEqual(expected);
        expect(mergeRanges(left)).toEqual(left);
      }),
      { numRuns: 500 },
    );
  });

  it("merges touching ranges and drops empty ones", () => {
    expect(
      mergeRanges([
        { sinceMs: 5, untilMs: 9 },
        { sinceMs: 0, untilMs: 5 },
        { sinceMs: 20, untilMs: 20 },
      ]),
    ).toEqual([{ sinceMs: 0, untilMs: 9 }]);
    expect(missingRanges([], 3, 7)).toEqual([{ sinceMs: 3, untilMs: 7 }]);
    expect(missingRanges([{ sinceMs: 0, untilMs: 10 }], 3, 7)).toEqual([]);
  });
});
