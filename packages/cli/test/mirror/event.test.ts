import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseWebhookEvent, type Transaction } from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { openMirrorForWrite } from "../../src/mirror/database.js";
import { MirrorBusyError, MirrorError } from "../../src/mirror/errors.js";
import { addTransactionToMirror } from "../../src/mirror/event.js";
import { prepareMirrorFile } from "../../src/mirror/files.js";
import { acquireSyncLock } from "../../src/mirror/lock.js";
import { syncMirror } from "../../src/mirror/sync.js";
import { tempHome } from "../helpers.js";
import { type MirrorFixture, mirrorFixture } from "./fixtures.js";

const sync = (f: MirrorFixture) => syncMirror({ client: f.client, db: f.db, now: f.now });

/** What a `transaction.created` webhook carries: the transaction with its merchant (REFERENCE §11.4). */
async function eventData(f: MirrorFixture, id: string): Promise<Transaction> {
  const data = await f.client.transactions.retrieve(id, { expandMerchant: true });
  const event = parseWebhookEvent(JSON.stringify({ type: "transaction.created", data }));
  if (event.kind !== "transaction.created") throw new Error("not a transaction event");
  return event.data;
}

describe("addTransactionToMirror", () => {
  it("adds a new transaction as a sync would, and the next sync finds nothing changed", async () => {
    const f = await mirrorFixture({ transactions: 200 });
    await sync(f);
    const accountId = f.query("SELECT id FROM accounts WHERE type = 'uk_retail'")[0]!["id"] as string;
    const tx = await f.spend(accountId, -1234, { merchant: "pub" });
    const at = Date.parse("2026-06-01T12:30:00Z");
    expect(
      await addTransactionToMirror({ db: f.db, transaction: await eventData(f, tx.id), now: () => at }),
    ).toBe("added");
    const [row] = f.query("SELECT * FROM transactions WHERE id = ?", tx.id);
    expect(row).toMatchObject({
      account_id: accountId,
      amount: -1234,
      status: "pending",
      first_seen: "2026-06-01T12:30:00.000Z",
      last_changed: "2026-06-01T12:30:00.000Z",
      removed_at: null,
    });
    expect(row!["merchant_id"]).toMatch(/^merch_/);
    const report = await sync(f);
    expect(report.changed).toBe(0);
    expect(report.added).toBe(0);
    expect(f.query("SELECT * FROM transactions WHERE id = ?", tx.id)).toEqual([row]);
    expect(f.query("SELECT count(*) AS n FROM transaction_changes")).toEqual([{ n: 0 }]);
  });

  it("never overwrites what the mirror has: a late event for a transaction that has settled since", async () => {
    const f = await mirrorFixture({ transactions: 200 });
    await sync(f);
    const accountId = f.query("SELECT id FROM accounts WHERE type = 'uk_retail'")[0]!["id"] as string;
    const tx = await f.spend(accountId, -500, { merchant: "pub" });
    const asCreated = await eventData(f, tx.id);
    f.emulator.control.advanceClock(3 * 86_400_000);
    await sync(f);
    const [settled] = f.query("SELECT * FROM transactions WHERE id = ?", tx.id);
    expect(settled!["status"]).toBe("settled");
    expect(await addTransactionToMirror({ db: f.db, transaction: asCreated })).toBe("present");
    expect(f.query("SELECT * FROM transactions WHERE id = ?", tx.id)).toEqual([settled]);
  });

  it("writes nothing for an account the mirror does not have yet", async () => {
    const f = await mirrorFixture({ transactions: 200 });
    const accountId = (await f.client.accounts.list({ accountType: "uk_retail" }))[0]!.id;
    const tx = await f.spend(accountId, -100);
    // A mirror made but never synced: its schema, no accounts.
    await prepareMirrorFile(f.db, { createDir: false });
    (await openMirrorForWrite(f.db)).close();
    expect(await addTransactionToMirror({ db: f.db, transaction: await eventData(f, tx.id) })).toBe(
      "unknown-account",
    );
    expect(f.query("SELECT count(*) AS n FROM transactions")).toEqual([{ n: 0 }]);
  });

  it("says at once when a sync holds the mirror, and never creates a mirror where there is none", async () => {
    const f = await mirrorFixture({ transactions: 200 });
    await sync(f);
    const accountId = f.query("SELECT id FROM accounts WHERE type = 'uk_retail'")[0]!["id"] as string;
    const transaction = await eventData(f, (await f.spend(accountId, -100)).id);
    const lock = await acquireSyncLock(`${f.db}.sync-lock`, { waitMs: 0, displayPath: f.db });
    await expect(addTransactionToMirror({ db: f.db, transaction })).rejects.toBeInstanceOf(MirrorBusyError);
    lock.release();
    expect(await addTransactionToMirror({ db: f.db, transaction })).toBe("added");

    const dir = await tempHome();
    const missing = addTransactionToMirror({ db: join(dir, "none.db"), transaction });
    await expect(missing).rejects.toBeInstanceOf(MirrorError);
    await writeFile(join(dir, "other.db"), "not a database, and not empty");
    await expect(addTransactionToMirror({ db: join(dir, "other.db"), transaction })).rejects.toThrow(
      /not a Monzokit mirror/,
    );
  });
});
