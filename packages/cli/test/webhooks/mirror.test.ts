/**
 * The mirror writer of `webhooks listen` directly, over the emulator's API: what it asks Monzo, and how
 * much a flood of events (forged or not) can make it hold.
 */
import { join } from "node:path";
import { MonzoClient } from "@monzokit/core";
import { createEmulator } from "@monzokit/emulator";
import { afterEach, describe, expect, it } from "vitest";
import { syncMirror } from "../../src/mirror/sync.js";
import { mirrorWriter } from "../../src/webhooks/mirror.js";
import { fakeIo, tempHome } from "../helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("mirrorWriter", () => {
  it("holds at most maxPending events waiting for Monzo's answer; the rest are left to the next sync, said once", async () => {
    const e = createEmulator({ seed: "cli-mirror-writer", transactions: 20 });
    cleanups.push(() => e.close());
    const accessToken = e.control.token();
    const db = join(await tempHome(), "mirror.db");
    await syncMirror({
      client: new MonzoClient({ accessToken, fetch: e.fetch, apiUrl: "http://127.0.0.1:9" }),
      db,
      now: () => e.control.now(),
    });
    // Monzo answers only once the flood has arrived: every confirmation is in flight at once.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let asked = 0;
    const client = new MonzoClient({
      accessToken,
      apiUrl: "http://127.0.0.1:9",
      fetch: async (input, init) => {
        asked++;
        await gate;
        return e.fetch(input, init);
      },
    });
    const t = fakeIo();
    const writer = mirrorWriter({
      io: t.io,
      path: db,
      client,
      quiet: false,
      maxPending: 5,
      answerWithinMs: 1,
    });
    const forged = (i: number) =>
      ({ id: `tx_forged${i}`, account_id: "acc_x", amount: -1, created: "2026-01-01T00:00:00Z" }) as never;
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.add(forged(i))));
    open();
    await writer.close();
    // One confirmation at a time, and no more than five ever waited: 5 asked, 45 dropped with one line.
    expect(asked).toBe(5);
    expect(t.stderr().match(/arrived faster than Monzo could confirm/g)).toHaveLength(1);
    expect(t.stderr()).toContain(
      "45 events were not added to the mirror: they arrived faster than Monzo could confirm them. The next monzo sync reads them.\n",
    );
  });
});
