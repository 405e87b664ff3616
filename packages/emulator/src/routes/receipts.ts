import type { Hono } from "hono";
import { MonzoHttpError, missingParam } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { approved } from "./guard.js";

type Json = Record<string, unknown>;

/**
 * Receipts (REFERENCE §10): JSON upsert by `external_id` per client (a Content-Type is optional, and so
 * is a trailing slash), retrieve with defaults filled in, delete. Other clients' receipts are invisible.
 */
export function receiptRoutes(app: Hono, state: EmulatorState): void {
  for (const path of ["/transaction-receipts", "/transaction-receipts/"]) {
    app.put(path, async (c) => {
      const grant = approved(c, state);
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new MonzoHttpError("bad_request.invalid_json", "The request body must be a JSON receipt");
      }
      const receipt = validateReceipt(body);
      const tx = state.bank.transaction(receipt["transaction_id"] as string);
      const account = tx && state.bank.accounts.get(tx.accountId);
      if (!tx || !account?.ownerIds.includes(grant.userId))
        throw new MonzoHttpError("not_found.transaction", "Transaction not found");
      let mine = state.receipts.get(grant.clientId);
      if (!mine) {
        mine = new Map();
        state.receipts.set(grant.clientId, mine);
      }
      const externalId = receipt["external_id"] as string;
      const id = (mine.get(externalId)?.["id"] as string | undefined) ?? state.ids.next("receipt");
      mine.set(externalId, withDefaults({ ...receipt, id }));
      return c.json(state.quirks.receiptPutResponse === "receipt_id" ? { receipt_id: id } : {});
    });

    app.get(path, (c) => {
      const grant = approved(c, state);
      const externalId = Params.fromQuery(c.req.url).get("external_id");
      if (!externalId) throw missingParam("external_id");
      const receipt = state.receipts.get(grant.clientId)?.get(externalId);
      if (!receipt) throw new MonzoHttpError("not_found.receipt", "Receipt not found");
      return c.json({ receipt });
    });

    app.delete(path, (c) => {
      const grant = approved(c, state);
      const externalId = Params.fromQuery(c.req.url).get("external_id");
      if (!externalId) throw missingParam("external_id");
      if (!state.receipts.get(grant.clientId)?.delete(externalId))
        throw new MonzoHttpError("not_found.receipt", "Receipt not found");
      return c.json({});
    });
  }
}

function fail(field: string, message: string): never {
  throw new MonzoHttpError(`bad_request.bad_param.${field}`, message);
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

function checkLine(item: unknown, path: string, nested: boolean): void {
  if (!item || typeof item !== "object" || Array.isArray(item)) fail(path, `${path} must be an object`);
  const o = item as Json;
  if (typeof o["description"] !== "string" || o["description"] === "")
    fail(`${path}.description`, `${path}.description is required`);
  if (!isInt(o["amount"])) fail(`${path}.amount`, `${path}.amount must be an integer in minor units`);
  if (typeof o["currency"] !== "string") fail(`${path}.currency`, `${path}.currency is required`);
  if (o["quantity"] !== undefined && typeof o["quantity"] !== "number")
    fail(`${path}.quantity`, `${path}.quantity must be a number`);
  if (o["tax"] !== undefined && !isInt(o["tax"])) fail(`${path}.tax`, `${path}.tax must be an integer`);
  if (o["sub_items"] !== undefined) {
    if (nested) fail(`${path}.sub_items`, "sub_items cannot be nested");
    if (!Array.isArray(o["sub_items"])) fail(`${path}.sub_items`, `${path}.sub_items must be an array`);
    for (const [i, sub] of o["sub_items"].entries()) checkLine(sub, `${path}.sub_items[${i}]`, true);
  }
}

function validateReceipt(body: unknown): Json {
  if (!body || typeof body !== "object" || Array.isArray(body))
    fail("receipt", "The body must be a JSON object");
  const r = body as Json;
  if (typeof r["external_id"] !== "string" || r["external_id"] === "") throw missingParam("external_id");
  if (typeof r["transaction_id"] !== "string" || r["transaction_id"] === "")
    throw missingParam("transaction_id");
  if (!isInt(r["total"]) || r["total"] < 0) fail("total", "total must be a positive integer in minor units");
  if (typeof r["currency"] !== "string") throw missingParam("currency");
  if (!Array.isArray(r["items"])) throw missingParam("items");
  for (const [i, item] of r["items"].entries()) checkLine(item, `items[${i}]`, false);
  for (const key of ["taxes", "payments"]) {
    const list = r[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail(key, `${key} must be an array`);
    for (const [i, entry] of list.entries()) {
      const o = entry as Json;
      if (!o || typeof o !== "object" || !isInt(o["amount"]) || typeof o["currency"] !== "string") {
        fail(`${key}[${i}]`, `${key}[${i}] needs an integer amount and a currency`);
      }
      if (key === "payments" && !["card", "cash", "gift_card"].includes(o["type"] as string)) {
        fail(`${key}[${i}].type`, "payment type must be card, cash or gift_card");
      }
    }
  }
  if (r["merchant"] !== undefined && (typeof r["merchant"] !== "object" || Array.isArray(r["merchant"]))) {
    fail("merchant", "merchant must be an object");
  }
  return r;
}

/** Monzo fills omitted optional parts with empty values on read (REFERENCE §10.3). */
function withDefaults(r: Json): Json {
  const merchant = {
    name: "",
    online: false,
    phone: "",
    email: "",
    store_name: "",
    store_address: "",
    store_postcode: "",
    ...(r["merchant"] as Json | undefined),
  };
  const items = (r["items"] as Json[]).map((i) => ({ quantity: 1, unit: "", tax: 0, sub_items: [], ...i }));
  return {
    id: r["id"],
    external_id: r["external_id"],
    transaction_id: r["transaction_id"],
    proof_of_purchase_id: "",
    total: r["total"],
    currency: r["currency"],
    merchant,
    payments: r["payments"] ?? [],
    taxes: r["taxes"] ?? [],
    items,
    barcode: null,
  };
}
