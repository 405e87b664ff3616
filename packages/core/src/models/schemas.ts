import * as v from "valibot";
import { MonzoError } from "../errors/monzo-error.js";
import type {
  AccountId,
  AttachmentId,
  ClientId,
  MerchantId,
  PotId,
  TransactionId,
  UserId,
  WebhookId,
} from "./ids.js";

/*
 * Wire schemas (REFERENCE §4–§11). Parse at the boundary, tolerate growth: every object keeps unknown
 * fields (`looseObject`), enum-like strings stay open strings, only documented fields are typed, and
 * anything Monzo has been seen to omit is optional.
 */

const id = <T>() =>
  v.pipe(
    v.string(),
    v.transform((s) => s as T),
  );
const str = v.string();
const int = v.number();
const bool = v.boolean();
const optional = <T extends v.GenericSchema>(schema: T) => v.optional(schema);
const nullable = <T extends v.GenericSchema>(schema: T) => v.optional(v.nullable(schema));

/**
 * `GET /ping/whoami` (REFERENCE §2.10).
 *
 * @example v.parse(WhoAmISchema, body)
 */
export const WhoAmISchema = v.looseObject({
  authenticated: bool,
  client_id: id<ClientId>(),
  user_id: id<UserId>(),
});

/**
 * An account (REFERENCE §4).
 *
 * @example v.parse(v.array(AccountSchema), body.accounts)
 */
export const AccountSchema = v.looseObject({
  id: id<AccountId>(),
  description: str,
  created: str,
  closed: optional(bool),
  type: optional(str),
  currency: optional(str),
  country_code: optional(str),
  owner_type: optional(str),
  product_type: optional(str),
  is_flex: optional(bool),
  owners: optional(
    v.array(
      v.looseObject({
        user_id: id<UserId>(),
        preferred_name: optional(str),
        preferred_first_name: optional(str),
      }),
    ),
  ),
  account_number: optional(str),
  sort_code: optional(str),
});

/**
 * `GET /balance` (REFERENCE §5).
 *
 * @example v.parse(BalanceSchema, body)
 */
export const BalanceSchema = v.looseObject({
  balance: int,
  total_balance: optional(int),
  balance_including_flexible_savings: optional(int),
  currency: str,
  spend_today: optional(int),
  local_currency: optional(str),
  local_exchange_rate: optional(int),
  local_spend: optional(v.array(v.looseObject({ spend_today: int, currency: str }))),
});

/**
 * A pot (REFERENCE §6.1).
 *
 * @example v.parse(PotSchema, body)
 */
export const PotSchema = v.looseObject({
  id: id<PotId>(),
  name: str,
  style: optional(str),
  balance: int,
  currency: str,
  created: optional(str),
  updated: optional(str),
  deleted: optional(bool),
  goal_amount: nullable(int),
  type: optional(str),
  current_account_id: optional(id<AccountId>()),
  round_up: optional(bool),
  locked: optional(bool),
  locked_until: nullable(str),
});

/**
 * An expanded merchant (REFERENCE §7.2).
 *
 * @example v.parse(MerchantSchema, tx.merchant)
 */
export const MerchantSchema = v.looseObject({
  id: id<MerchantId>(),
  group_id: optional(str),
  name: str,
  logo: optional(str),
  emoji: optional(str),
  category: optional(str),
  created: optional(str),
  online: optional(bool),
  atm: optional(bool),
  address: optional(
    v.looseObject({
      address: optional(str),
      city: optional(str),
      region: optional(str),
      country: optional(str),
      postcode: optional(str),
      latitude: optional(v.number()),
      longitude: optional(v.number()),
    }),
  ),
});

/**
 * An attachment on a transaction (REFERENCE §9.3).
 *
 * @example v.parse(AttachmentSchema, body.attachment)
 */
export const AttachmentSchema = v.looseObject({
  id: id<AttachmentId>(),
  user_id: optional(id<UserId>()),
  external_id: id<TransactionId>(),
  file_url: str,
  file_type: str,
  created: optional(str),
});

/**
 * Checks what core relies on in a transaction — its identity, its place in the order and its money
 * (REFERENCE §7.1): `id` and `currency` strings, `created` a timestamp, `amount` a safe integer. Returns
 * `created` in ms, or NaN after adding what is wrong to `problems` (each prefixed with `index`, the
 * transaction's place in its page, when given). Hand-written rather than a valibot object schema: it runs
 * for every transaction of every page, and the history walk needs the time it parses (ADR 0012). Nothing
 * from the value is quoted: bank data stays out of error messages.
 */
export function checkTransaction(value: unknown, problems: string[], index?: number): number {
  if (value !== null && typeof value === "object") {
    const tx = value as Record<string, unknown>;
    const created = tx["created"];
    const ms = typeof created === "string" ? Date.parse(created) : Number.NaN;
    if (
      typeof tx["id"] === "string" &&
      !Number.isNaN(ms) &&
      Number.isSafeInteger(tx["amount"]) &&
      typeof tx["currency"] === "string"
    ) {
      // Monzo always sends `metadata`; the type promises an object, so an answer without one gets `{}`.
      if (tx["metadata"] === undefined) tx["metadata"] = {};
      return ms;
    }
  }
  // Only a broken answer gets here: say everything that is wrong with it.
  const at = index === undefined ? "" : `${index}.`;
  if (value === null || typeof value !== "object") {
    problems.push(index === undefined ? "not an object" : `${index}: not an object`);
    return Number.NaN;
  }
  const tx = value as Record<string, unknown>;
  if (typeof tx["id"] !== "string") problems.push(`${at}id: not a string`);
  if (typeof tx["created"] !== "string" || Number.isNaN(Date.parse(tx["created"])))
    problems.push(`${at}created: not a timestamp`);
  if (!Number.isSafeInteger(tx["amount"])) problems.push(`${at}amount: not a whole number of minor units`);
  if (typeof tx["currency"] !== "string") problems.push(`${at}currency: not a string`);
  return Number.NaN;
}

/**
 * A transaction (REFERENCE §7.1); `merchant` is an id, an object (expanded) or null.
 *
 * Checked in place (`checkTransaction`): `id`, `created` (a timestamp), `amount` (integer minor units)
 * and `currency` must be there, or the answer is invalid; everything else is kept exactly as Monzo sent
 * it — unknown fields, unknown enum values, and a documented field with an undocumented type (a metadata
 * value that is not a string) alike — so one odd field never fails a page. The object returned is the one
 * `JSON.parse` made: no copy, so it stays in V8's compact representation (BENCHMARKS.md, history memory).
 *
 * @example v.parse(TransactionSchema, body.transaction)
 */
export const TransactionSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): Transaction => {
    const problems: string[] = [];
    if (Number.isNaN(checkTransaction(dataset.value, problems))) {
      for (const message of problems) addIssue({ message });
      return NEVER;
    }
    return dataset.value as Transaction;
  }),
);

/**
 * A page of transactions (`{"transactions": [...]}`), each checked in place (`checkTransaction`), with
 * each one's `created` in ms beside it.
 *
 * @throws {InvalidResponseError} naming the first problems (at most three), never the values
 * @example const { items, ms } = readTransactions(body, "GET /transactions");
 */
export function readTransactions(body: unknown, what: string): { items: Transaction[]; ms: number[] } {
  if (!body || typeof body !== "object" || !("transactions" in body))
    throw new InvalidResponseError(what, `no "transactions" in the answer`);
  const items = (body as { transactions: unknown }).transactions;
  if (!Array.isArray(items)) throw new InvalidResponseError(what, "(root): not an array");
  const ms = new Array<number>(items.length);
  const problems: string[] = [];
  for (let i = 0; i < items.length; i++) {
    ms[i] = checkTransaction(items[i], problems, i);
    if (problems.length >= 3) break;
  }
  if (problems.length > 0) throw new InvalidResponseError(what, problems.slice(0, 3).join("; "));
  return { items: items as Transaction[], ms };
}

/**
 * A transaction as Monzo sends it (REFERENCE §7.1). Documented fields carry their documented types;
 * any other field is there too, as sent.
 *
 * Only `id`, `created`, `amount` and `currency` are guaranteed: for every other field core keeps what
 * Monzo sent, even when it does not have the documented type. Code that must never throw on odd bank
 * data (a renderer, a sanitiser) should check such a field's type before treating it as a string.
 */
export interface Transaction {
  id: TransactionId;
  account_id?: AccountId;
  created: string;
  updated?: string;
  description: string;
  /** Minor units of `currency`, negative for money leaving the account (REFERENCE §1.5). */
  amount: number;
  currency: string;
  local_amount?: number;
  local_currency?: string;
  /** An id by default, the object with `expand[]=merchant`, null for transfers (REFERENCE §7.1). */
  merchant?: Merchant | MerchantId | null;
  notes?: string;
  /** Monzo's own keys and those your app set with `annotate`; all strings as documented (REFERENCE §7.5). */
  metadata: Record<string, string>;
  category?: string;
  categories?: Record<string, number> | null;
  is_load?: boolean;
  /** `""` while pending (REFERENCE §7.1). */
  settled?: string;
  decline_reason?: string;
  counterparty?: Record<string, unknown>;
  scheme?: string;
  dedupe_id?: string;
  user_id?: string;
  include_in_spending?: boolean;
  attachments?: Attachment[] | null;
  labels?: string[] | null;
  [key: string]: unknown;
}

/**
 * A registered webhook (REFERENCE §11).
 *
 * @example v.parse(WebhookSchema, body.webhook)
 */
export const WebhookSchema = v.looseObject({ id: id<WebhookId>(), account_id: id<AccountId>(), url: str });

/**
 * A receipt as read back (REFERENCE §10.3).
 *
 * @example v.parse(ReceiptSchema, body.receipt)
 */
export const ReceiptSchema = v.looseObject({
  id: optional(str),
  external_id: str,
  transaction_id: id<TransactionId>(),
  total: int,
  currency: str,
  items: v.array(v.looseObject({ description: str, amount: int, currency: str })),
});

/**
 * The token endpoint's answer (REFERENCE §2.4).
 *
 * @example v.parse(TokenResponseSchema, await response.json())
 */
export const TokenResponseSchema = v.looseObject({
  access_token: str,
  refresh_token: optional(str),
  expires_in: v.number(),
  token_type: optional(str),
  scope: optional(str),
  user_id: id<UserId>(),
  client_id: id<ClientId>(),
});

export type WhoAmI = v.InferOutput<typeof WhoAmISchema>;
export type Account = v.InferOutput<typeof AccountSchema>;
export type Balance = v.InferOutput<typeof BalanceSchema>;
export type Pot = v.InferOutput<typeof PotSchema>;
export type Merchant = v.InferOutput<typeof MerchantSchema>;
export type Attachment = v.InferOutput<typeof AttachmentSchema>;
export type Webhook = v.InferOutput<typeof WebhookSchema>;
export type Receipt = v.InferOutput<typeof ReceiptSchema>;
export type TokenResponse = v.InferOutput<typeof TokenResponseSchema>;

/**
 * An answer Monzo should never give: the body does not have the documented shape.
 *
 * @example if (e instanceof InvalidResponseError) report(e.message)
 */
export class InvalidResponseError extends MonzoError {
  static {
    InvalidResponseError.prototype.name = "InvalidResponseError";
  }

  constructor(what: string, issues: string) {
    super(
      "api.invalid_response",
      `Monzo's answer for ${what} does not have the documented shape: ${issues}`,
      {
        hint: "This is likely a change at Monzo: update Monzokit, or report it with the request id.",
      },
    );
  }
}

/**
 * Parses `value` or throws `InvalidResponseError` naming the first problems.
 *
 * @example const pot = parse(PotSchema, body, "PUT /pots/{id}/deposit");
 */
export function parse<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issues = result.issues
    .slice(0, 3)
    .map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`)
    .join("; ");
  throw new InvalidResponseError(what, issues);
}

/**
 * Reads `envelope[key]` (`{"accounts": [...]}`) and parses it.
 *
 * @example const accounts = unwrap(v.array(AccountSchema), body, "accounts", "GET /accounts");
 */
export function unwrap<S extends v.GenericSchema>(
  schema: S,
  body: unknown,
  key: string,
  what: string,
): v.InferOutput<S> {
  if (!body || typeof body !== "object" || !(key in body))
    throw new InvalidResponseError(what, `no "${key}" in the answer`);
  return parse(schema, (body as Record<string, unknown>)[key], what);
}
