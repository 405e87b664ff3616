import type { EmulatorState } from "../state.js";
import { formatTime } from "../util/time.js";
import type { AccountRecord } from "./bank.js";
import { type ExternalParty, fasterPaymentIn } from "./builders.js";
import { FOREIGN, MERCHANTS } from "./catalog.js";
import { CARD_NUMBERS, cardJson, type TransactionRecord } from "./record.js";
import { cardIdOf } from "./seed.js";
import type { AccountJson, TransactionJson } from "./types.js";

/**
 * Changes to the bank at run time, as real Monzo makes them while a client watches: new card payments
 * (pending, settled or declined) and incoming payments, settlements that may change the amount, a
 * category changed in the app, an account closed. Each one moves `updated` (or `closed`), so a client that
 * re-reads what it already has sees the change (REFERENCE §7.1, §7.5).
 */

/** A change the bank refuses; `status` is what the control API answers with. */
export class LiveError extends Error {
  readonly status: 400 | 404 | 409;
  constructor(message: string, status: 400 | 404 | 409 = 400) {
    super(message);
    this.status = status;
  }
}

/** What `createTransaction` makes. Amounts are minor units, negative for money leaving the account. */
export interface NewTransaction {
  accountId: string;
  /** `card` (default): a Mastercard payment; `declined`: a refused one; `incoming`: a Faster Payment in. */
  kind?: "card" | "declined" | "incoming";
  amount: number;
  /** When it happened (epoch ms). Default: the emulator's now; never later than now. */
  at?: number;
  /** A catalogue merchant key (`tesco`, `pret`, …) or `"none"`. Default the first catalogue merchant. */
  merchant?: string;
  description?: string;
  category?: string;
  notes?: string;
  /** A card payment settled at `at` (`true`), or pending until it settles (default). */
  settled?: boolean;
  /**
   * When a pending card payment settles (epoch ms); `null` keeps it pending until `settleTransaction`.
   * Default: `at` plus the emulator's settlement delay (`settleAfterMs`).
   */
  settleAt?: number | null;
  /** The amount it settles at (a tip, the final exchange rate). Default: `amount`. */
  settleAmount?: number;
  localAmount?: number;
  localCurrency?: string;
  /** For `declined` (default `INSUFFICIENT_FUNDS`); giving one makes a card payment a decline. */
  declineReason?: string;
  /** For `incoming`: who paid. */
  counterparty?: Partial<ExternalParty>;
}

function accountFor(state: EmulatorState, id: string): AccountRecord {
  const account = state.bank.accounts.get(id);
  if (!account) throw new LiveError(`account_id ${id || "(none)"} is not an account of this emulator`, 404);
  if (account.ledger !== "transactions")
    throw new LiveError(`${account.json.type} accounts have no transactions (REFERENCE §13.26)`, 409);
  if (account.json.closed) throw new LiveError(`account ${id} is closed`, 409);
  return account;
}

function recordFor(state: EmulatorState, id: string): TransactionRecord {
  const record = state.bank.transaction(id);
  if (!record) throw new LiveError(`no transaction ${id || "(none)"}`, 404);
  return record;
}

function checkAmount(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new LiveError(`${what} must be an integer in minor units`);
}

/** Creates a transaction on an account and fires `transaction.created` webhooks for it (REFERENCE §11.4). */
export function createTransaction(state: EmulatorState, spec: NewTransaction): TransactionRecord {
  const bank = state.bank;
  const account = accountFor(state, spec.accountId);
  checkAmount(spec.amount, "amount");
  const now = state.clock.now();
  const at = spec.at ?? now;
  if (!Number.isFinite(at)) throw new LiveError("at must be an RFC 3339 timestamp");
  if (at > now)
    throw new LiveError(`at (${formatTime(at)}) is later than the emulator's now (${formatTime(now)})`);
  const kind = spec.kind ?? (spec.declineReason !== undefined ? "declined" : "card");

  if (kind === "incoming") {
    if (spec.amount <= 0) throw new LiveError("an incoming payment's amount must be positive");
    const from = {
      name: spec.counterparty?.name ?? "Jane Smith",
      sortCode: spec.counterparty?.sortCode ?? "987654",
      accountNumber: spec.counterparty?.accountNumber ?? "31926819",
    };
    const json = fasterPaymentIn(state.ids, {
      accountId: account.json.id,
      amount: spec.amount,
      createdMs: at,
      from,
      reference: spec.notes ?? spec.description ?? "",
      ...(spec.category ? { category: spec.category } : {}),
    });
    if (spec.description) json.description = spec.description;
    json.updated = formatTime(Math.min(at + 100 + (bank.ids.numberOf(json.id, "tx")! % 400), now));
    return bank.add(account, json, at, false, true);
  }
  if (kind !== "card" && kind !== "declined")
    throw new LiveError('kind must be "card", "declined" or "incoming"');

  const key = spec.merchant ?? MERCHANTS[0]!.key;
  const seed = MERCHANTS.find((m) => m.key === key);
  const merchant = bank.merchantsByKey.get(key);
  if (key !== "none" && (!seed || !merchant))
    throw new LiveError(
      `unknown merchant ${key}; use one of ${MERCHANTS.map((m) => m.key).join(", ")} or "none"`,
    );
  const declined = kind === "declined";
  const declineReason = declined ? (spec.declineReason ?? "INSUFFICIENT_FUNDS") : undefined;
  const settled = !declined && spec.settled === true;
  const foreign = seed ? FOREIGN[seed.key] : undefined;
  const localAmount =
    spec.localAmount ??
    (foreign && foreign.rate !== 1 ? Math.round(spec.amount * foreign.rate) : spec.amount);
  checkAmount(localAmount, "local_amount");
  const owner = bank.users.get(account.ownerIds[0]!)!;
  const n = state.ids.reserve(CARD_NUMBERS);
  const json = cardJson({
    ids: state.ids,
    n,
    createdMs: at,
    amount: spec.amount,
    accountId: account.json.id,
    userId: owner.id,
    cardId: cardIdOf(owner),
    merchantId: merchant?.id ?? null,
    descriptor: spec.description ?? seed?.descriptor ?? "CARD PAYMENT",
    category: spec.category ?? seed?.category ?? "general",
    mcc: seed?.mcc ?? "5999",
    atm: seed?.atm ?? false,
    localAmount,
    localCurrency: spec.localCurrency ?? foreign?.currency ?? account.json.currency,
    settledMs: settled ? at : -1,
    // Monzo's `updated` trails `created` by a fraction of a second; never later than now.
    updatedMs: Math.min(at + 100 + (n % 400), now),
    declineReason,
    flags: 0,
  });
  if (spec.notes) {
    json.notes = spec.notes;
    json.metadata["notes"] = spec.notes;
  }
  const record = bank.add(account, json, at, declined, true);
  if (!declined && !settled && spec.settleAt !== null) {
    const [min, max] = state.settleAfterMs;
    const settleAt = spec.settleAt ?? at + state.liveRng.int(min, max);
    if (!Number.isFinite(settleAt) || settleAt < at)
      throw new LiveError("settle_at must not be before the transaction itself");
    const amount = spec.settleAmount ?? spec.amount;
    checkAmount(amount, "settle_amount");
    bank.schedule({
      record,
      atMs: settleAt,
      amount,
      localAmount: json.local_currency === account.json.currency ? amount : localAmount,
    });
    state.settleDue();
  }
  return record;
}

/**
 * Settles a pending transaction now (or at `at`, which must lie between its creation and now), at its
 * scheduled amount, its own amount, or `amount` when given (REFERENCE §7.1).
 */
export function settleTransaction(
  state: EmulatorState,
  id: string,
  options: { amount?: number; localAmount?: number; at?: number } = {},
): TransactionRecord {
  const record = recordFor(state, id);
  if (record.declined) throw new LiveError(`${id} was declined: declines never settle`, 409);
  if (!record.pending) throw new LiveError(`${id} is already settled`, 409);
  const now = state.clock.now();
  const at = options.at ?? now;
  if (!Number.isFinite(at) || at < record.createdMs || at > now)
    throw new LiveError("at must lie between the transaction's created time and the emulator's now");
  const scheduled = state.bank.settlementOf(record);
  const amount = options.amount ?? scheduled?.amount ?? record.amount;
  checkAmount(amount, "amount");
  const json = record.json;
  const sameCurrency = json.local_currency === json.currency;
  const localAmount =
    options.localAmount ?? (sameCurrency ? amount : (scheduled?.localAmount ?? json.local_amount));
  checkAmount(localAmount, "local_amount");
  state.bank.settle(record, at, amount, localAmount);
  return record;
}

/** What the person changes in the app: a category, notes, metadata (an empty value deletes a key). */
export interface TransactionEdit {
  category?: string;
  notes?: string;
  metadata?: Record<string, string>;
}

/** Edits a transaction as the Monzo app does; `updated` moves on (REFERENCE §7.1, §7.5). */
export function updateTransaction(
  state: EmulatorState,
  id: string,
  edit: TransactionEdit,
): TransactionRecord {
  const record = recordFor(state, id);
  if (edit.category !== undefined && !/^[a-z0-9_]{1,64}$/.test(edit.category))
    throw new LiveError("category must be a Monzo category name such as eating_out (a-z, 0-9, _)");
  if (edit.category === undefined && edit.notes === undefined && edit.metadata === undefined)
    throw new LiveError("give category, notes or metadata to change");
  const json: TransactionJson = record.pin();
  if (edit.category !== undefined) {
    json.category = edit.category;
    // The split of the amount by category follows the category (REFERENCE §7.1 `categories`).
    if (json.categories !== null) json.categories = { [edit.category]: json.amount };
  }
  if (edit.notes !== undefined) {
    json.notes = edit.notes;
    if (edit.notes === "") delete json.metadata["notes"];
    else json.metadata["notes"] = edit.notes;
  }
  for (const [key, value] of Object.entries(edit.metadata ?? {})) {
    if (value === "") delete json.metadata[key];
    else json.metadata[key] = value;
    if (key === "notes") json.notes = value;
  }
  json.updated = formatTime(Math.max(state.clock.now(), Date.parse(json.updated) + 1));
  return record;
}

/** Closes an account: `/accounts` lists it with `closed: true` from now on (REFERENCE §4, §13.25). */
export function closeAccount(state: EmulatorState, id: string): AccountJson {
  const account = state.bank.accounts.get(id);
  if (!account || account.hidden) throw new LiveError(`no account ${id || "(none)"}`, 404);
  if (account.json.closed) throw new LiveError(`account ${id} is already closed`, 409);
  // Payments authorised before the closure still settle, as they would at a real bank.
  account.json.closed = true;
  return account.json;
}
