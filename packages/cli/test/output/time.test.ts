import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareInstants, formatInstant, parseWhen, timeZoneFor } from "../../src/output/time.js";

describe("formatInstant", () => {
  it("shows the local time with its zone's name, or UTC", () => {
    expect(formatInstant("2026-11-30T10:56:31.7Z", "Europe/London")).toBe("2026-11-30 10:56 GMT");
    expect(formatInstant("2026-06-30T10:56:31.7Z", "Europe/London")).toBe("2026-06-30 11:56 BST");
    expect(formatInstant("2026-06-30T10:56:31.7Z", "UTC")).toBe("2026-06-30 10:56 UTC");
    expect(formatInstant("2026-06-30T23:30:00Z", "Asia/Tokyo")).toBe("2026-07-01 08:30 GMT+9");
    expect(formatInstant("not a time", "UTC")).toBe("not a time");
  });

  it("takes the zone from --utc, then TZ, then the system", () => {
    expect(timeZoneFor({ TZ: "Europe/London" }, true)).toBe("UTC");
    expect(timeZoneFor({ TZ: "Europe/London" }, false)).toBe("Europe/London");
    expect(timeZoneFor({ TZ: ":Europe/Paris" }, false)).toBe("Europe/Paris");
    expect(timeZoneFor({ TZ: "Not/AZone" }, false)).toBeUndefined();
    expect(timeZoneFor({}, false)).toBeUndefined();
  });
});

describe("compareInstants", () => {
  it("orders by instant, not by text", () => {
    const times = [
      "2026-01-01T10:00:31.7Z",
      "2026-01-01T10:00:31.692Z",
      "2026-01-01T10:00:31Z",
      "2026-01-01T10:00:31.6925Z",
    ];
    expect([...times].sort(compareInstants)).toEqual([
      "2026-01-01T10:00:31Z",
      "2026-01-01T10:00:31.692Z",
      "2026-01-01T10:00:31.6925Z",
      "2026-01-01T10:00:31.7Z",
    ]);
  });

  it("agrees with the instants' order for any two times (property)", () => {
    const instant = fc.date({
      min: new Date("2015-01-01"),
      max: new Date("2035-01-01"),
      noInvalidDate: true,
    });
    // Monzo trims trailing zeros from the fraction (REFERENCE §1.6).
    const trimmed = (d: Date) => d.toISOString().replace(/\.?0+Z$/, "Z");
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        expect(Math.sign(compareInstants(trimmed(a), trimmed(b)))).toBe(Math.sign(a.getTime() - b.getTime()));
      }),
    );
  });
});

describe("parseWhen", () => {
  it("reads YYYY-MM-DD as midnight in the zone, across daylight saving", () => {
    expect(parseWhen("2026-01-31", "--since", "UTC")).toBe("2026-01-31T00:00:00.000Z");
    expect(parseWhen("2026-06-01", "--since", "Europe/London")).toBe("2026-05-31T23:00:00.000Z");
    expect(parseWhen("2026-03-29", "--since", "Europe/London")).toBe("2026-03-29T00:00:00.000Z");
    expect(parseWhen("2026-03-30", "--since", "Europe/London")).toBe("2026-03-29T23:00:00.000Z");
    expect(parseWhen("2026-10-25", "--since", "Europe/London")).toBe("2026-10-24T23:00:00.000Z");
    expect(parseWhen("2024-02-29", "--since", "UTC")).toBe("2024-02-29T00:00:00.000Z");
  });

  it("reads RFC 3339 with its offset", () => {
    expect(parseWhen("2026-01-31T12:00:00Z", "--since", "Europe/London")).toBe("2026-01-31T12:00:00.000Z");
    expect(parseWhen("2026-01-31T12:00:00+01:00", "--since", undefined)).toBe("2026-01-31T11:00:00.000Z");
    expect(parseWhen("2026-01-31T12:00:00.123456Z", "--since", undefined)).toBe("2026-01-31T12:00:00.123Z");
  });

  it("refuses what it would have to guess: other formats, days that do not exist, times without a zone", () => {
    for (const bad of [
      "01/02/2026",
      "2026-02-30",
      "2025-02-29",
      "2026-13-01",
      "2026-1-5",
      "2026-01-31T12:00",
      "2026-01-31T12:00:00",
      "2026-01-31T25:00:00Z",
      "2026-01-31T12:00:00+25:00",
      "yesterday",
      "1767225600",
      "",
    ])
      expect(() => parseWhen(bad, "--since", "UTC"), bad).toThrow(/--since ".*" (is not|has an offset)/);
  });

  it("round-trips every day in either form, in any zone (property)", () => {
    const zones = fc.constantFrom(
      "UTC",
      "Europe/London",
      "America/New_York",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
    );
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01"), max: new Date("2040-01-01"), noInvalidDate: true }),
        zones,
        (d, zone) => {
          const iso = d.toISOString();
          expect(parseWhen(iso, "--since", zone)).toBe(iso);
          const day = iso.slice(0, 10);
          const midnight = parseWhen(day, "--since", zone);
          // Midnight in the zone is shown as that day at 00:00 (or 01:00 where midnight does not exist).
          expect(formatInstant(midnight, zone).slice(0, 10)).toBe(day);
          expect(formatInstant(midnight, zone).slice(11, 16)).toMatch(/^0[01]:00$/);
        },
      ),
      { numRuns: 500 },
    );
  });
});
