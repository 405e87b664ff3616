import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, changedFields } from "../../src/mirror/canonical.js";

/** The same value with every object's keys in reverse order. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    );
  return value;
}

describe("canonical JSON", () => {
  it("is the same text whatever the key order, and parses back to an equal value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(reordered(value))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it("names exactly the top-level fields whose values differ, ignoring key order", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 6 }),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 6 }),
        (a, b) => {
          const fields = changedFields(a, b);
          expect(changedFields(a, reordered(a) as Record<string, unknown>)).toEqual([]);
          for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
            const differs =
              Object.hasOwn(a, key) !== Object.hasOwn(b, key) ||
              canonicalJson(a[key]) !== canonicalJson(b[key]);
            expect(fields.includes(key)).toBe(differs);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a settled, re-priced transaction changes settled and amount only", () => {
    expect(
      changedFields(
        { id: "tx_1", amount: -1000, settled: "", metadata: { a: "1" } },
        { metadata: { a: "1" }, settled: "2026-01-02T00:00:00Z", amount: -1234, id: "tx_1" },
      ),
    ).toEqual(["amount", "settled"]);
  });
});
