/**
 * Reading a page's structure before parsing it: whenever the text parses, the peek agrees with
 * `JSON.parse` (count, and the last transaction's id and time); anything not written as Monzo writes a
 * page is left to the ordinary parse; nothing makes it throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { peekTransactions, yieldToEventLoop } from "../../src/history/peek.js";

/** Strings with everything that could fool a structural scan: quotes, escapes, brackets, commas. */
const nasty = fc.string({
  unit: fc.constantFrom(...'"\\{}[],:abc \n\t\u2028é🙂/'.split(/(?:)/u), "\\u0022", '\\"', "\\\\"),
  maxLength: 12,
});
const time = fc
  .date({ min: new Date("2015-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const transaction = fc.record({
  id: fc.oneof(nasty, fc.string()).map((s) => `tx_${s}`),
  created: time,
  amount: fc.integer(),
  currency: fc.constant("GBP"),
  description: nasty,
  metadata: fc.dictionary(nasty, nasty, { maxKeys: 3 }),
  extra: fc.jsonValue({ maxDepth: 3 }),
});
const page = fc.array(transaction, { maxLength: 8 });

function agrees(text: string): void {
  const peek = peekTransactions(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return; // not JSON: a peek is allowed (the parse then fails the walk), it only must not throw
  }
  if (peek === undefined) return;
  const items = (parsed as { transactions: { id: string; created: string }[] }).transactions;
  expect(Array.isArray(items)).toBe(true);
  expect(peek.count).toBe(items.length);
  const last = items.at(-1);
  if (last === undefined) expect(peek.last).toBeUndefined();
  else expect(peek.last).toEqual({ id: last.id, ms: Date.parse(last.created) });
}

describe("peekTransactions", () => {
  it("reads a page as JSON.stringify writes it: count, last id and time (property)", () => {
    fc.assert(
      fc.property(page, (items) => {
        const text = JSON.stringify({ transactions: items });
        const peek = peekTransactions(text);
        expect(peek).toBeDefined();
        expect(peek!.count).toBe(items.length);
        const last = items.at(-1);
        expect(peek!.last).toEqual(last ? { id: last.id, ms: Date.parse(last.created) } : undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with JSON.parse on any JSON, and on pages cut or changed anywhere (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        agrees(JSON.stringify(value));
        agrees(JSON.stringify({ transactions: value }));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        page,
        fc.nat(),
        fc.constantFrom("cut", "insert", "delete"),
        fc.constantFrom(...'"\\{}[], 0n'.split("")),
        (items, at, how, char) => {
          const text = JSON.stringify({ transactions: items });
          const i = at % (text.length + 1);
          const changed =
            how === "cut"
              ? text.slice(0, i)
              : how === "insert"
                ? text.slice(0, i) + char + text.slice(i)
                : text.slice(0, i) + text.slice(i + 1);
          agrees(changed);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("leaves to the ordinary parse what Monzo does not write: other keys, spaces, non-objects", () => {
    const tx = { id: "tx_1", created: "2026-01-01T00:00:00Z", amount: 1, currency: "GBP" };
    for (const text of [
      JSON.stringify({ transactions: [tx], other: [1] }),
      JSON.stringify({ other: 1, transactions: [tx] }),
      JSON.stringify({ transactions: [tx] }, null, 1),
      JSON.stringify({ transactions: [tx, "tx_2"] }),
      JSON.stringify({ transactions: [tx, [tx]] }),
      JSON.stringify({ transactions: [{ ...tx, created: "soon" }] }),
      JSON.stringify({ transactions: [{ ...tx, id: 7 }] }),
      '{"transactions":[{"id":"tx_1"},]}',
      '{"transactions":[{"id":"tx_1"}}]}',
      "",
    ])
      expect(peekTransactions(text)).toBeUndefined();
    expect(peekTransactions('{"transactions":[]}')).toEqual({ count: 0, last: undefined });
    // Duplicate keys: the last one counts, as in JSON.parse.
    expect(
      peekTransactions('{"transactions":[{"id":"tx_a","created":"2026-01-01T00:00:00Z","id":"tx_b"}]}'),
    ).toEqual({ count: 1, last: { id: "tx_b", ms: Date.parse("2026-01-01T00:00:00Z") } });
  });

  it("yieldToEventLoop returns to the event loop, not only to the microtask queue", async () => {
    const order: string[] = [];
    // Queued before the yield: a macrotask, as the socket write of a request just handed to fetch is.
    setImmediate(() => order.push("macrotask"));
    queueMicrotask(() => order.push("microtask"));
    await yieldToEventLoop();
    order.push("after");
    expect(order).toEqual(["microtask", "macrotask", "after"]);
  });
});
