import { join } from "node:path";
import type { Account, Transaction } from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { openMirrorForWrite } from "../../src/mirror/database.js";
import { MirrorStore } from "../../src/mirror/store.js";
import { tempHome } from "../helpers.js";

const account = {
  id: "acc_1",
  description: "user_1",
  created: "2026-01-01T00:00:00Z",
  closed: false,
  type: "uk_retail",
  currency: "GBP",
} as Account;

const tx = (id: string, created: string, extra: Partial<Transaction> = {}): Transaction =>
  ({
    id,
    account_id: "acc_1",
    created,
    description: "TESCO",
    amount: -100,
    currency: "GBP",
    merchant: null,
    notes: "",
    metadata: {},
    settled: "",
    ...extra,
  }) as Transaction;

async function store() {
  const db = await openMirrorForWrite(join(await tempHome(), "m.db"));
  const s = new MirrorStore(db);
  const syncId = s.startSync("2026-02-01T00:00:00Z");
  s.transaction(() => s.upsertAccount(account, "2026-02-01T00:00:00Z"));
  return { db, s, syncId };
}

describe("the mirror store", () => {
  it("adds new transactions, updates changed ones with what changed, and leaves equal ones alone", async () => {
    const { db, s, syncId } = await store();
    const at1 = "2026-02-01T00:00:00Z";
    expect(
      s.transaction(() => s.upsertTransactions("acc_1", [tx("tx_1", "2026-01-10T00:00:00Z")], syncId, at1)),
    ).toEqual({
      added: 1,
      changed: 0,
      fields: {},
    });
    const settled = tx("tx_1", "2026-01-10T00:00:00Z", { settled: "2026-01-11T00:00:00Z", amount: -120 });
    const at2 = "2026-02-02T00:00:00Z";
    expect(s.transaction(() => s.upsertTransactions("acc_1", [settled], syncId, at2))).toEqual({
      added: 0,
      changed: 1,
      fields: { amount: 1, settled: 1 },
    });
    expect(db.prepare("SELECT status, amount, first_seen, last_changed FROM transactions").get()).toEqual({
      status: "settled",
      amount: -120,
      first_seen: at1,
      last_changed: at2,
    });
    // The same content in another key order is no change.
    const reordered = Object.fromEntries(Object.entries(settled).reverse()) as Transaction;
    expect(s.upsertTransactions("acc_1", [reordered, settled], syncId, at2)).toEqual({
      added: 0,
      changed: 0,
      fields: {},
    });
    expect(db.prepare("SELECT count(*) AS n FROM transaction_changes").get()).toEqual({ n: 1 });
  });

  it("marks transactions Monzo stopped returning as removed, keeps them, and restores one that comes back", async () => {
    const { db, s, syncId } = await store();
    const txs = [
      tx("tx_1", "2026-01-10T00:00:00Z"),
      tx("tx_2", "2026-01-20T00:00:00Z"),
      tx("tx_3", "2026-01-30T00:00:00Z"),
    ];
    s.transaction(() => s.upsertTransactions("acc_1", txs, syncId, "2026-02-01T00:00:00Z"));
    // A complete read from 15 January returned only tx_3: tx_2 is gone; tx_1 is older than the read.
    expect(
      s.markRemoved("acc_1", Date.parse("2026-01-15T00:00:00Z"), new Set(["tx_3"]), "2026-02-02T00:00:00Z"),
    ).toBe(1);
    expect(db.prepare("SELECT id, removed_at FROM transactions ORDER BY id").all()).toEqual([
      { id: "tx_1", removed_at: null },
      { id: "tx_2", removed_at: "2026-02-02T00:00:00Z" },
      { id: "tx_3", removed_at: null },
    ]);
    expect(s.count("acc_1")).toBe(2);
    expect(s.upsertTransactions("acc_1", [txs[1]!], syncId, "2026-02-03T00:00:00Z")).toEqual({
      added: 0,
      changed: 1,
      fields: { reappeared: 1 },
    });
    expect(s.count("acc_1")).toBe(3);
  });

  it("counts an account's transactions from the partial index, never reading the rows (a no-change sync stays flat)", async () => {
    const { db } = await store();
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT count(*) AS n FROM transactions WHERE account_id = ? AND removed_at IS NULL",
      )
      .all("acc_1") as { detail: string }[];
    expect(plan.map((p) => p.detail).join("\n")).toMatch(
      /USING COVERING INDEX transactions_present|USING INDEX transactions_present/,
    );
  });

  it("keeps coverage merged", async () => {
    const { s } = await store();
    s.addCoverage("acc_1", 100, 200);
    s.addCoverage("acc_1", 300, 400);
    s.addCoverage("acc_1", 200, 300);
    s.addCoverage("acc_1", 500, 500);
    expect(s.coverage("acc_1")).toEqual([{ sinceMs: 100, untilMs: 400 }]);
  });

  it("a batch that throws leaves nothing behind", async () => {
    const { db, s, syncId } = await store();
    expect(() =>
      s.transaction(() => {
        s.upsertTransactions("acc_1", [tx("tx_1", "2026-01-10T00:00:00Z")], syncId, "2026-02-01T00:00:00Z");
        s.upsertTransactions("acc_1", [tx("tx_2", "not a time")], syncId, "2026-02-01T00:00:00Z");
      }),
    ).toThrow(/unreadable created time/);
    expect(db.prepare("SELECT count(*) AS n FROM transactions").get()).toEqual({ n: 0 });
  });
});
