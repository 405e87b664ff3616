/**
 * The mirror against the bank: every transaction a fresh full fetch returns must be in the mirror, field for
 * field, and the mirror must hold nothing else. Shared by the CLI's sync tests and the crash suite.
 */
import { DatabaseSync } from "node:sqlite";
import { ApprovalRequiredError, type MonzoClient, type Transaction } from "@monzokit/core";

/** Sorted-key JSON, so key order never counts as a difference. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

type Row = Record<string, unknown>;

export interface MirrorComparison {
  /** Transactions Monzo returned (over the accounts whose transactions it shares). */
  transactions: number;
  /** Human-readable differences; empty when the mirror is exactly the bank. */
  differences: string[];
}

/**
 * Compares the mirror at `path` with a fresh full fetch through `client` (which must be able to read the whole
 * history: inside the full-history window). Checks, for every account: the same set of transaction ids, each
 * one's stored JSON equal to Monzo's (merchant as its id), the columns derived from it, and each merchant.
 * `before` ends the fetch (default: this machine's now; give the bank's when its clock runs ahead).
 */
export async function compareMirrorWithBank(
  path: string,
  client: MonzoClient,
  options: { before?: Date } = {},
): Promise<MirrorComparison> {
  const db = new DatabaseSync(path, { readOnly: true });
  const differences: string[] = [];
  let transactions = 0;
  try {
    const integrity = (db.prepare("PRAGMA integrity_check").get() as Row)["integrity_check"];
    if (integrity !== "ok") differences.push(`integrity_check: ${String(integrity)}`);
    const accounts = await client.accounts.list();
    const mirrored = new Set(
      (db.prepare("SELECT id FROM accounts").all() as Row[]).map((r) => String(r["id"])),
    );
    for (const account of accounts) {
      if (!mirrored.has(account.id)) differences.push(`account ${account.id} missing`);
      let fresh: Transaction[];
      try {
        fresh = await client.transactions
          .history({
            accountId: account.id,
            expandMerchant: true,
            ...(options.before ? { before: options.before } : {}),
          })
          .toArray();
      } catch (error) {
        // Monzo does not share this account's transactions (a Flex backing loan): neither may the mirror.
        if (!(error instanceof ApprovalRequiredError)) throw error;
        fresh = [];
      }
      transactions += fresh.length;
      const rows = new Map(
        (
          db
            .prepare("SELECT * FROM transactions WHERE account_id = ? AND removed_at IS NULL")
            .all(account.id) as Row[]
        ).map((r) => [String(r["id"]), r]),
      );
      for (const tx of fresh) {
        const row = rows.get(tx.id);
        if (!row) {
          differences.push(`${account.id}: ${tx.id} missing`);
          continue;
        }
        rows.delete(tx.id);
        const merchant = tx.merchant && typeof tx.merchant === "object" ? tx.merchant : undefined;
        const expected = { ...tx, merchant: merchant ? merchant.id : (tx.merchant ?? null) };
        if (canonical(JSON.parse(String(row["raw"]))) !== canonical(expected))
          differences.push(`${tx.id}: stored JSON differs from Monzo's`);
        const columns: [string, unknown][] = [
          ["amount", tx.amount],
          ["currency", tx.currency],
          ["created", tx.created],
          ["settled", tx.settled ? tx.settled : null],
          ["status", tx.decline_reason !== undefined ? "declined" : tx.settled ? "settled" : "pending"],
          ["decline_reason", tx.decline_reason ?? null],
          ["notes", tx.notes ?? ""],
          ["category", tx.category ?? null],
          ["description", tx.description],
          ["merchant_id", expected.merchant],
          ["metadata", canonical(tx.metadata ?? {})],
        ];
        for (const [column, value] of columns) {
          const stored = column === "metadata" ? canonical(JSON.parse(String(row[column]))) : row[column];
          if (stored !== value)
            differences.push(`${tx.id}.${column}: mirror ${String(stored)}, Monzo ${String(value)}`);
        }
        if (merchant) {
          const m = db.prepare("SELECT raw FROM merchants WHERE id = ?").get(merchant.id) as Row | undefined;
          if (!m) differences.push(`merchant ${merchant.id} missing`);
          else if (canonical(JSON.parse(String(m["raw"]))) !== canonical(merchant))
            differences.push(`merchant ${merchant.id} differs`);
        }
      }
      for (const id of rows.keys())
        differences.push(`${account.id}: ${id} is in the mirror but not at Monzo`);
    }
  } finally {
    db.close();
  }
  return { transactions, differences };
}
