import type { IdGenerator } from "../util/ids.js";
import { formatTime } from "../util/time.js";
import type {
  AccountJson,
  LedgerKind,
  MerchantJson,
  PotJson,
  TransactionJson,
  TransactionRecord,
  User,
} from "./types.js";

export interface AccountRecord {
  json: AccountJson;
  ownerIds: string[];
  ledger: LedgerKind;
  /** Available balance in minor units: every non-declined transaction, settled or pending (REFERENCE §13.24). */
  balance: number;
  /** Sorted by (`createdMs`, id): the index every `/transactions` query binary-searches. */
  transactions: TransactionRecord[];
}

export interface PotRecord {
  json: PotJson;
  /** The pot's hidden ledger account, seen only in pot-transfer metadata (REFERENCE §6.1). */
  potAccountId: string;
  /** "Added security": withdrawals only in the app (REFERENCE §6.4). Not a field Monzo exposes. */
  addedSecurity: boolean;
}

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

/**
 * The emulator's bank: users, accounts, pots, merchants and every transaction, indexed so a page of
 * `/transactions` costs a binary search plus the page, whatever the account's size.
 */
export class Bank {
  readonly users = new Map<string, User>();
  readonly accounts = new Map<string, AccountRecord>();
  readonly pots = new Map<string, PotRecord>();
  readonly merchants = new Map<string, MerchantJson>();
  readonly #transactions = new Map<string, TransactionRecord>();
  readonly ids: IdGenerator;
  /** Called after a transaction is added at run time (not while seeding): webhooks hang here. */
  onTransaction: ((record: TransactionRecord) => void) | undefined;

  constructor(ids: IdGenerator) {
    this.ids = ids;
  }

  accountsOf(userId: string): AccountRecord[] {
    return [...this.accounts.values()].filter((a) => a.ownerIds.includes(userId));
  }

  transaction(id: string): TransactionRecord | undefined {
    return this.#transactions.get(id);
  }

  get transactionCount(): number {
    return this.#transactions.size;
  }

  /** Adds a transaction in its sorted place and moves the balance; `notify` fires `onTransaction`. */
  add(
    account: AccountRecord,
    json: TransactionJson,
    createdMs: number,
    declined = false,
    notify = true,
  ): TransactionRecord {
    const record: TransactionRecord = { json, createdMs, declined };
    const list = account.transactions;
    const last = list[list.length - 1];
    if (!last || compare(last, createdMs, json.id) < 0) list.push(record);
    else list.splice(upperBound(list, createdMs, json.id), 0, record);
    this.#transactions.set(json.id, record);
    if (!declined) account.balance += json.amount;
    if (notify) this.onTransaction?.(record);
    return record;
  }

  /** Index of the first transaction created at or after `ms`. */
  static lowerBoundTime(list: readonly TransactionRecord[], ms: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.createdMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index just after the transaction with this (created, id) key. */
  static afterKey(list: readonly TransactionRecord[], ms: number, id: string): number {
    return upperBound(list, ms, id);
  }

  potsOf(accountId: string): PotRecord[] {
    return [...this.pots.values()].filter((p) => p.json.current_account_id === accountId);
  }
}

function compare(record: TransactionRecord, ms: number, id: string): number {
  if (record.createdMs !== ms) return record.createdMs - ms;
  return record.json.id < id ? -1 : record.json.id > id ? 1 : 0;
}

function upperBound(list: readonly TransactionRecord[], ms: number, id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid]!, ms, id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
