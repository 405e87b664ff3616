import { describe, expect, it } from "vitest";
import { compareMirrorWithBank } from "../../../../test-support/mirror.js";
import { MirrorBusyError } from "../../src/mirror/errors.js";
import { DEFAULT_TRAILING_DAYS, REACH_DAYS, syncMirror } from "../../src/mirror/sync.js";
import { DAY, type MirrorFixture, mirrorFixture, type SeenRequest } from "./fixtures.js";

const sync = (f: MirrorFixture, extra: Partial<Parameters<typeof syncMirror>[0]> = {}) =>
  syncMirror({ client: f.client, db: f.db, now: f.now, ...extra });

const listReads = (seen: SeenRequest[], accountId: string) =>
  seen.filter((r) => r.method === "GET" && r.path === "/transactions" && r.accountId === accountId).length;

/** The account's transactions at the bank created at or after `sinceMs` (the emulator's own ledger). */
const bankCount = (f: MirrorFixture, accountId: string, sinceMs: number) =>
  f.emulator.state.bank.accounts.get(accountId)!.transactions.filter((t) => t.createdMs >= sinceMs).length;

describe("syncMirror against the emulator", () => {
  it("the first sync inside the full-history window mirrors every account's whole history, field for field", async () => {
    const f = await mirrorFixture();
    const report = await sync(f);
    const accounts = await f.client.accounts.list();
    expect(report.accounts.map((a) => a.id)).toEqual(accounts.map((a) => a.id));
    expect(report.added).toBeGreaterThan(1000);
    expect(report.changed).toBe(0);
    const current = report.accounts.find((a) => a.type === "uk_retail")!;
    expect(current.history).toMatchObject({ complete: true, missing: [] });
    expect(current.historyLimited).toBe(false);
    expect(current.balance?.balance).toBe((await f.client.balance.retrieve(current.id)).balance);

    const comparison = await compareMirrorWithBank(f.db, f.client);
    expect(comparison.differences).toEqual([]);
    expect(comparison.transactions).toBe(report.added);

    // Joint and closed accounts are there, each flagged; a balance per account read; every pot, deleted too.
    const rows = f.query("SELECT type, closed, joint FROM accounts ORDER BY type");
    expect(rows).toContainEqual({ type: "uk_retail_joint", closed: 0, joint: 1 });
    expect(rows).toContainEqual({ type: "uk_prepaid", closed: 1, joint: 0 });
    expect(f.query("SELECT count(*) AS n FROM balances")[0]!["n"]).toBe(
      report.accounts.filter((a) => a.balance).length,
    );
    const pots = await f.client.pots.list(current.id);
    expect(
      f.query("SELECT id, balance, deleted FROM pots WHERE account_id = ? ORDER BY id", current.id),
    ).toEqual(
      pots
        .map((p) => ({ id: p.id, balance: p.balance, deleted: p.deleted ? 1 : 0 }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(f.query("SELECT count(*) AS n FROM merchants")[0]!["n"]).toBeGreaterThan(10);
    expect(f.query("SELECT outcome, added FROM syncs")).toEqual([{ outcome: "ok", added: report.added }]);
  });

  it("outside the window the first sync reads the last 89 days and says so; a later login with fullHistory completes it", async () => {
    const f = await mirrorFixture();
    f.emulator.control.advanceClock(6 * 60_000);
    const limited = await sync(f);
    const current = limited.accounts.find((a) => a.type === "uk_retail")!;
    expect(current.historyLimited).toBe(true);
    expect(current.history.complete).toBe(false);
    expect(current.history.missing).toHaveLength(1);
    expect(current.history.since).toBe(new Date(f.now() - REACH_DAYS * DAY).toISOString());
    expect(current.transactions).toBe(bankCount(f, current.id, f.now() - REACH_DAYS * DAY));
    expect(current.transactions).toBeLessThan(
      f.emulator.state.bank.accounts.get(current.id)!.transactions.length,
    );

    // A plain sync later cannot get the rest, and does not spend requests trying.
    const plain = await f.counting(() => sync(f));
    expect(plain.result.accounts.find((a) => a.id === current.id)!.history.complete).toBe(false);

    // With the window closed, asking for the full history is refused in the report, and nothing breaks.
    const refused = await sync(f, { fullHistory: true });
    expect(refused.accounts.find((a) => a.id === current.id)!.fullHistoryRefused).toBe(true);

    // A new login opens the window: the missing years come in and the mirror is the whole bank.
    f.client = f.freshLogin();
    const full = await sync(f, { fullHistory: true });
    const after = full.accounts.find((a) => a.id === current.id)!;
    expect(after.history).toMatchObject({ complete: true, missing: [] });
    expect(after.added).toBe(
      f.emulator.state.bank.accounts.get(current.id)!.transactions.length - current.transactions,
    );
    expect((await compareMirrorWithBank(f.db, f.client)).differences).toEqual([]);
  });

  it("a mirror left alone for 100 days catches up on the last 89, names the gap, and a new login with fullHistory fills it", async () => {
    const f = await mirrorFixture();
    await sync(f);
    const lastRead = f.now();
    f.emulator.control.advanceClock(100 * DAY);
    // The old login has expired by now; a new one whose full-history window has closed again.
    f.client = f.freshLogin();
    f.emulator.control.advanceClock(6 * 60_000);
    const late = await sync(f);
    const current = late.accounts.find((a) => a.type === "uk_retail")!;
    expect(current.historyLimited).toBe(true);
    expect(current.history.complete).toBe(false);
    expect(current.history.missing).toEqual([
      {
        // The trailing window before the last read could not be read again either: it may have changed.
        from: new Date(lastRead - DEFAULT_TRAILING_DAYS * DAY).toISOString(),
        to: new Date(f.now() - REACH_DAYS * DAY).toISOString(),
      },
    ]);
    f.client = f.freshLogin();
    const filled = await sync(f, { fullHistory: true });
    expect(filled.accounts.find((a) => a.id === current.id)!.history).toMatchObject({
      complete: true,
      missing: [],
    });
    expect((await compareMirrorWithBank(f.db, f.client)).differences).toEqual([]);
  });

  it("a sync with nothing new costs at most 1 + ⌈n/100⌉ transaction reads per account (n in the trailing window), a balance and a pots read, whatever the mirror's size", async () => {
    for (const size of [400, 20_000]) {
      const f = await mirrorFixture({ transactions: size, seed: `bound-${size}` });
      await sync(f);
      const counted = () => f.emulator.state.routeCounts.get("GET /transactions") ?? 0;
      const before = counted();
      const { result, seen } = await f.counting(() => sync(f));
      expect(result.added + result.changed + result.removed).toBe(0);
      const since = f.now() - DEFAULT_TRAILING_DAYS * DAY;
      let reads = 0;
      for (const account of result.accounts) {
        const n = bankCount(f, account.id, since);
        const mine = listReads(seen, account.id);
        expect({ account: account.type, size, reads: mine <= 1 + Math.ceil(n / 100) }).toEqual({
          account: account.type,
          size,
          reads: true,
        });
        expect(mine).toBeGreaterThanOrEqual(1);
        reads += mine;
      }
      // The emulator counted the same transaction reads.
      expect(counted() - before).toBe(reads);
      const balanceReads = seen.filter((r) => r.path === "/balance").length;
      const potReads = seen.filter((r) => r.path === "/pots").length;
      expect(balanceReads).toBe(result.accounts.length);
      expect(potReads).toBeLessThanOrEqual(result.accounts.length);
      // Nothing else: one accounts list, no retrieve, no probe.
      expect(seen.length).toBe(1 + balanceReads + potReads + reads);
    }
  }, 60_000);

  it("new transactions, a decline among them, are added and reported per account", async () => {
    const f = await mirrorFixture();
    const first = await sync(f);
    const current = first.accounts.find((a) => a.type === "uk_retail")!;
    f.emulator.control.advanceClock(60 * 60_000);
    const a = await f.spend(current.id, -1234);
    const b = await f.spend(current.id, -999, { decline_reason: "INSUFFICIENT_FUNDS" });
    const c = await f.spend(current.id, -500, { settled: true });
    const report = await sync(f);
    const mine = report.accounts.find((x) => x.id === current.id)!;
    expect(mine).toMatchObject({ added: 3, changed: 0, removed: 0, transactions: current.transactions + 3 });
    expect(report.accounts.filter((x) => x.id !== current.id).every((x) => x.added === 0)).toBe(true);
    expect(
      f.query(
        "SELECT id, status, amount, decline_reason FROM transactions WHERE id IN (?, ?, ?) ORDER BY amount",
        a.id,
        b.id,
        c.id,
      ),
    ).toEqual([
      { id: a.id, status: "pending", amount: -1234, decline_reason: null },
      { id: b.id, status: "declined", amount: -999, decline_reason: "INSUFFICIENT_FUNDS" },
      { id: c.id, status: "settled", amount: -500, decline_reason: null },
    ]);
    // A declined payment is no spending.
    const month = new Date(f.now()).toISOString().slice(0, 7);
    const spent = f.query(
      "SELECT sum(spent) AS s FROM spending_by_category_month WHERE account_id = ? AND month = ?",
      current.id,
      month,
    )[0]!["s"] as number;
    const expected = f.query(
      "SELECT -sum(amount) AS s FROM transactions WHERE account_id = ? AND status != 'declined' AND include_in_spending = 1 AND strftime('%Y-%m', created_ms / 1000, 'unixepoch') = ?",
      current.id,
      month,
    )[0]!["s"];
    expect(spent).toBe(expected);
    expect((await compareMirrorWithBank(f.db, f.freshLogin())).differences).toEqual([]);
  });

  it("an annotate edit is picked up as a change, keeping the row before and when it was first seen", async () => {
    const f = await mirrorFixture();
    const first = await sync(f);
    const current = first.accounts.find((a) => a.type === "uk_retail")!;
    const [target] = f.query(
      "SELECT id, first_seen FROM transactions WHERE account_id = ? ORDER BY created_ms DESC LIMIT 1 OFFSET 3",
      current.id,
    );
    f.emulator.control.advanceClock(60_000);
    await f.client.transactions.annotate(String(target!["id"]), { notes: "Team lunch 🍜" });
    const report = await sync(f);
    const mine = report.accounts.find((x) => x.id === current.id)!;
    expect(mine.changed).toBe(1);
    expect(mine.added).toBe(0);
    expect(mine.changedFields).toMatchObject({ notes: 1, metadata: 1 });
    const [row] = f.query(
      "SELECT notes, first_seen, last_changed FROM transactions WHERE id = ?",
      String(target!["id"]),
    );
    expect(row).toMatchObject({ notes: "Team lunch 🍜", first_seen: target!["first_seen"] });
    expect(row!["last_changed"]).not.toBe(target!["first_seen"]);
    const [change] = f.query(
      "SELECT fields, before FROM transaction_changes WHERE transaction_id = ?",
      String(target!["id"]),
    );
    expect(JSON.parse(String(change!["fields"]))).toEqual(expect.arrayContaining(["notes", "metadata"]));
    expect(JSON.parse(String(change!["before"])).notes).not.toBe("Team lunch 🍜");
    // Nothing new the time after.
    expect((await sync(f)).changed).toBe(0);
  });

  it("a pending payment that settles at another amount is updated in place, with what changed and the row before", async () => {
    const f = await mirrorFixture();
    const first = await sync(f);
    const current = first.accounts.find((a) => a.type === "uk_retail")!;
    f.emulator.control.advanceClock(10 * 60_000);
    const tip = f.emulator.control.createTransaction({
      accountId: current.id,
      amount: -1250,
      merchant: "pub",
      settleAt: f.now() + 3_600_000,
      settleAmount: -1438,
    });
    const declined = f.emulator.control.createTransaction({
      accountId: current.id,
      amount: -7000,
      kind: "declined",
    });
    const added = await sync(f);
    expect(added.accounts.find((a) => a.id === current.id)).toMatchObject({ added: 2, changed: 0 });
    expect(f.query("SELECT status, amount, settled FROM transactions WHERE id = ?", tip.id)).toEqual([
      { status: "pending", amount: -1250, settled: null },
    ]);
    // Two hours on: the tip settles at -14.38, and so do the seeded payments that were still pending.
    const pending = f
      .query("SELECT id FROM transactions WHERE status = 'pending' AND id != ?", tip.id)
      .map((r) => String(r["id"]));
    f.emulator.control.advanceClock(2 * 3_600_000);
    f.emulator.control.updateTransaction(
      String(
        f.query(
          "SELECT id FROM transactions WHERE account_id = ? AND status = 'settled' ORDER BY created_ms DESC LIMIT 1",
          current.id,
        )[0]!["id"],
      ),
      { category: "holidays" },
    );
    const settledNow = pending.filter((id) => f.emulator.state.bank.transaction(id)!.json.settled !== "");
    const report = await sync(f);
    const mine = report.accounts.find((a) => a.id === current.id)!;
    expect(mine.added).toBe(0);
    expect(report.changed).toBe(1 + 1 + settledNow.length);
    expect(mine.changedFields).toMatchObject({ amount: 1, settled: 1 + settledNow.length, category: 1 });
    const [row] = f.query(
      "SELECT status, amount, settled, first_seen, last_changed FROM transactions WHERE id = ?",
      tip.id,
    );
    expect(row).toMatchObject({ status: "settled", amount: -1438 });
    expect(row!["settled"]).toBe(f.emulator.state.bank.transaction(tip.id)!.json.settled);
    const [change] = f.query(
      "SELECT fields, before FROM transaction_changes WHERE transaction_id = ?",
      tip.id,
    );
    expect(JSON.parse(String(change!["fields"]))).toEqual(
      expect.arrayContaining(["amount", "settled", "updated"]),
    );
    expect(JSON.parse(String(change!["before"]))).toMatchObject({ amount: -1250, settled: "" });
    // The decline stays a decline, and never counts as spending.
    expect(f.query("SELECT status, decline_reason FROM transactions WHERE id = ?", declined.id)).toEqual([
      { status: "declined", decline_reason: "INSUFFICIENT_FUNDS" },
    ]);
    expect(
      f.query("SELECT count(*) AS n FROM spending_by_category_month s WHERE s.transactions > 0")[0]!["n"],
    ).toBeGreaterThan(0);
    expect((await compareMirrorWithBank(f.db, f.freshLogin())).differences).toEqual([]);
  });

  it("an account closed at the bank is marked closed, keeps its history, and still costs only its bound", async () => {
    const f = await mirrorFixture();
    const first = await sync(f);
    const joint = first.accounts.find((a) => a.type === "uk_retail_joint")!;
    expect(joint.closed).toBe(false);
    f.emulator.control.advanceClock(60_000);
    f.emulator.control.closeAccount(joint.id);
    const { result, seen } = await f.counting(() => sync(f));
    const after = result.accounts.find((a) => a.id === joint.id)!;
    expect(after).toMatchObject({ closed: true, transactions: joint.transactions, added: 0, removed: 0 });
    expect(
      f.query("SELECT closed, last_changed != first_seen AS moved FROM accounts WHERE id = ?", joint.id),
    ).toEqual([{ closed: 1, moved: 1 }]);
    expect(listReads(seen, joint.id)).toBeLessThanOrEqual(
      1 + Math.ceil(bankCount(f, joint.id, f.now() - DEFAULT_TRAILING_DAYS * DAY) / 100),
    );
    expect((await compareMirrorWithBank(f.db, f.freshLogin())).differences).toEqual([]);
  });

  it("an account whose transactions Monzo does not share (a Flex backing loan) is noted, and costs one read per sync", async () => {
    const f = await mirrorFixture();
    const first = await sync(f);
    const loan = first.accounts.find((a) => a.type === "uk_monzo_flex_backing_loan")!;
    expect(loan.transactionsRefused).toMatch(/403/);
    const { result, seen } = await f.counting(() => sync(f));
    expect(result.accounts.find((a) => a.id === loan.id)!.transactionsRefused).toMatch(/403/);
    expect(listReads(seen, loan.id)).toBe(1);
  });

  it("two syncs at once: one is told another is running and changes nothing; waiting, both complete", async () => {
    const f = await mirrorFixture();
    const results = await Promise.allSettled([sync(f), sync(f)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(MirrorBusyError);
    expect(f.query("SELECT count(*) AS n FROM syncs")[0]!["n"]).toBe(1);
    f.emulator.control.advanceClock(60_000);
    await f.spend((await f.client.accounts.list({ accountType: "uk_retail" }))[0]!.id, -100);
    const both = await Promise.all([sync(f, { waitMs: 30_000 }), sync(f, { waitMs: 30_000 })]);
    expect(both.map((r) => r.added).sort()).toEqual([0, 1]);
    expect(f.query("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect((await compareMirrorWithBank(f.db, f.freshLogin())).differences).toEqual([]);
  });

  it("a sync cut off half-way keeps what it committed, and the next one completes the mirror", async () => {
    const f = await mirrorFixture({ transactions: 3000 });
    let reads = 0;
    const inner = f.emulator.fetch;
    const cut = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes("/transactions?") && ++reads > 12)
        throw new TypeError("fetch failed: connection reset");
      return inner(input, init);
    }) as typeof fetch;
    const { MonzoClient } = await import("@monzokit/core");
    const flaky = new MonzoClient({
      accessToken: f.emulator.control.token(),
      fetch: cut,
      apiUrl: "http://localhost",
      maxRetries: 0,
    });
    await expect(
      syncMirror({ client: flaky, db: f.db, now: f.now, chunkSize: 200, concurrency: 2 }),
    ).rejects.toThrow();
    const kept = f.query("SELECT count(*) AS n FROM transactions")[0]!["n"] as number;
    expect(kept).toBeGreaterThan(0);
    expect(f.query("SELECT outcome FROM syncs")).toEqual([{ outcome: "failed" }]);
    const next = await sync(f);
    expect(next.added).toBeGreaterThan(0);
    expect((await compareMirrorWithBank(f.db, f.client)).differences).toEqual([]);
  });

  it("checks its options", async () => {
    const f = await mirrorFixture({ transactions: 50 });
    await expect(sync(f, { trailingDays: 90 })).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(sync(f, { trailingDays: 1.5 })).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(sync(f, { accounts: ["acc_nope"] })).rejects.toMatchObject({
      code: "invalid_argument",
      hint: expect.stringMatching(/uk_retail/),
    });
  });
});
