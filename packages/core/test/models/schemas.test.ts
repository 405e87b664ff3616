/**
 * Tolerant transaction parsing: the fields core relies on are checked, everything else is kept exactly
 * as it came (a metadata value that is not a string, a new field, an unknown enum value, an odd nested
 * object), and the object returned is the one `JSON.parse` made.
 */
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  checkTransaction,
  InvalidResponseError,
  parse,
  readTransactions,
  TransactionSchema,
  unwrap,
} from "../../src/models/schemas.js";

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

  it("refuses a transaction without its id, time or money, naming the field and its place, never the value", () => {
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
      const page = () => readTransactions({ transactions: [base, broken] }, "GET /transactions");
      expect(page).toThrow(InvalidResponseError);
      expect(page).toThrow(new RegExp(`: 1\\.${field}: `));
      if (typeof value === "string") expect(page).not.toThrow(value);
      const one = () => parse(TransactionSchema, broken, "GET /transactions/{id}");
      expect(one).toThrow(new RegExp(`\\b${field}: `));
    }
    expect(() => parse(TransactionSchema, "tx_1", "test")).toThrow(InvalidResponseError);
    expect(() => readTransactions({ transactions: [base, null] }, "t")).toThrow(/: 1: not an object/);
    expect(() => readTransactions({ transactions: "x" }, "t")).toThrow(/not an array/);
    expect(() => readTransactions({}, "t")).toThrow(/no "transactions"/);
  });

  it("a page gives each transaction's time in ms beside it, the objects as parsed", () => {
    const second = { ...base, id: "tx_2", created: "2022-08-30T19:49:06Z" };
    const body = JSON.parse(JSON.stringify({ transactions: [base, second] })) as { transactions: unknown[] };
    const { items, ms } = readTransactions(body, "t");
    expect(items).toBe(body.transactions);
    expect(ms).toEqual([Date.parse(base.created), Date.parse(second.created)]);
  });

  it("checks exactly what a valibot schema of the four fields checks (property)", () => {
    // The schema the hand-written check replaced, kept here as its oracle.
    const oracle = v.object({
      id: v.string(),
      created: v.pipe(
        v.string(),
        v.check((s) => !Number.isNaN(Date.parse(s)), "not a timestamp"),
      ),
      amount: v.pipe(v.number(), v.safeInteger()),
      currency: v.string(),
    });
    const odd = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer(),
      fc.constantFrom(2 ** 53, -(2 ** 53), 1.5, -0, Number.MAX_SAFE_INTEGER),
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom("2022-08-30T19:49:05.817Z", "2022-08-30", "yesterday", ""),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
    );
    const candidate = fc.oneof(
      fc.record({ id: odd, created: odd, amount: odd, currency: odd }, { requiredKeys: [] }),
      fc.record({ id: fc.string(), created: odd, amount: odd, currency: fc.string() }),
      odd,
    );
    fc.assert(
      fc.property(candidate, (value) => {
        const expected = v.safeParse(oracle, value).success;
        const problems: string[] = [];
        const ms = checkTransaction(value, problems);
        expect(!Number.isNaN(ms)).toBe(expected);
        expect(problems.length === 0).toBe(expected);
        if (expected) expect(ms).toBe(Date.parse((value as { created: string }).created));
      }),
      { numRuns: 2000 },
    );
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
