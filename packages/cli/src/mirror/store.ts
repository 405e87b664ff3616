import type { Account, Balance, Merchant, Pot, Transaction } from "@monzokit/core";
import { canonicalJson, changedFields } from "./canonical.js";
import { mergeRanges, type Range, subtractRange } from "./coverage.js";
import type { DatabaseSync, StatementSync } from "./sqlite.js";

type Row = Record<string, unknown>;
type Value = string | number | null;

/** What one batch of transactions did to the mirror. */
export interface BatchResult {
  added: number;
  changed: number;
  /** Changed transactions per changed field (`settled`, `amount`, `notes`, …). */
  fields: Record<string, number>;
}

const bool = (v: unknown): number | null => (typeof v === "boolean" ? (v ? 1 : 0) : null);
const text = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * Every write the sync makes, as prepared statements over one connection. It never starts a network
 * request: the sync fetches, then hands a batch to `transaction()`, so a batch is one SQLite transaction
 * and a process killed at any moment leaves the previous batch's state.
 */
export class MirrorStore {
  readonly #db: DatabaseSync;
  readonly #s: Record<string, StatementSync>;
  /** Merchants already written in this run, with the JSON written: most repeat thousands of times. */
  readonly #merchants = new Map<string, string>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#s = {
      startSync: p("INSERT INTO syncs (started_at, outcome) VALUES (?, 'running')"),
      interrupted: p("UPDATE syncs SET outcome = 'interrupted' WHERE outcome = 'running'"),
      endSync: p(
        "UPDATE syncs SET finished_at = ?, outcome = ?, added = ?, changed = ?, removed = ?, error = ? WHERE id = ?",
      ),
      account: p("SELECT raw FROM accounts WHERE id = ?"),
      insertAccount: p(
        `INSERT INTO accounts (id, type, description, currency, created, closed, joint, owners, account_number,
           sort_code, raw, first_seen, last_changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateAccount: p(
        `UPDATE accounts SET type = ?, description = ?, currency = ?, created = ?, closed = ?, joint = ?,
           owners = ?, account_number = ?, sort_code = ?, raw = ?, last_changed = ? WHERE id = ?`,
      ),
      accountSynced: p("UPDATE accounts SET last_synced = ? WHERE id = ?"),
      refused: p("SELECT transactions_refused FROM accounts WHERE id = ?"),
      setRefused: p("UPDATE accounts SET transactions_refused = ? WHERE id = ?"),
      merchant: p("SELECT raw FROM merchants WHERE id = ?"),
      upsertMerchant: p(
        `INSERT INTO merchants (id, group_id, name, category, emoji, logo, online, atm, city, country, postcode,
           latitude, longitude, raw, first_seen, last_changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET group_id = excluded.group_id, name = excluded.name,
           category = excluded.category, emoji = excluded.emoji, logo = excluded.logo, online = excluded.online,
           atm = excluded.atm, city = excluded.city, country = excluded.country, postcode = excluded.postcode,
           latitude = excluded.latitude, longitude = excluded.longitude, raw = excluded.raw,
           last_changed = excluded.last_changed`,
      ),
      transaction: p("SELECT raw, removed_at FROM transactions WHERE id = ?"),
      insertTransaction: p(
        `INSERT INTO transactions (id, account_id, created, created_ms, updated, settled, status, amount, currency,
           local_amount, local_currency, description, merchant_id, category, categories, notes, decline_reason,
           is_load, include_in_spending, scheme, counterparty_name, metadata, raw, first_seen, last_changed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateTransaction: p(
        `UPDATE transactions SET account_id = ?, created = ?, created_ms = ?, updated = ?, settled = ?, status = ?,
           amount = ?, currency = ?, local_amount = ?, local_currency = ?, description = ?, merchant_id = ?,
           category = ?, categories = ?, notes = ?, decline_reason = ?, is_load = ?, include_in_spending = ?,
           scheme = ?, counterparty_name = ?, metadata = ?, raw = ?, last_changed = ?, removed_at = NULL
         WHERE id = ?`,
      ),
      reorderedRaw: p("UPDATE transactions SET raw = ? WHERE id = ?"),
      change: p(
        "INSERT INTO transaction_changes (transaction_id, sync_id, changed_at, fields, before) VALUES (?, ?, ?, ?, ?)",
      ),
      present: p(
        "SELECT id FROM transactions WHERE account_id = ? AND created_ms >= ? AND removed_at IS NULL",
      ),
      remove: p("UPDATE transactions SET removed_at = ?, last_changed = ? WHERE id = ?"),
      coverage: p("SELECT since_ms, until_ms FROM coverage WHERE account_id = ? ORDER BY since_ms"),
      clearCoverage: p("DELETE FROM coverage WHERE account_id = ?"),
      addCoverage: p("INSERT INTO coverage (account_id, since_ms, until_ms) VALUES (?, ?, ?)"),
      balance: p(
        `INSERT OR REPLACE INTO balances (sync_id, account_id, taken_at, balance, total_balance,
           balance_including_flexible_savings, spend_today, currency, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      pot: p("SELECT raw FROM pots WHERE id = ?"),
      upsertPot: p(
        `INSERT INTO pots (id, account_id, name, type, balance, currency, goal_amount, round_up, locked, deleted,
           created, updated, raw, first_seen, last_changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, name = excluded.name,
           type = excluded.type, balance = excluded.balance, currency = excluded.currency,
           goal_amount = excluded.goal_amount, round_up = excluded.round_up, locked = excluded.locked,
           deleted = excluded.deleted, created = excluded.created, updated = excluded.updated, raw = excluded.raw,
           last_changed = excluded.last_changed`,
      ),
      potBalance: p(
        "INSERT OR REPLACE INTO pot_balances (sync_id, pot_id, taken_at, balance, currency) VALUES (?, ?, ?, ?, ?)",
      ),
      count: p("SELECT count(*) AS n FROM transactions WHERE account_id = ? AND removed_at IS NULL"),
    };
  }

  /** Runs `fn` as one SQLite transaction: all of it is committed, or (on a throw or a crash) none of it. */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      this.#merchants.clear();
      throw error;
    }
  }

  /** Records the start of a sync (and that any sync still marked running was killed). Returns its id. */
  startSync(at: string): number {
    return this.transaction(() => {
      this.#s["interrupted"]!.run();
      return Number(this.#s["startSync"]!.run(at).lastInsertRowid);
    });
  }

  endSync(
    id: number,
    at: string,
    outcome: "ok" | "failed",
    totals: { added: number; changed: number; removed: number },
    error: string | null,
  ): void {
    this.#s["endSync"]!.run(at, outcome, totals.added, totals.changed, totals.removed, error, id);
  }

  /** Inserts or updates an account; true when it is new or changed. */
  upsertAccount(account: Account, at: string): boolean {
    const raw = JSON.stringify(account);
    const before = this.#s["account"]!.get(account.id) as Row | undefined;
    if (
      before &&
      (before["raw"] === raw || canonicalJson(JSON.parse(String(before["raw"]))) === canonicalJson(account))
    )
      return false;
    const owners = JSON.stringify(
      (account.owners ?? []).map((o) => ({ user_id: o.user_id, preferred_name: o.preferred_name ?? null })),
    );
    const values: Value[] = [
      account.type ?? "unknown",
      account.description,
      account.currency ?? null,
      account.created,
      account.closed ? 1 : 0,
      account.type === "uk_retail_joint" || (account.owners?.length ?? 0) > 1 ? 1 : 0,
      owners,
      account.account_number ?? null,
      account.sort_code ?? null,
      raw,
    ];
    if (before) this.#s["updateAccount"]!.run(...values, at, account.id);
    else this.#s["insertAccount"]!.run(account.id, ...values, at, at);
    return true;
  }

  accountSynced(accountId: string, at: string): void {
    this.#s["accountSynced"]!.run(at, accountId);
  }

  /** Why Monzo refused this account's transactions on the last try (null when it did not). */
  refused(accountId: string): string | null {
    const row = this.#s["refused"]!.get(accountId) as Row | undefined;
    return typeof row?.["transactions_refused"] === "string" ? row["transactions_refused"] : null;
  }

  setRefused(accountId: string, reason: string | null): void {
    this.#s["setRefused"]!.run(reason, accountId);
  }

  #merchant(merchant: Merchant, at: string): void {
    const raw = JSON.stringify(merchant);
    if (this.#merchants.get(merchant.id) === raw) return;
    const before = this.#s["merchant"]!.get(merchant.id) as Row | undefined;
    if (
      !before ||
      (before["raw"] !== raw && canonicalJson(JSON.parse(String(before["raw"]))) !== canonicalJson(merchant))
    ) {
      const address = (merchant.address ?? {}) as Record<string, unknown>;
      this.#s["upsertMerchant"]!.run(
        merchant.id,
        text(merchant.group_id),
        merchant.name,
        text(merchant.category),
        text(merchant.emoji),
        text(merchant.logo),
        bool(merchant.online),
        bool(merchant.atm),
        text(address["city"]),
        text(address["country"]),
        text(address["postcode"]),
        num(address["latitude"]),
        num(address["longitude"]),
        raw,
        at,
        at,
      );
    }
    this.#merchants.set(merchant.id, raw);
  }

  /**
   * Writes transactions as Monzo sent them: new ones are added, ones whose content changed are updated (their
   * `last_changed` moves and `transaction_changes` keeps the fields that changed and the row before), the rest
   * are left alone. A transaction marked removed that comes back is restored.
   */
  upsertTransactions(
    accountId: string,
    txs: readonly Transaction[],
    syncId: number,
    at: string,
  ): BatchResult {
    const result: BatchResult = { added: 0, changed: 0, fields: {} };
    for (const tx of txs) {
      const merchant = tx.merchant;
      let merchantId: string | null = null;
      if (merchant && typeof merchant === "object") {
        this.#merchant(merchant, at);
        merchantId = merchant.id;
      } else if (typeof merchant === "string") merchantId = merchant;
      // As Monzo sent it, with the merchant as its id (the merchant itself is in `merchants`).
      const record = { ...tx, merchant: merchantId } as Record<string, unknown>;
      const raw = JSON.stringify(record);
      const before = this.#s["transaction"]!.get(tx.id) as Row | undefined;
      if (before && before["raw"] === raw && before["removed_at"] === null) continue;
      let fields: string[] = [];
      if (before) {
        fields = changedFields(JSON.parse(String(before["raw"])) as Record<string, unknown>, record);
        if (before["removed_at"] !== null) fields.push("reappeared");
        if (fields.length === 0) {
          // The same content in another key order: keep Monzo's order, count nothing.
          this.#s["reorderedRaw"]!.run(raw, tx.id);
          continue;
        }
      }
      const createdMs = Date.parse(tx.created);
      if (Number.isNaN(createdMs))
        throw new TypeError(`Monzo sent transaction ${tx.id} with an unreadable created time`);
      const settled = tx.settled ? tx.settled : null;
      const counterparty = tx.counterparty as Record<string, unknown> | undefined;
      const values: Value[] = [
        tx.account_id ?? accountId,
        tx.created,
        createdMs,
        tx.updated ?? null,
        settled,
        tx.decline_reason !== undefined ? "declined" : settled ? "settled" : "pending",
        tx.amount,
        tx.currency,
        tx.local_amount ?? null,
        tx.local_currency ?? null,
        tx.description,
        merchantId,
        tx.category ?? null,
        tx.categories ? JSON.stringify(tx.categories) : null,
        tx.notes ?? "",
        tx.decline_reason ?? null,
        bool(tx.is_load),
        bool(tx.include_in_spending),
        tx.scheme ?? null,
        text(counterparty?.["name"]),
        JSON.stringify(tx.metadata ?? {}),
        raw,
      ];
      if (!before) {
        this.#s["insertTransaction"]!.run(tx.id, ...values, at, at);
        result.added++;
      } else {
        this.#s["updateTransaction"]!.run(...values, at, tx.id);
        this.#s["change"]!.run(tx.id, syncId, at, JSON.stringify(fields), String(before["raw"]));
        result.changed++;
        for (const field of fields) result.fields[field] = (result.fields[field] ?? 0) + 1;
      }
    }
    return result;
  }

  /**
   * After a complete read of everything created since `sinceMs`: the account's transactions from then on
   * that Monzo no longer returned are marked removed (kept, never deleted). Returns how many.
   */
  markRemoved(accountId: string, sinceMs: number, seen: ReadonlySet<string>, at: string): number {
    let removed = 0;
    for (const row of this.#s["present"]!.all(accountId, sinceMs) as Row[]) {
      const id = String(row["id"]);
      if (seen.has(id)) continue;
      this.#s["remove"]!.run(at, at, id);
      removed++;
    }
    return removed;
  }

  coverage(accountId: string): Range[] {
    return (this.#s["coverage"]!.all(accountId) as Row[]).map((r) => ({
      sinceMs: Number(r["since_ms"]),
      untilMs: Number(r["until_ms"]),
    }));
  }

  /** Records that every transaction created in `[sinceMs, untilMs)` is now in the mirror. */
  addCoverage(accountId: string, sinceMs: number, untilMs: number): void {
    if (untilMs <= sinceMs) return;
    const merged = mergeRanges([...this.coverage(accountId), { sinceMs, untilMs }]);
    this.#s["clearCoverage"]!.run(accountId);
    for (const r of merged) this.#s["addCoverage"]!.run(accountId, r.sinceMs, r.untilMs);
  }

  /** Records that `[sinceMs, untilMs)` is no longer known to be complete and current. */
  removeCoverage(accountId: string, sinceMs: number, untilMs: number): void {
    if (untilMs <= sinceMs) return;
    const left = subtractRange(this.coverage(accountId), { sinceMs, untilMs });
    this.#s["clearCoverage"]!.run(accountId);
    for (const r of left) this.#s["addCoverage"]!.run(accountId, r.sinceMs, r.untilMs);
  }

  snapshotBalance(syncId: number, accountId: string, balance: Balance, at: string): void {
    this.#s["balance"]!.run(
      syncId,
      accountId,
      at,
      balance.balance,
      balance.total_balance ?? null,
      balance.balance_including_flexible_savings ?? null,
      balance.spend_today ?? null,
      balance.currency,
      JSON.stringify(balance),
    );
  }

  snapshotPots(syncId: number, accountId: string, pots: readonly Pot[], at: string): void {
    for (const pot of pots) {
      const raw = JSON.stringify(pot);
      const before = this.#s["pot"]!.get(pot.id) as Row | undefined;
      if (
        !before ||
        (before["raw"] !== raw && canonicalJson(JSON.parse(String(before["raw"]))) !== canonicalJson(pot))
      ) {
        const firstSeen = at;
        this.#s["upsertPot"]!.run(
          pot.id,
          pot.current_account_id ?? accountId,
          pot.name,
          pot.type ?? null,
          pot.balance,
          pot.currency,
          pot.goal_amount ?? null,
          bool(pot.round_up),
          bool(pot.locked),
          pot.deleted ? 1 : 0,
          pot.created ?? null,
          pot.updated ?? null,
          raw,
          firstSeen,
          at,
        );
      }
      this.#s["potBalance"]!.run(syncId, pot.id, at, pot.balance, pot.currency);
    }
  }

  /** Transactions of the account in the mirror (not counting removed ones). */
  count(accountId: string): number {
    return Number((this.#s["count"]!.get(accountId) as Row)["n"]);
  }
}
