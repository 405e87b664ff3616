import type { TransactionId } from "../models/ids.js";
import { type Receipt, ReceiptSchema, unwrap } from "../models/schemas.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

export interface ReceiptItem {
  description: string;
  amount: number;
  currency: string;
  quantity?: number;
  unit?: string;
  tax?: number;
  sub_items?: Omit<ReceiptItem, "sub_items">[];
}

export interface ReceiptInput {
  /** Your id for the receipt: the upsert key. */
  external_id: string;
  transaction_id: TransactionId | string;
  total: number;
  currency: string;
  items: ReceiptItem[];
  taxes?: { description: string; amount: number; currency: string; tax_number?: string }[];
  payments?: {
    type: "card" | "cash" | "gift_card";
    amount: number;
    currency: string;
    last_four?: string;
    gift_card_type?: string;
  }[];
  merchant?: {
    name?: string;
    online?: boolean;
    phone?: string;
    email?: string;
    store_name?: string;
    store_address?: string;
    store_postcode?: string;
  };
}

/**
 * Receipts: line items on a transaction, visible only to the client that wrote them (REFERENCE §10).
 *
 * @example await client.receipts.put(receipt);
 */
export class Receipts extends Resource {
  /**
   * Creates or replaces the receipt with this `external_id` (idempotent, so safely retried).
   *
   * @see https://docs.monzo.com/#create-receipt
   */
  async put(receipt: ReceiptInput, options?: CallOptions): Promise<void> {
    await this.send(
      { method: "PUT", path: "/transaction-receipts", json: receipt, replaySafe: true },
      options,
    );
  }

  /** @see https://docs.monzo.com/#retrieve-receipt */
  async retrieve(externalId: string, options?: CallOptions): Promise<Receipt> {
    const body = await this.send(
      { method: "GET", path: "/transaction-receipts", query: { external_id: externalId }, replaySafe: true },
      options,
    );
    return unwrap(ReceiptSchema, body, "receipt", "GET /transaction-receipts");
  }

  /** @see https://docs.monzo.com/#delete-receipt */
  async delete(externalId: string, options?: CallOptions): Promise<void> {
    await this.send(
      {
        method: "DELETE",
        path: "/transaction-receipts",
        query: { external_id: externalId },
        replaySafe: true,
      },
      options,
    );
  }
}
