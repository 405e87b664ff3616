import { describe, expect, it } from "vitest";
import { RecentDeliveries } from "../../src/webhooks/deliveries.js";

function gate() {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe("RecentDeliveries", () => {
  it("remembers a success for the window, then forgets it", async () => {
    let now = 1_000;
    const seen = new RecentDeliveries({ windowMs: 60_000, maxEntries: 100, now: () => now });
    expect(seen.lookup("a")).toBeUndefined();
    expect(await seen.start("a", async () => {})).toBe(true);
    expect(seen.lookup("a")).toBe("done");
    now += 59_999;
    expect(seen.lookup("a")).toBe("done");
    now += 1;
    expect(seen.lookup("a")).toBeUndefined();
    expect(seen.remembered).toBe(0);
  });

  it("forgets a failure at once, so the next attempt runs again", async () => {
    const seen = new RecentDeliveries({ windowMs: 60_000, maxEntries: 100, now: () => 0 });
    expect(
      await seen.start("a", async () => {
        throw new Error("db down");
      }),
    ).toBe(false);
    expect(seen.lookup("a")).toBeUndefined();
    expect(seen.running).toBe(0);
  });

  it("a synchronous throw is a failure, not an exception out of start", async () => {
    const seen = new RecentDeliveries({ windowMs: 60_000, maxEntries: 100, now: () => 0 });
    const work = (() => {
      throw new Error("sync");
    }) as unknown as () => Promise<void>;
    expect(await seen.start("a", work)).toBe(false);
  });

  it("while a run is in progress, lookup hands back that run", async () => {
    const seen = new RecentDeliveries({ windowMs: 60_000, maxEntries: 100, now: () => 0 });
    const g = gate();
    const run = seen.start("a", () => g.promise);
    expect(seen.running).toBe(1);
    expect(seen.lookup("a")).toBe(run);
    g.open();
    expect(await run).toBe(true);
    expect(seen.lookup("a")).toBe("done");
    expect(seen.running).toBe(0);
  });

  it("keeps at most maxEntries, dropping the oldest first", async () => {
    let now = 0;
    const seen = new RecentDeliveries({ windowMs: 3_600_000, maxEntries: 3, now: () => now });
    for (const key of ["a", "b", "c", "d", "e"]) {
      now++;
      await seen.start(key, async () => {});
    }
    expect(seen.remembered).toBe(3);
    expect(["a", "b", "c", "d", "e"].map((k) => seen.lookup(k))).toEqual([
      undefined,
      undefined,
      "done",
      "done",
      "done",
    ]);
  });

  it("memory stays bounded under 100,000 distinct events", async () => {
    let now = 0;
    const seen = new RecentDeliveries({ windowMs: 3_600_000, maxEntries: 1_000, now: () => now });
    for (let i = 0; i < 100_000; i++) {
      now++;
      await seen.start(`k${i}`, async () => {});
    }
    expect(seen.remembered).toBe(1_000);
    expect(seen.lookup("k99999")).toBe("done");
    expect(seen.lookup("k98999")).toBeUndefined();
  });
});
