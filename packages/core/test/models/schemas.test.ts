/**
 * Tolerant transaction parsing: the fields core relies on are checked, everything else is kept exactly
 * as it came (a metadata value that is not a string, a new field, an unknown enum value, an odd nested
 * object), and the object returned is the one `JSON.parse` made.
 */
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { InvalidResponseError, parse, TransactionSchema, unwrap } from "../../src/models/schemas.js";

const base = {
  id: "tx_0000AQ1aBC2Dbc34Ede5fE",
  created: "2022-08-30T19:49:05.817Z",
  updated: "2022-08-31T08:42:02.294Z",
  description: "TESCO STORES 2041      LONDON        GBR",
  amount: -322,
  currency: "GBP",
  merchant: "merch_0000AQ1merchant0000001",
  notes: "",
  metadata: { mcc: "5411" },
  category: "groceries",
  settled: "2022-08-31T08:42:02.15Z",
};

describe("TransactionSchema", () => {
  it("returns the very object it was given, not a copy", () => {
    const raw = JSON.parse(JSON.stringify(base)) as unknown;
    expect(parse(TransactionSchema, raw, "test")).toBe(raw);
    const page = JSON.parse(JSON.stringify({ transactions: [base, base] })) as { transactions: unknown[] };
    const items = unwrap(v.array(TransactionSchema), page, "transactions", "test");
    expect(items[0]).toBe(page.transactions[0]);
    expect(items[1]).toBe(page.transactions[1]);
  });

  it("keeps odd fields as they came: non-string metadata, unknown enums, new and nested fields", () => {
    const odd = {
      ...base,
      metadata: { hide_amount: true, count: 3, nested: { a: [1, "b"] }, nothing: null, text: "x" },
      category: "a_category_from_2031",
      decline_reason: "SOMETHING_NEW",
      settled: null,
      notes: 42,
      labels: [1, "two"],
      categories: { groceries: "not a number" },
      counterparty: "not an object",
      atm_fees_detailed: { fee_amount: 0, fee_currency: "GBP", allowance_id: "x" },
      tab: { id: "tab_1", participants: [{ user_id: "user_1" }] },
      merchant: { id: "merch_1", odd: true },
      brand_new_field: ["anything"],
    };
    const raw = JSON.parse(JSON.stringify(odd)) as unknown;
    const tx = parse(TransactionSchema, raw, "test");
    expect(tx).toEqual(odd);
  });

  it("gives a transaction without metadata an empty object, as the type promises", () => {
    const { metadata: _, ...rest } = base;
    expect(parse(TransactionSchema, { ...rest }, "test").metadata).toEqual({});
  });

  it("refuses a transaction without its id, time or money, naming the field", () => {
    for (const [field, value] of [
      ["id", undefined],
      ["id", 5],
      ["created", "yesterday"],
      ["created", undefined],
      ["amount", "3.22"],
      ["amount", 3.5],
      ["currency", undefined],
    ] as const) {
      const broken: Record<string, unknown> = { ...base, [field]: value };
      if (value === undefined) delete broken[field];
      const attempt = () =>
        unwrap(
          v.array(TransactionSchema),
          { transactions: [base, broken] },
          "transactions",
          "GET /transactions",
        );
      expect(attempt).toThrow(InvalidResponseError);
      expect(attempt).toThrow(new RegExp(`1\\.${field}`));
    }
    expect(() => parse(TransactionSchema, "tx_1", "test")).toThrow(InvalidResponseError);
  });

  it("never fails a transaction over fields other than id, created, amount and currency (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (extra) => {
        const raw = JSON.parse(JSON.stringify({ ...extra, ...pick(base) })) as Record<string, unknown>;
        const snapshot = JSON.stringify(raw);
        const tx = parse(TransactionSchema, raw, "test");
        expect(tx).toBe(raw);
        // Nothing changed, except a missing metadata filled in.
        if ("metadata" in JSON.parse(snapshot)) expect(JSON.stringify(tx)).toBe(snapshot);
      }),
    );
  });
});

function pick(t: typeof base) {
  return { id: t.id, created: t.created, amount: t.amount, currency: t.currency };
}
