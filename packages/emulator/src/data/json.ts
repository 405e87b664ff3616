import { formatTime } from "../util/time.js";
import type { TransactionJson } from "./types.js";

/** Fields every transaction shares unless a generator sets them. */
export function baseTransaction(
  fields: Pick<TransactionJson, "id" | "amount" | "description" | "account_id" | "category"> &
    Partial<TransactionJson>,
  createdMs: number,
  currency = "GBP",
): TransactionJson {
  const created = formatTime(createdMs);
  // Keys in the order Monzo sends them (REFERENCE §7.3); `fields` overrides values, not positions.
  const base: TransactionJson = {
    id: fields.id,
    created,
    updated: created,
    description: fields.description,
    amount: fields.amount,
    fees: EMPTY,
    currency,
    merchant: null,
    // Only card payments with a merchant have it (REFERENCE §7.1); its place is right after `merchant`.
    ...(fields.merchant_feedback_uri === undefined
      ? {}
      : { merchant_feedback_uri: fields.merchant_feedback_uri }),
    notes: "",
    metadata: {},
    labels: null,
    attachments: null,
    international: null,
    category: fields.category,
    categories: { [fields.category]: fields.amount },
    is_load: false,
    settled: created,
    local_amount: fields.amount,
    local_currency: currency,
    account_id: fields.account_id,
    user_id: "",
    counterparty: EMPTY,
    scheme: "mastercard",
    dedupe_id: "",
    originator: false,
    include_in_spending: false,
    can_be_excluded_from_breakdown: false,
    can_be_made_subscription: false,
    can_split_the_bill: false,
    can_add_to_tab: false,
    can_match_transactions_in_categorization: false,
    amount_is_pending: false,
    atm_fees_detailed: null,
    parent_account_id: "",
  };
  return Object.assign(base, fields);
}

/** Shared empty objects: most transactions have no fees and no counterparty, and nothing mutates these. */
const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;
