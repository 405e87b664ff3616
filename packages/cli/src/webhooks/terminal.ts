import type { Transaction } from "@monzokit/core";
import stringWidth from "string-width";
import { money, table } from "../output/format.js";
import { printable } from "../output/printable.js";
import { merchantName } from "../output/transactions.js";

/**
 * What `JSON.stringify` leaves raw but a terminal acts on or reorders: DEL, C1 controls (U+009B is an 8-bit
 * CSI), line and paragraph separators, and the bidirectional marks, overrides and isolates.
 */
const JSON_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON for one line of NDJSON on a terminal: `JSON.stringify` leaves DEL, C1 controls and the bidi and
 * separator characters raw; here they are `\uXXXX` escapes too. The value read back is identical.
 *
 * @example ndjsonLine({ description: "\u009b2J" }) // '{"description":"\\u009b2J"}\n'
 */
export function ndjsonLine(value: unknown): string {
  const text = JSON.stringify(value).replace(
    JSON_RAW,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${text}\n`;
}

/** The columns of `monzo transactions list`, with fixed widths so a stream of events lines up. */
const COLUMNS = ["date", "amount", "description", "category", "status", "id"] as const;
const WIDTHS: Record<(typeof COLUMNS)[number], number> = {
  date: 16,
  amount: 13,
  description: 40,
  category: 16,
  status: 9,
  id: 0,
};

function fit(text: string, width: number, options: { right?: boolean; cut?: boolean } = {}): string {
  if (width === 0) return text;
  let cut = text;
  if (options.cut !== false && stringWidth(cut) > width) {
    // Cut by whole characters (an emoji is one), then leave room for the ellipsis.
    const chars = [...cut];
    while (chars.length > 0 && stringWidth(chars.join("")) > width - 1) chars.pop();
    cut = `${chars.join("")}…`;
  }
  const pad = " ".repeat(Math.max(0, width - stringWidth(cut)));
  return options.right ? pad + cut : cut + pad;
}

function cells(tx: Transaction): Record<string, string> {
  const safe = (s: string) => printable(s);
  const row: Record<(typeof COLUMNS)[number], string> = {
    date: safe(tx.created.slice(0, 16).replace("T", " ")),
    amount: safe(money(tx.amount, tx.currency)),
    description: safe(merchantName(tx) || tx.description),
    category: safe(tx.category ?? ""),
    status: safe(tx.decline_reason ? `declined (${tx.decline_reason})` : tx.settled === "" ? "pending" : ""),
    id: safe(tx.id),
  };
  return Object.fromEntries(
    // Money and a decline reason are never cut short: a wider cell only pushes the rest of its line along.
    COLUMNS.map((c) => [
      c,
      fit(row[c], WIDTHS[c], { right: c === "amount", cut: c !== "status" && c !== "amount" }),
    ]),
  );
}

/** The header line, as `transactions list` prints it. */
export function transactionHeader(): string {
  const blank = Object.fromEntries(COLUMNS.map((c) => [c, " ".repeat(WIDTHS[c])]));
  return (table([blank], [...COLUMNS]).split("\n")[0] ?? "") + "\n";
}

/**
 * One transaction as a `transactions list` row: local date and time, money with its symbol (`-£4.20`), the
 * merchant or description, category, pending/declined, id — every field from the bank passed through
 * `printable`.
 *
 * @example io.out(transactionRow(event.data))
 */
export function transactionRow(tx: Transaction): string {
  const lines = table([cells(tx)], [...COLUMNS], { right: ["amount"] }).split("\n");
  return `${lines[1] ?? ""}\n`;
}
