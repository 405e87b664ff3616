import type { Transaction } from "@monzokit/core";
import fc from "fast-check";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { ndjsonLine, transactionHeader, transactionRow } from "../../src/webhooks/terminal.js";

/** Anything a terminal would act on, or that reorders text, rather than show. */
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** …and, in JSON, the separators JSON.stringify leaves raw. */
const ACTIVE_IN_JSON = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const tx = (extra: Partial<Transaction> = {}): Transaction =>
  ({
    id: "tx_0000AbCdEf",
    created: "2026-06-01T12:34:56.789Z",
    description: "PRET A MANGER LONDON",
    amount: -420,
    currency: "GBP",
    metadata: {},
    category: "eating_out",
    settled: "",
    merchant: { id: "merch_1", name: "Pret A Manger" },
    ...extra,
  }) as Transaction;

describe("ndjsonLine", () => {
  it("is one line whose value reads back identical, with no active character raw (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: "binary" }), (value, text) => {
        for (const v of [value, { description: text, nested: [text] }]) {
          const line = ndjsonLine(v);
          expect(line.endsWith("\n")).toBe(true);
          expect(ACTIVE_IN_JSON.test(line.slice(0, -1))).toBe(false);
          expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(v)));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("transactionRow", () => {
  it("shows escape sequences, newlines and bidi overrides in bank text as visible escapes", () => {
    const row = transactionRow(tx({ merchant: null, description: "Cafe\u001b[2J\nnext\u202e" }));
    expect(row).toContain("Cafe\\x1b[2J\\x0anext\\u202e");
    expect(ACTIVE.test(row.slice(0, -1))).toBe(false);
  });

  it("reads like transactions list: date, £ amount, merchant, category, status, id", () => {
    const row = transactionRow(tx());
    expect(row).toMatch(/^2026-06-01 12:34 +-£4\.20 +Pret A Manger +eating_out +pending +tx_0000AbCdEf\n$/);
    expect(transactionRow(tx({ decline_reason: "INSUFFICIENT_FUNDS", merchant: null }))).toContain(
      "PRET A MANGER LONDON",
    );
    expect(transactionRow(tx({ decline_reason: "INSUFFICIENT_FUNDS" }))).toContain(
      "declined (INSUFFICIENT_FUNDS)",
    );
    expect(
      transactionRow(tx({ amount: 123456, currency: "GBP", settled: "2026-06-02T00:00:00Z" })),
    ).toContain("£1,234.56");
  });

  it("header and rows line up, whatever the merchant's name (property)", () => {
    const header = transactionHeader();
    const idColumn = header.indexOf("ID");
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 60 }),
        fc.integer({ min: -99_999_999, max: 99_999_999 }),
        (name, amount) => {
          const row = transactionRow(
            tx({ merchant: { id: "merch_1", name } as never, amount, settled: "x" }),
          );
          expect(ACTIVE.test(row.slice(0, -1))).toBe(false);
          expect(row.split("\n")).toHaveLength(2);
          // The id starts in the header's ID column, measured in terminal cells.
          expect(stringWidth(row.slice(0, row.indexOf("tx_0000AbCdEf")))).toBe(idColumn);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
