import type { IdGenerator } from "../util/ids.js";
import { formatTime } from "../util/time.js";
import type { MerchantSeed } from "./catalog.js";
import { baseTransaction } from "./json.js";
import type { MerchantJson, TransactionJson, User } from "./types.js";

/** What every seeded card payment on one account shares. */
export interface CardContext {
  ids: IdGenerator;
  accountId: string;
  owner: User;
  cardId: string;
  /** Merchant objects and their catalogue entries, by catalogue index. */
  merchants: readonly MerchantJson[];
  seeds: readonly MerchantSeed[];
}

/** The parts of a seeded card payment its JSON is rebuilt from (ids come from its number). */
export interface CardParts {
  context: CardContext;
  merchant: number;
  settledMs: number;
  updatedMs: number;
  localAmount: number;
  localCurrency: string;
  declineReason: string | undefined;
}

/**
 * One transaction in the bank. Its number `n` (the counter inside its id) is the sort tiebreak and the
 * lookup key. Seeded card payments — most of a big bank — keep only their parts and rebuild their JSON
 * when read, so 100,000 transactions fit in a few tens of MB; everything else, and anything a client
 * changes, keeps its JSON (`pin`).
 */
export class TransactionRecord {
  readonly n: number;
  readonly createdMs: number;
  readonly amount: number;
  readonly declined: boolean;
  readonly includeInSpending: boolean;
  #json: TransactionJson | undefined;
  readonly #card: CardParts | undefined;

  private constructor(
    n: number,
    createdMs: number,
    amount: number,
    declined: boolean,
    includeInSpending: boolean,
    json: TransactionJson | undefined,
    card: CardParts | undefined,
  ) {
    this.n = n;
    this.createdMs = createdMs;
    this.amount = amount;
    this.declined = declined;
    this.includeInSpending = includeInSpending;
    this.#json = json;
    this.#card = card;
  }

  static fromJson(json: TransactionJson, n: number, createdMs: number, declined: boolean): TransactionRecord {
    return new TransactionRecord(
      n,
      createdMs,
      json.amount,
      declined,
      json.include_in_spending,
      json,
      undefined,
    );
  }

  static card(n: number, createdMs: number, amount: number, parts: CardParts): TransactionRecord {
    const declined = parts.declineReason !== undefined;
    return new TransactionRecord(n, createdMs, amount, declined, !declined, undefined, parts);
  }

  /** The wire JSON. For a compact record, a fresh copy each time: change it through `pin()`. */
  get json(): TransactionJson {
    return this.#json ?? buildCard(this.n, this.createdMs, this.amount, this.#card!);
  }

  /** The wire JSON, kept from now on so changes to it stick (annotate, attachments). */
  pin(): TransactionJson {
    this.#json ??= buildCard(this.n, this.createdMs, this.amount, this.#card!);
    return this.#json;
  }

  get accountId(): string {
    return this.#json?.account_id ?? this.#card!.context.accountId;
  }

  get id(): string {
    return this.#json?.id ?? this.#card!.context.ids.idAt("tx", this.n);
  }
}

function buildCard(n: number, createdMs: number, amount: number, parts: CardParts): TransactionJson {
  const { context: c } = parts;
  const seed = c.seeds[parts.merchant]!;
  const merchant = c.merchants[parts.merchant]!;
  const lifecycle = c.ids.idAt("mclifecycle", n + 1);
  const authMessage = c.ids.idAt("mcauthmsg", n + 2);
  const declined = parts.declineReason !== undefined;
  const json = baseTransaction(
    {
      id: c.ids.idAt("tx", n),
      amount,
      description: seed.descriptor,
      account_id: c.accountId,
      category: seed.category,
      merchant: merchant.id,
      local_amount: parts.localAmount,
      local_currency: parts.localCurrency,
      user_id: c.owner.id,
      scheme: "mastercard",
      dedupe_id: `mclifecycle:${lifecycle}:MASTERCARD_AUTH:${authMessage}`,
      include_in_spending: !declined,
      can_be_excluded_from_breakdown: true,
      can_be_made_subscription: true,
      can_split_the_bill: true,
      can_add_to_tab: true,
      can_match_transactions_in_categorization: true,
      settled: parts.settledMs < 0 ? "" : formatTime(parts.settledMs),
      updated: formatTime(parts.updatedMs),
      metadata: {
        ledger_insertion_id: c.ids.idAt("entryset", n + 3),
        mastercard_approval_type: "full",
        mastercard_auth_message_id: authMessage,
        mastercard_card_id: c.cardId,
        mastercard_lifecycle_id: lifecycle,
        mcc: seed.mcc,
      },
      labels: seed.atm ? ["withdrawal.atm.domestic-eea"] : null,
    },
    createdMs,
  );
  if (declined) {
    json.decline_reason = parts.declineReason!;
    json.categories = null;
  }
  return json;
}
