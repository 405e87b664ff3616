import { describe, expect, it } from "vitest";
import { Clock } from "../../src/util/clock.js";

describe("Clock", () => {
  it("a frozen clock moves only when told", () => {
    const c = new Clock({ start: "2026-01-01T00:00:00Z", frozen: true });
    expect(c.now()).toBe(Date.UTC(2026, 0, 1));
    c.advance(5000);
    expect(c.now()).toBe(Date.UTC(2026, 0, 1) + 5000);
    c.set(Date.UTC(2030, 0, 1));
    expect(c.now()).toBe(Date.UTC(2030, 0, 1));
  });
  it("a running clock keeps its offset from real time", () => {
    const c = new Clock({ start: Date.now() - 86_400_000 });
    const drift = Date.now() - 86_400_000 - c.now();
    expect(Math.abs(drift)).toBeLessThan(1000);
    c.advance(86_400_000);
    expect(Math.abs(Date.now() - c.now())).toBeLessThan(1000);
  });
  it("can freeze and thaw without jumping", () => {
    const c = new Clock({ start: "2026-01-01T00:00:00Z" });
    c.freeze(true);
    const at = c.now();
    expect(c.frozen).toBe(true);
    c.freeze(false);
    expect(Math.abs(c.now() - at)).toBeLessThan(1000);
  });
  it("refuses a start that is not a timestamp", () => {
    expect(() => new Clock({ start: "soon" })).toThrow(/RFC 3339/);
  });
});
