import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTime, parseTime } from "../../src/util/time.js";

describe("formatTime", () => {
  it("trims trailing zeros of the milliseconds, as Monzo does", () => {
    expect(formatTime(Date.parse("2022-08-31T02:02:20.440Z"))).toBe("2022-08-31T02:02:20.44Z");
    expect(formatTime(Date.parse("2022-08-30T06:00:00.000Z"))).toBe("2022-08-30T06:00:00Z");
    expect(formatTime(Date.parse("2017-11-09T12:30:53.695Z"))).toBe("2017-11-09T12:30:53.695Z");
  });
  it("round-trips through parseTime (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(parseTime(formatTime(ms))).toBe(ms);
      }),
    );
  });
});

describe("parseTime", () => {
  it("accepts RFC 3339 with 0–9 fractional digits and offsets", () => {
    expect(parseTime("2009-11-10T23:00:00Z")).toBe(Date.UTC(2009, 10, 10, 23));
    expect(parseTime("2009-11-10T23:00:00.123456789Z")).toBe(Date.UTC(2009, 10, 10, 23, 0, 0, 123));
    expect(parseTime("2009-11-11T00:00:00+01:00")).toBe(Date.UTC(2009, 10, 10, 23));
    expect(parseTime("2009-11-10t23:00:00z")).toBe(Date.UTC(2009, 10, 10, 23));
  });
  it("refuses everything else", () => {
    for (const bad of [
      "",
      "2009-11-10",
      "2009-11-10T23:00Z",
      "2009-13-10T23:00:00Z",
      "yesterday",
      "1257894000",
      "2009-11-10T23:00:00",
    ]) {
      expect(parseTime(bad)).toBeUndefined();
    }
  });
  it("never throws on arbitrary text (property)", () => {
    fc.assert(fc.property(fc.string(), (s) => void parseTime(s)));
  });
});
