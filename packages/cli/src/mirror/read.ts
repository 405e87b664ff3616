import type { Transaction } from "@monzokit/core";
import type { DatabaseSync } from "./sqlite.js";

type Row = Record<string, unknown>;

/** Where to start and stop reading an account's mirrored transactions. */
export interface MirrorRange {
  accountId: string;
  /** A time (inclusive), or a transaction id to start after. */
  since?: string | undefined;
  /** A time (exclusive). */
  before?: string | undefined;
}

/**
 * The account's transactions from the mirror, oldest first, each as Monzo sent it with its merchant
 * expanded — the same objects `client.transactions.history({ expandMerchant: true })` yields — so an
 * export from the mirror is the export Monzo would have given when the history was still readable.
 * Transactions marked removed are left out.
 *
 * @returns undefined when `since` names a transaction the mirror does not have
 */
export function mirrorTransactions(db: DatabaseSync, range: MirrorRange): Iterable<Transaction> | undefined {
  const beforeMs = range.before === undefined ? Number.MAX_SAFE_INTEGER : Date.parse(range.before);
  const select = `SELECT t.raw, m.raw AS merchant FROM transactions t LEFT JOIN merchants m ON m.id = t.merchant_id
     WHERE t.account_id = ? AND t.removed_at IS NULL AND t.created_ms < ? AND `;
  let rows: () => Iterable<Row>;
  if (range.since?.startsWith("tx_")) {
    // After that transaction, in the mirror's order (created, then id).
    const row = db.prepare("SELECT created_ms FROM transactions WHERE id = ?").get(range.since) as
      | Row
      | undefined;
    if (!row) return undefined;
    const ms = Number(row["created_ms"]);
    const statement = db.prepare(
      `${select} (t.created_ms > ? OR (t.created_ms = ? AND t.id > ?)) ORDER BY t.created_ms, t.id`,
    );
    rows = () => statement.iterate(range.accountId, beforeMs, ms, ms, range.since!) as Iterable<Row>;
  } else {
    const sinceMs = range.since === undefined ? Number.MIN_SAFE_INTEGER : Date.parse(range.since);
    const statement = db.prepare(`${select} t.created_ms >= ? ORDER BY t.created_ms, t.id`);
    rows = () => statement.iterate(range.accountId, beforeMs, sinceMs) as Iterable<Row>;
  }
  return {
    *[Symbol.iterator]() {
      for (const row of rows()) {
        const tx = JSON.parse(String(row["raw"])) as Transaction;
        if (typeof row["merchant"] === "string") tx.merchant = JSON.parse(row["merchant"]);
        yield tx;
      }
    },
  };
}
