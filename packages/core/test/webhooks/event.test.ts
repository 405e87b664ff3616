import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidWebhookEventError, parseWebhookEvent } from "../../src/index.js";
import { DOCS_EVENT } from "./fixtures.js";

describe("parseWebhookEvent", () => {
  it("parses the docs' transaction.created example, from text or from a parsed value", () => {
    for (const body of [JSON.stringify(DOCS_EVENT), DOCS_EVENT]) {
      const event = parseWebhookEvent(body);
      expect(event.kind).toBe("transaction.created");
      if (event.kind !== "transaction.created") throw new Error("narrowing");
      expect(event.type).toBe("transaction.created");
      expect(event.data.id).toBe("tx_00008zjky19HyFLAzlUk7t");
      expect(event.data.amount).toBe(-350);
      expect(typeof event.data.merchant === "object" && event.data.merchant?.name).toBe(
        "The De Beauvoir Deli Co.",
      );
    }
  });

  it("keeps the fields real deliveries carry beyond the docs (S-docs-118) and Monzo adds later", () => {
    const event = parseWebhookEvent({
      type: "transaction.created",
      data: {
        ...DOCS_EVENT.data,
        merchant: null,
        fees: {},
        account_balance: 12_000,
        counterparty: { account_number: "71931989", name: "A Person", sort_code: "608371" },
        scheme: "payport_faster_payments",
        amount_is_pending: false,
        a_field_from_2030: { nested: [1, 2] },
      },
      another_envelope_field: true,
    });
    if (event.kind !== "transaction.created") throw new Error("narrowing");
    expect(event.data.merchant).toBeNull();
    expect((event.data as Record<string, unknown>)["account_balance"]).toBe(12_000);
    expect((event.data as Record<string, unknown>)["a_field_from_2030"]).toEqual({ nested: [1, 2] });
    expect(event.data.counterparty?.["name"]).toBe("A Person");
  });

  it("keeps an unknown type as it came: its type string and data untouched", () => {
    const data = { id: "pot_1", anything: [1, "two", null], deep: { x: 1 } };
    const event = parseWebhookEvent({ type: "pot.updated", data });
    expect(event).toEqual({ kind: "unknown", type: "pot.updated", data });
    if (event.kind === "unknown") expect(event.data).toBe(data);
    expect(parseWebhookEvent('{"type":"ping"}')).toEqual({ kind: "unknown", type: "ping", data: undefined });
  });

  it("refuses what is not an event, saying what is wrong", () => {
    const cases: [unknown, RegExp][] = [
      ["not json", /not JSON/],
      ["", /not JSON/],
      ["[]", /not a JSON object/],
      [null, /not a JSON object/],
      [42, /not a JSON object/],
      ["{}", /"type" is missing/],
      [{ type: 7 }, /"type" is missing/],
      [{ type: "" }, /"type" is missing/],
      [{ type: "transaction.created" }, /"data" is not a transaction/],
      [{ type: "transaction.created", data: { ...DOCS_EVENT.data, amount: "-350" } }, /amount/],
      [{ type: "transaction.created", data: { ...DOCS_EVENT.data, id: undefined } }, /id/],
    ];
    for (const [body, message] of cases) {
      let thrown: unknown;
      try {
        parseWebhookEvent(body);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(body)).toBeInstanceOf(InvalidWebhookEventError);
      expect((thrown as InvalidWebhookEventError).code).toBe("webhook.invalid_event");
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it("never throws anything but InvalidWebhookEventError, whatever the body (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.string(),
          fc.record({ type: fc.oneof(fc.string(), fc.jsonValue()), data: fc.jsonValue() }),
          fc.record({ type: fc.constant("transaction.created"), data: fc.jsonValue() }),
          fc.record({
            type: fc.constant("transaction.created"),
            data: fc.record(
              {
                id: fc.oneof(fc.string(), fc.jsonValue()),
                created: fc.oneof(fc.string(), fc.jsonValue()),
                description: fc.oneof(fc.string(), fc.jsonValue()),
                amount: fc.oneof(fc.integer(), fc.jsonValue()),
                currency: fc.oneof(fc.string(), fc.jsonValue()),
                merchant: fc.jsonValue(),
                metadata: fc.jsonValue(),
              },
              { requiredKeys: [] },
            ),
          }),
        ),
        (body) => {
          try {
            const event = parseWebhookEvent(body);
            expect(["transaction.created", "unknown"]).toContain(event.kind);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidWebhookEventError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("text and the value JSON.parse gives parse the same; unknown types keep data deep-equal (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((t) => t !== "transaction.created"),
        fc.jsonValue(),
        (type, data) => {
          const value = { type, data };
          const fromText = parseWebhookEvent(JSON.stringify(value));
          const fromValue = parseWebhookEvent(value);
          expect(fromText).toEqual({ kind: "unknown", type, data: JSON.parse(JSON.stringify(data)) });
          expect(fromValue.kind).toBe("unknown");
          if (fromValue.kind === "unknown") expect(fromValue.data).toBe(data);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("any extra fields on a transaction survive, whatever their values (property)", () => {
    // Fields the transaction schema types: a random value there may rightly fail.
    const typed =
      "id account_id created updated description amount currency local_amount local_currency merchant notes metadata category categories is_load settled decline_reason counterparty scheme dedupe_id user_id include_in_spending attachments labels";
    // valibot's loose objects drop these three keys (prototype pollution guard), here as everywhere in core.
    const reserved = new Set([...typed.split(" "), "__proto__", "prototype", "constructor"]);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => !reserved.has(k)),
          fc.jsonValue(),
        ),
        (extra) => {
          const body = JSON.stringify({
            type: "transaction.created",
            data: { ...DOCS_EVENT.data, ...extra },
          });
          const event = parseWebhookEvent(body);
          if (event.kind !== "transaction.created") throw new Error("narrowing");
          for (const [k, value] of Object.entries(extra))
            expect((event.data as Record<string, unknown>)[k]).toEqual(JSON.parse(JSON.stringify(value)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
