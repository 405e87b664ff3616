import type { Transaction } from "@monzokit/core";
import { CsvDecimal, type CsvOptions, csvRow, decimal, decimalOrNull, money } from "./format.js";
import { type Column, renderTable } from "./table.js";
import { compareInstants, formatInstant } from "./time.js";

export const CSV_COLUMNS = [
  "id",
  "created",
  "settled",
  "amount",
  "currency",
  "local_amount",
  "local_currency",
  "description",
  "merchant",
  "category",
  "notes",
  "decline_reason",
  "account_id",
] as const;

export function merchantName(tx: Transaction): string {
  if (tx.merchant && typeof tx.merchant === "object") return tx.merchant.name;
  return "";
}

/** Pot names by id, to show a pot transfer by its pot's name instead of the pot id Monzo puts in its description. */
export type PotNames = ReadonlyMap<string, string>;

/** The pot a transfer moved money into or out of (REFERENCE §6.3: `metadata.pot_id`, description = pot id). */
export function potOf(tx: Transaction): string | undefined {
  const id = tx.metadata?.["pot_id"];
  if (typeof id === "string" && id.startsWith("pot_")) return id;
  return tx.description.startsWith("pot_") && /^pot_\w+$/.test(tx.description) ? tx.description : undefined;
}

/**
 * What a person calls a transaction: the merchant, or for a pot transfer "To pot Savings" / "From pot
 * Savings", or Monzo's description.
 */
export function describe(tx: Transaction, pots: PotNames = new Map()): string {
  const potId = potOf(tx);
  if (potId) {
    const name = pots.get(potId) ?? potId;
    return tx.amount < 0 ? `To pot ${name}` : `From pot ${name}`;
  }
  return merchantName(tx) || tx.description;
}

/** Oldest first, by the instants `created` names (not their text), then by id. */
export function byCreated(a: Transaction, b: Transaction): number {
  return compareInstants(a.created, b.created) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function status(tx: Transaction): string {
  if (tx.decline_reason) return `declined (${tx.decline_reason})`;
  return tx.settled === "" ? "pending" : "";
}

/** The columns of `transactions list`, and how each gives way on a narrow terminal. */
export const TRANSACTION_COLUMNS: Column[] = [
  { key: "date", shrink: false },
  { key: "amount", align: "right" },
  { key: "description", min: 12 },
  { key: "category", min: 6, drop: 1, omitEmpty: true },
  { key: "status", min: 8, drop: 2, foldInto: "description", omitEmpty: true },
  { key: "id", shrink: false },
];

/** One transaction as a row of `transactions list` (and `webhooks listen`): bank text unsanitised here, `renderTable` escapes it. */
export function transactionCells(
  tx: Transaction,
  zone: string | undefined,
  pots: PotNames = new Map(),
): Record<string, string> {
  return {
    date: formatInstant(tx.created, zone),
    amount: money(tx.amount, tx.currency),
    description: describe(tx, pots),
    category: tx.category ?? "",
    status: status(tx),
    id: String(tx.id),
  };
}

/** `transactions list` for a terminal of `width` columns. */
export function transactionTable(
  items: readonly Transaction[],
  options: { zone: string | undefined; width: number; pots?: PotNames },
): string {
  return renderTable(
    items.map((tx) => transactionCells(tx, options.zone, options.pots)),
    TRANSACTION_COLUMNS,
    { width: options.width },
  );
}

/**
 * A transaction for `--json`: Monzo's fields that matter to a script, money as exact decimal strings in
 * the currency (`"-4.20"`, see `decimal`), the pot of a pot transfer named.
 */
export function transactionJson(tx: Transaction, pots: PotNames = new Map()) {
  const potId = potOf(tx);
  return {
    id: String(tx.id),
    created: tx.created,
    settled: tx.settled ?? "",
    amount: decimal(tx.amount, tx.currency),
    currency: tx.currency,
    local_amount: decimalOrNull(tx.local_amount, tx.local_currency ?? tx.currency),
    local_currency: tx.local_currency ?? null,
    description: tx.description,
    merchant: merchantName(tx) || null,
    pot: potId ? { id: potId, name: pots.get(potId) ?? null } : null,
    category: tx.category ?? null,
    notes: tx.notes ?? "",
    declined: tx.decline_reason !== undefined,
    decline_reason: tx.decline_reason ?? null,
    account_id: tx.account_id === undefined ? null : String(tx.account_id),
    metadata: tx.metadata,
  };
}

/**
 * Monzo's transaction object for an export (JSON, NDJSON), every field kept, with its money written the
 * one way the CLI writes money: `amount`, `local_amount`, `account_balance`, the values of `categories`
 * and the amounts in `atm_fees_detailed` as exact decimal strings in their own currencies.
 */
export function exportRecord(tx: Transaction): Record<string, unknown> {
  const raw = tx as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  const money = (value: unknown, currency: unknown) =>
    typeof value === "number" && typeof currency === "string" ? decimal(value, currency) : value;
  out["amount"] = money(raw["amount"], raw["currency"]);
  if ("local_amount" in raw)
    out["local_amount"] = money(raw["local_amount"], raw["local_currency"] ?? raw["currency"]);
  if ("account_balance" in raw) out["account_balance"] = money(raw["account_balance"], raw["currency"]);
  const categories = raw["categories"];
  if (categories && typeof categories === "object" && !Array.isArray(categories))
    out["categories"] = Object.fromEntries(
      Object.entries(categories).map(([k, v]) => [k, money(v, raw["currency"])]),
    );
  const atm = raw["atm_fees_detailed"];
  if (atm && typeof atm === "object" && !Array.isArray(atm)) {
    const a = atm as Record<string, unknown>;
    out["atm_fees_detailed"] = {
      ...a,
      ...("fee_amount" in a ? { fee_amount: money(a["fee_amount"], a["fee_currency"]) } : {}),
      ...("withdrawal_amount" in a
        ? { withdrawal_amount: money(a["withdrawal_amount"], a["withdrawal_currency"]) }
        : {}),
    };
  }
  return out;
}

/**
 * One CSV row: amounts as exact decimals (`1.00`, `-12.34`), so spreadsheets sum them right. Bank text
 * (description, merchant, notes) is exact, or with `terminal` its control characters shown as escapes.
 */
export function transactionCsvRow(tx: Transaction, options: CsvOptions = {}): string {
  return csvRow(
    [
      tx.id,
      tx.created,
      tx.settled ?? "",
      new CsvDecimal(decimal(tx.amount, tx.currency)),
      tx.currency,
      tx.local_amount === undefined
        ? ""
        : new CsvDecimal(decimal(tx.local_amount, tx.local_currency ?? tx.currency)),
      tx.local_currency ?? "",
      tx.description,
      merchantName(tx),
      tx.category ?? "",
      tx.notes ?? "",
      tx.decline_reason ?? "",
      tx.account_id ?? "",
    ],
    options,
  );
}
