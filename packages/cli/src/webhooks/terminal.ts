import type { Transaction } from "@monzokit/core";
import { jsonText, printable as printableCell } from "../output/printable.js";
import { displayWidth, renderTable, truncate } from "../output/table.js";
import { type PotNames, transactionCells } from "../output/transactions.js";

/**
 * JSON for one line of NDJSON on a terminal: `JSON.stringify` leaves DEL, C1 controls and the bidi and
 * separator characters raw; here they are `\uXXXX` escapes too (the CLI's one sanitiser, `jsonText`).
 * The value read back is identical.
 *
 * @example ndjsonLine({ description: "\u009b2J" }) // '{"description":"\\u009b2J"}\n'
 */
export function ndjsonLine(value: unknown): string {
  return `${jsonText(value)}\n`;
}

/** The columns of `monzo transactions list`, with fixed widths so a stream of events lines up. */
const COLUMNS = ["date", "amount", "description", "category", "status", "id"] as const;
const WIDTHS: Record<(typeof COLUMNS)[number], number> = {
  date: 20,
  amount: 13,
  description: 40,
  category: 16,
  status: 9,
  id: 0,
};

function fit(text: string, width: number, options: { right?: boolean; cut?: boolean } = {}): string {
  if (width === 0) return text;
  const cut = options.cut !== false ? truncate(text, width) : text;
  const pad = " ".repeat(Math.max(0, width - displayWidth(cut)));
  return options.right ? pad + cut : cut + pad;
}

function cells(tx: Transaction, zone: string | undefined, pots: PotNames): Record<string, string> {
  // Escaped first (renderTable escapes again: a no-op), so the widths below are those of what is shown.
  const row = transactionCells(tx, zone, pots);
  return Object.fromEntries(
    // Money, the date and a decline reason are never cut short: a wider cell only pushes the rest of its line along.
    COLUMNS.map((c) => [
      c,
      fit(printableCell(row[c] ?? ""), WIDTHS[c], {
        right: c === "amount",
        cut: c !== "status" && c !== "amount" && c !== "date",
      }),
    ]),
  );
}

/** The header line, as `transactions list` prints it. */
export function transactionHeader(): string {
  const blank = Object.fromEntries(COLUMNS.map((c) => [c, " ".repeat(WIDTHS[c])]));
  return (renderTable([blank], [...COLUMNS]).split("\n")[0] ?? "") + "\n";
}

/**
 * One transaction as a `transactions list` row: local date and time, money with its symbol (`-£4.20`), the
 * merchant or description (a pot transfer's pot by name when `pots` has it), category, pending/declined,
 * id — every field from the bank passed through `printable`.
 *
 * @example io.out(transactionRow(event.data))
 */
export function transactionRow(tx: Transaction, zone?: string, pots: PotNames = new Map()): string {
  const lines = renderTable(
    [cells(tx, zone, pots)],
    [...COLUMNS.map((key) => (key === "amount" ? { key, align: "right" as const } : key))],
  ).split("\n");
  return `${lines[1] ?? ""}\n`;
}
