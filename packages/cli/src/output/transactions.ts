import type { Transaction } from "@monzokit/core";
import { csvRow } from "./format.js";

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

/** Amounts as exact decimals in the CSV (12.34), not pence, so spreadsheets sum them right. */
export function transactionCsvRow(
  tx: Transaction,
  decimal: (amount: number, currency: string) => string,
): string {
  return csvRow([
    tx.id,
    tx.created,
    tx.settled ?? "",
    Number(decimal(tx.amount, tx.currency)),
    tx.currency,
    tx.local_amount === undefined ? "" : Number(decimal(tx.local_amount, tx.local_currency ?? tx.currency)),
    tx.local_currency ?? "",
    tx.description,
    merchantName(tx),
    tx.category ?? "",
    tx.notes ?? "",
    tx.decline_reason ?? "",
    tx.account_id ?? "",
  ]);
}
