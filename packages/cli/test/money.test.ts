import { formatMoney } from "@monzokit/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPounds } from "../src/money.js";

describe("formatPounds", () => {
  it("writes exactly what Intl writes for GBP in en-GB (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1_000_000, max: 1_000_000 }),
          fc.maxSafeInteger(),
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
          fc.constantFrom(0, -0, 1, -1, 99, 100, 101, 99_999, 100_000, -100_000),
        ),
        (minor) => {
          expect(formatPounds(minor)).toBe(formatMoney(minor, "GBP"));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("reads like money", () => {
    expect(formatPounds(123456)).toBe("£1,234.56");
    expect(formatPounds(-5)).toBe("-£0.05");
    expect(formatPounds(0)).toBe("£0.00");
  });
});
