import type { Transaction } from "@monzokit/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, transactionCsvRow } from "../../src/output/transactions.js";

/** Whatever a terminal acts on or reorders, beyond the tab and newline CSV keeps inside quoted fields. */
const ACTS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function transaction(text: { description: string; notes: string; merchant: string }): Transaction {
  return {
    id: "tx_00001",
    created: "2026-01-02T03:04:05.000Z",
    settled: "",
    amount: -420,
    currency: "GBP",
    description: text.description,
    notes: text.notes,
    merchant: { id: "merch_1", name: text.merchant },
    category: "eating_out",
    account_id: "acc_1",
  } as unknown as Transaction;
}

describe("transactionCsvRow", () => {
  it("writes bank text exactly for a file; for a terminal its controls are escapes (N4)", () => {
    const hostile = "Caf\u001b]8;;https://evil.example\u0007é\u009b2J\u202e";
    const tx = transaction({ description: hostile, notes: "a\nb", merchant: `\u001b[31m${hostile}` });
    const exact = transactionCsvRow(tx);
    expect(exact).toBe(
      `tx_00001,2026-01-02T03:04:05.000Z,,-4.20,GBP,,,${hostile},\u001b[31m${hostile},eating_out,"a\nb",,acc_1\r\n`,
    );
    const shown = "Caf\\x1b]8;;https://evil.example\\x07é\\x9b2J\\u202e";
    expect(transactionCsvRow(tx, { terminal: true })).toBe(
      `tx_00001,2026-01-02T03:04:05.000Z,,-4.20,GBP,,,${shown},\\x1b[31m${shown},eating_out,"a\nb",,acc_1\r\n`,
    );
  });

  it("for a terminal, no bank text leaves a control a terminal acts on, and the row keeps its columns (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !/[",\r\n]/.test(s));
    fc.assert(
      fc.property(text, text, text, (description, notes, merchant) => {
        const row = transactionCsvRow(transaction({ description, notes, merchant }), { terminal: true });
        expect(row.endsWith("\r\n")).toBe(true);
        expect(ACTS.test(row.slice(0, -2))).toBe(false);
        // Without quotes, commas or line breaks in the text, every column is one comma-separated field.
        expect(row.slice(0, -2).split(",")).toHaveLength(CSV_COLUMNS.length);
      }),
    );
  });
});
