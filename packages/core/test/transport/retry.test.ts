import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "../../src/transport/retry.js";

describe("retry timing", () => {
  it("reads Retry-After in seconds and as an HTTP date", () => {
    const now = Date.parse("2026-06-01T12:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Mon, 01 Jun 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 01 Jun 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
  it("never throws and never returns a negative wait (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 4e12 }), (text, now) => {
        const ms = parseRetryAfter(text, now);
        expect(ms === undefined || ms >= 0).toBe(true);
      }),
    );
  });
  it("backs off exponentially with full jitter, capped", () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, () => 1))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(3, () => 0)).toBe(0);
    fc.assert(
      fc.property(fc.nat(30), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (a, r) => {
        const d = backoffDelay(a, () => r);
        expect(d >= 0 && d <= 8000).toBe(true);
      }),
    );
  });
  it("retries only 408, 429 and 5xx", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 401, 403, 404, 405, 409].some(isRetryableStatus)).toBe(false);
  });
});
