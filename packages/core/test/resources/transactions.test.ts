/**
 * `transactions.list` paging against the emulator: forward with `since`, backward without it, and
 * transactions created at the same instant across a page boundary (REFERENCE §3.1: `before` is an
 * exclusive timestamp, so a backward page must not skip the rest of an instant it cut through).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shapedAccount } from "../../../../test-support/account-shapes.js";
import { MonzoClient } from "../../src/index.js";

const DAY = 86_400_000;

function client(shape: ReturnType<typeof shapedAccount>) {
  return new MonzoClient({
    accessToken: shape.token,
    fetch: shape.emulator.fetch,
    apiUrl: "http://127.0.0.1:9",
  });
}

async function backward(c: MonzoClient, accountId: string, limit: number): Promise<string[]> {
  const pages: string[][] = [];
  for await (const page of c.transactions.list({ accountId, limit }).pages())
    pages.push(page.items.map((t) => t.id));
  return pages.reverse().flat();
}

describe("transactions.list", () => {
  it("pages backward without losing transactions that share the instant a page boundary cut", async () => {
    const now = Date.now();
    // 150 transactions; numbers 40–59 share one instant, so the newest page of 100 ends inside it.
    const instant = now - 20 * DAY;
    const times = Array.from({ length: 150 }, (_, i) =>
      i < 40 ? now - 40 * DAY + i * 1000 : i < 60 ? instant : instant + (i - 59) * 60_000,
    );
    const shape = shapedAccount(times, 1, { now });
    expect(await backward(client(shape), shape.accountId, 100)).toEqual(shape.ids);
    shape.emulator.close();
  });

  it("pages backward through a run of one instant longer than a page", async () => {
    const now = Date.now();
    const instant = now - 10 * DAY;
    const times = [
      ...Array.from({ length: 30 }, (_, i) => instant - (30 - i) * 1000),
      ...Array.from({ length: 250 }, () => instant),
      ...Array.from({ length: 30 }, (_, i) => instant + (i + 1) * 1000),
    ];
    const shape = shapedAccount(times, 1, { now });
    expect(await backward(client(shape), shape.accountId, 100)).toEqual(shape.ids);
    expect(await backward(client(shape), shape.accountId, 7)).toEqual(shape.ids);
    shape.emulator.close();
  });

  it("backward and forward paging agree on any layout of instants (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 0, maxLength: 400, size: "max" }),
        fc.integer({ min: 1, max: 100 }),
        async (slots, limit) => {
          const now = Date.now();
          // Few distinct instants, so many transactions share one.
          const times = slots.map((s) => now - s * 60_000).sort((a, b) => a - b);
          const shape = shapedAccount(times, 1, { now });
          const c = client(shape);
          const back = await backward(c, shape.accountId, limit);
          expect(back).toEqual(shape.ids);
          const forward = await c.transactions
            .list({ accountId: shape.accountId, since: new Date(now - DAY), limit })
            .toArray();
          expect(forward.map((t) => t.id)).toEqual(shape.ids);
          shape.emulator.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
