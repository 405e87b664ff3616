import type { IdGenerator } from "../util/ids.js";
import { CARD_NUMBERS, TransactionRecord } from "./record.js";
import type { AccountJson, LedgerKind, MerchantJson, PotJson, TransactionJson, User } from "./types.js";

export interface AccountRecord {
  json: AccountJson;
  ownerIds: string[];
  ledger: LedgerKind;
  /** Available balance in minor units: every non-declined transaction, settled or pending (REFERENCE §13.24). */
  balance: number;
  /** A pot's hidden ledger account (REFERENCE §6.1): readable by id, never listed by `/accounts`. */
  hidden?: boolean;
  /** Sorted by (`createdMs`, id number): the index every `/transactions` query binary-searches. */
  transactions: TransactionRecord[];
}

export interface PotRecord {
  json: PotJson;
  /** The pot's hidden ledger account, seen only in pot-transfer metadata (REFERENCE §6.1). */
  potAccountId: string;
  /** "Added security": withdrawals only in the app (REFERENCE §6.4). Not a field Monzo exposes. */
  addedSecurity: boolean;
}

/** A pending transaction's settlement, due at `atMs` of emulator time. */
export interface Settlement {
  record: TransactionRecord;
  atMs: number;
  /** The amount it settles at (a tip, the final exchange rate) and its local amount. */
  amount: number;
  localAmount: number;
}

/**
 * The emulator's bank: users, accounts, pots, merchants and every transaction, indexed so a page of
 * `/transactions` costs a binary search plus the page, whatever the account's size.
 */
export class Bank {
  readonly users = new Map<string, User>();
  readonly accounts = new Map<string, AccountRecord>();
  readonly pots = new Map<string, PotRecord>();
  readonly #potsByAccount = new Map<string, PotRecord[]>();
  readonly merchants = new Map<string, MerchantJson>();
  /** By the number inside the id (see `IdGenerator.numberOf`): no 100k id strings as keys. */
  readonly #transactions = new Map<number, TransactionRecord>();
  readonly ids: IdGenerator;
  /** Called after a transaction is added at run time (not while seeding): webhooks hang here. */
  onTransaction: ((record: TransactionRecord) => void) | undefined;
  /** Merchants by catalogue key, for transactions made at run time. */
  readonly merchantsByKey = new Map<string, MerchantJson>();
  /** Pending transactions' settlements, soonest first. */
  readonly #settlements: Settlement[] = [];

  constructor(ids: IdGenerator) {
    this.ids = ids;
  }

  accountsOf(userId: string): AccountRecord[] {
    return [...this.accounts.values()].filter((a) => !a.hidden && a.ownerIds.includes(userId));
  }

  transaction(id: string): TransactionRecord | undefined {
    const n = this.ids.numberOf(id, "tx");
    return n === undefined ? undefined : this.#transactions.get(n);
  }

  get transactionCount(): number {
    return this.#transactions.size;
  }

  /** Adds a transaction given as JSON (its id must come from this bank's `ids`). */
  add(
    account: AccountRecord,
    json: TransactionJson,
    createdMs: number,
    declined = false,
    notify = true,
  ): TransactionRecord {
    const n = this.ids.numberOf(json.id, "tx");
    if (n === undefined) throw new Error(`transaction id ${json.id} was not made by this bank`);
    return this.addRecord(account, TransactionRecord.fromJson(json, n, createdMs, declined), notify);
  }

  /** Adds a transaction in its sorted place and moves the balance; `notify` fires `onTransaction`. */
  addRecord(account: AccountRecord, record: TransactionRecord, notify = true): TransactionRecord {
    const list = account.transactions;
    const last = list[list.length - 1];
    if (!last || compare(last, record.createdMs, record.n) < 0) list.push(record);
    else list.splice(upperBound(list, record.createdMs, record.n), 0, record);
    this.#transactions.set(record.n, record);
    if (!record.declined) account.balance += record.amount;
    if (notify) this.onTransaction?.(record);
    return record;
  }

  /** When the next pending transaction settles (`Infinity` when none is scheduled). */
  get nextSettlementMs(): number {
    return this.#settlements[0]?.atMs ?? Number.POSITIVE_INFINITY;
  }

  /** The settlement scheduled for a record, if any. */
  settlementOf(record: TransactionRecord): Settlement | undefined {
    return this.#settlements.find((s) => s.record === record);
  }

  /** Schedules (or reschedules) a pending record's settlement. */
  schedule(settlement: Settlement): void {
    this.unschedule(settlement.record);
    const list = this.#settlements;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.atMs <= settlement.atMs) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, settlement);
  }

  unschedule(record: TransactionRecord): void {
    const i = this.#settlements.findIndex((s) => s.record === record);
    if (i >= 0) this.#settlements.splice(i, 1);
  }

  /** Settles every pending transaction whose settlement is due by `now`, at its own due time. */
  settleDue(now: number): number {
    let count = 0;
    while (this.#settlements.length > 0 && this.#settlements[0]!.atMs <= now) {
      const s = this.#settlements.shift()!;
      this.settle(s.record, s.atMs, s.amount, s.localAmount);
      count++;
    }
    return count;
  }

  /**
   * Settles a pending record at `atMs`: `settled` is set, `updated` moves on (so a client re-reading it sees
   * the change), the amount may change and the balance moves by the difference (REFERENCE §7.1, §13.24).
   */
  settle(record: TransactionRecord, atMs: number, amount: number, localAmount: number): void {
    this.unschedule(record);
    const before = record.json;
    const account = this.accounts.get(record.accountId);
    // Monzo's `updated` trails the settlement by a fraction of a second (S-wg-fixtures); never backwards.
    const updatedMs = Math.max(atMs + 100 + (record.n % 400), Date.parse(before.updated) + 1);
    const clearing =
      before.scheme === "mastercard"
        ? this.ids.idAt("mcclearingmsg", record.n + CARD_NUMBERS - 1)
        : undefined;
    const delta = amount - record.amount;
    record.settle(atMs, updatedMs, amount, localAmount, clearing);
    if (account && !record.declined) account.balance += delta;
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

  /** Index just after the transaction with this (created, number) key. */
  static afterKey(list: readonly TransactionRecord[], ms: number, n: number): number {
    return upperBound(list, ms, n);
  }

  /** The pots of an account, in creation order (deleted ones included, as Monzo lists them). */
  potsOf(accountId: string): readonly PotRecord[] {
    return this.#potsByAccount.get(accountId) ?? [];
  }

  addPot(pot: PotRecord): void {
    this.pots.set(pot.json.id, pot);
    const list = this.#potsByAccount.get(pot.json.current_account_id);
    if (list) list.push(pot);
    else this.#potsByAccount.set(pot.json.current_account_id, [pot]);
  }
}

function compare(record: TransactionRecord, ms: number, n: number): number {
  return record.createdMs !== ms ? record.createdMs - ms : record.n - n;
}

function upperBound(list: readonly TransactionRecord[], ms: number, n: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid]!, ms, n) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
