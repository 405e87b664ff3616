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

/**
 * Numbers a card payment takes from the id counter: the transaction, its Mastercard lifecycle, its auth
 * message, its ledger entry and the clearing message its settlement brings (REFERENCE §7.1, §7.3).
 */
export const CARD_NUMBERS = 5;

/** Card payments paid with a phone wallet carry the token's metadata keys (S-wg-fixtures). */
export const CARD_TOKEN = 1;
/**
 * A zero-amount authorisation (a card check by an online merchant): `amount: 0`, never settled,
 * `metadata.hide_amount: "true"` (REFERENCE §7.1).
 */
export const CARD_ZERO_AUTH = 2;

/** The parts of a seeded card payment its JSON is rebuilt from (ids come from its number). */
export interface CardParts {
  kind: "card";
  context: CardContext;
  merchant: number;
  /** `-1` while pending (`settled: ""`). */
  settledMs: number;
  updatedMs: number;
  localAmount: number;
  localCurrency: string;
  declineReason: string | undefined;
  /** `CARD_TOKEN`, `CARD_ZERO_AUTH`. */
  flags: number;
  /** The number of the round-up this payment triggered (0: none). */
  coinJar: number;
}

/**
 * Numbers a pot move takes: the current account's transaction, the deposit or withdrawal id, its ledger
 * entry, and the transaction on the pot's own ledger account (REFERENCE §6.1, §6.3).
 */
export const POT_MOVE_NUMBERS = 4;

/** One side of a pot move, rebuilt from these parts when read (REFERENCE §6.3). */
export interface PotMoveParts {
  kind: "pot";
  ids: IdGenerator;
  /** The current account the money moves from or to. */
  accountId: string;
  potId: string;
  potAccountId: string;
  userId: string;
  trigger: "user" | "coin_jar";
  /** The person's dedupe id (user moves). */
  dedupeId: string;
  /** The card payment a round-up came from (its number; 0 for user moves). */
  cardN: number;
  /** The number of the move's first id (the current account's transaction). */
  base: number;
  /** Which ledger this record is on. */
  side: "account" | "pot";
  /** Amount into the pot (negative: out of it). */
  potAmount: number;
}

type CompactParts = CardParts | PotMoveParts;

/**
 * One transaction in the bank. Its number `n` (the counter inside its id) is the sort tiebreak and the
 * lookup key. Seeded card payments — most of a big bank — keep only their parts and rebuild their JSON
 * when read, so 100,000 transactions fit in a few tens of MB; everything else, and anything a client
 * changes, keeps its JSON (`pin`).
 */
export class TransactionRecord {
  readonly n: number;
  readonly createdMs: number;
  readonly declined: boolean;
  readonly includeInSpending: boolean;
  #amount: number;
  #json: TransactionJson | undefined;
  readonly #parts: CompactParts | undefined;

  private constructor(
    n: number,
    createdMs: number,
    amount: number,
    declined: boolean,
    includeInSpending: boolean,
    json: TransactionJson | undefined,
    parts: CompactParts | undefined,
  ) {
    this.n = n;
    this.createdMs = createdMs;
    this.#amount = amount;
    this.declined = declined;
    this.includeInSpending = includeInSpending;
    this.#json = json;
    this.#parts = parts;
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

  /** One side of a pot move, kept compact like a seeded card payment. */
  static potMove(n: number, createdMs: number, parts: PotMoveParts): TransactionRecord {
    const amount = parts.side === "account" ? -parts.potAmount : parts.potAmount;
    return new TransactionRecord(n, createdMs, amount, false, false, undefined, parts);
  }

  static card(n: number, createdMs: number, amount: number, parts: CardParts): TransactionRecord {
    const declined = parts.declineReason !== undefined;
    const spending = !declined && (parts.flags & CARD_ZERO_AUTH) === 0;
    return new TransactionRecord(n, createdMs, amount, declined, spending, undefined, parts);
  }

  /** Minor units; it can change once, when a pending card payment settles (REFERENCE §7.1). */
  get amount(): number {
    return this.#amount;
  }

  /** The wire JSON. For a compact record, a fresh copy each time: change it through `pin()`. */
  get json(): TransactionJson {
    return this.#json ?? this.#build();
  }

  /** The wire JSON, kept from now on so changes to it stick (annotate, attachments). */
  pin(): TransactionJson {
    this.#json ??= this.#build();
    return this.#json;
  }

  /** Authorised but not settled: `settled` is `""` (REFERENCE §7.1, §13.16). Declines never settle. */
  get pending(): boolean {
    if (this.declined) return false;
    if (this.#json) return this.#json.settled === "";
    const parts = this.#parts!;
    return parts.kind === "card" && parts.settledMs < 0;
  }

  #build(): TransactionJson {
    const parts = this.#parts!;
    return parts.kind === "card"
      ? buildCard(this.n, this.createdMs, this.#amount, parts)
      : potMoveJson(parts, this.createdMs);
  }

  get accountId(): string {
    if (this.#json) return this.#json.account_id;
    const parts = this.#parts!;
    if (parts.kind === "card") return parts.context.accountId;
    return parts.side === "account" ? parts.accountId : parts.potAccountId;
  }

  get id(): string {
    if (this.#json) return this.#json.id;
    const parts = this.#parts!;
    return (parts.kind === "card" ? parts.context.ids : parts.ids).idAt("tx", this.n);
  }

  /**
   * Settles the record: `settled` and `updated` are set, and the amount may change, as a card payment's
   * does when a tip or the final exchange rate arrives with the clearing message (REFERENCE §7.1).
   * The caller moves the balance by the difference.
   */
  settle(
    settledMs: number,
    updatedMs: number,
    amount: number,
    localAmount: number,
    clearingId: string | undefined,
  ): void {
    this.#amount = amount;
    const json = this.#json;
    if (!json) {
      const parts = this.#parts!;
      if (parts.kind !== "card") throw new Error("only card payments settle after they are made");
      parts.settledMs = settledMs;
      parts.updatedMs = updatedMs;
      parts.localAmount = localAmount;
      return;
    }
    json.amount = amount;
    json.local_amount = localAmount;
    if (json.categories !== null) json.categories = { [json.category]: amount };
    json.settled = formatTime(settledMs);
    json.updated = formatTime(updatedMs);
    if (clearingId !== undefined) json.metadata["mastercard_clearing_message_id"] = clearingId;
  }
}

/** What a card payment's JSON is made of, whether seeded (compact) or made at run time. */
export interface CardFields {
  ids: IdGenerator;
  n: number;
  createdMs: number;
  amount: number;
  accountId: string;
  userId: string;
  cardId: string;
  merchantId: string | null;
  descriptor: string;
  category: string;
  mcc: string;
  atm: boolean;
  localAmount: number;
  localCurrency: string;
  /** `-1` while pending. */
  settledMs: number;
  updatedMs: number;
  declineReason: string | undefined;
  flags: number;
  /** The number of the round-up transaction it triggered (0: none). */
  coinJar?: number;
}

/** The card-payment JSON for a record's number and parts (REFERENCE §7.3's first example). */
export function buildCard(n: number, createdMs: number, amount: number, parts: CardParts): TransactionJson {
  const { context: c } = parts;
  const seed = c.seeds[parts.merchant]!;
  return cardJson({
    ids: c.ids,
    n,
    createdMs,
    amount,
    accountId: c.accountId,
    userId: c.owner.id,
    cardId: c.cardId,
    merchantId: c.merchants[parts.merchant]!.id,
    descriptor: seed.descriptor,
    category: seed.category,
    mcc: seed.mcc,
    atm: seed.atm ?? false,
    localAmount: parts.localAmount,
    localCurrency: parts.localCurrency,
    settledMs: parts.settledMs,
    updatedMs: parts.updatedMs,
    declineReason: parts.declineReason,
    flags: parts.flags,
    coinJar: parts.coinJar,
  });
}

/**
 * A pot move as Monzo records it (REFERENCE §6.3; S-wg-fixtures): on the current account the settled
 * `uk_retail_pot` transaction with the pot id as description; on the pot's ledger its mirror. A round-up
 * (`coin_jar`) is keyed by its rule, card payment and pot and names the payment in `triggered_by`.
 */
export function potMoveJson(p: PotMoveParts, createdMs: number): TransactionJson {
  const { ids, base } = p;
  const deposit = p.potAmount > 0;
  const moveKey = deposit ? "pot_deposit_id" : "pot_withdrawal_id";
  const moveId = ids.idAt(deposit ? "potdep" : "potwdr", base + 1);
  const category = p.trigger === "coin_jar" ? "savings" : "transfers";
  const card = p.cardN > 0 ? ids.idAt("tx", p.cardN) : undefined;
  const key = card ? `CoinJarRule:${card}:${p.potId}` : `${p.userId}:${p.dedupeId}`;
  const dedupe = `${p.potId}:${p.accountId}:${deposit ? "deposit" : "withdraw"}:${key}`;
  if (p.side === "pot") {
    return baseTransaction(
      {
        id: ids.idAt("tx", base + 3),
        amount: p.potAmount,
        description: p.accountId,
        account_id: p.potAccountId,
        category,
        scheme: "uk_retail_pot",
        dedupe_id: `${dedupe}:pot`,
        metadata: { pot_id: p.potId, [moveKey]: moveId, trigger: p.trigger, user_id: p.userId },
      },
      createdMs,
    );
  }
  const metadata: Record<string, string> = {
    external_id: key,
    ledger_insertion_id: ids.idAt("entryset", base + 2),
    pot_account_id: p.potAccountId,
    [moveKey]: moveId,
    pot_id: p.potId,
    trigger: p.trigger,
  };
  if (card) metadata["triggered_by"] = card;
  metadata["user_id"] = p.userId;
  return baseTransaction(
    {
      id: ids.idAt("tx", base),
      amount: -p.potAmount,
      description: p.potId,
      account_id: p.accountId,
      category,
      scheme: "uk_retail_pot",
      originator: true,
      dedupe_id: dedupe,
      metadata,
    },
    createdMs,
  );
}

/** Text of `length` characters from `alphabet`, derived from `n` and the seed (token references). */
function derivedText(ids: IdGenerator, n: number, length: number, alphabet: string): string {
  let out = "";
  for (let k = 0; out.length < length; k++) {
    // The last 10 characters of an id are seeded noise; numbers far past the counter are never ids.
    const noise = ids.idAt("x", n * 64 + k).slice(-10);
    for (let i = 0; i < noise.length && out.length < length; i++)
      out += alphabet[(noise.charCodeAt(i) + i) % alphabet.length];
  }
  return out;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOWER_HEX = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Cash withdrawals say what they cost against the month's fee-free allowance (REFERENCE §7.1
 * `atm_fees_detailed`; field set from S-wg-fixtures, the explainer text is the emulator's own).
 */
function atmFees(amount: number, currency: string): Record<string, unknown> {
  return {
    allowance_id: "withdrawal.atm.domestic-eea",
    allowance_usage_explainer_text:
      "Cash withdrawals in the UK and the EEA are free within your monthly allowance.",
    fee_amount: 0,
    fee_currency: currency,
    fee_summary: null,
    withdrawal_amount: amount,
    withdrawal_currency: currency,
  };
}

/**
 * A Mastercard payment as Monzo records it (REFERENCE §7.1, §7.3): ids derived from its number `n` and
 * the `CARD_NUMBERS - 1` numbers after it.
 */
export function cardJson(f: CardFields): TransactionJson {
  const { ids, n } = f;
  const lifecycle = ids.idAt("mclifecycle", n + 1);
  const authMessage = ids.idAt("mcauthmsg", n + 2);
  const declined = f.declineReason !== undefined;
  const zeroAuth = (f.flags & CARD_ZERO_AUTH) !== 0;
  const settled = f.settledMs >= 0;
  const id = ids.idAt("tx", n);
  // A card check: no ledger entry and no approval, `hide_amount` so the app shows no £0.00 (S-wg-fixtures).
  const metadata: Record<string, string> = zeroAuth
    ? { auth_account_id: f.accountId, hide_amount: "true", hide_transaction: "false" }
    : {};
  // The round-up this payment triggered (S-wg-fixtures).
  if (f.coinJar) metadata["coin_jar_transaction"] = ids.idAt("tx", f.coinJar);
  if (!zeroAuth) {
    metadata["ledger_insertion_id"] = ids.idAt("entryset", n + 3);
    metadata["mastercard_approval_type"] = "full";
  }
  metadata["mastercard_auth_message_id"] = authMessage;
  metadata["mastercard_card_id"] = f.cardId;
  // The clearing message arrives with settlement (REFERENCE §7.1; S-wg-fixtures).
  if (settled) metadata["mastercard_clearing_message_id"] = ids.idAt("mcclearingmsg", n + 4);
  metadata["mastercard_lifecycle_id"] = lifecycle;
  metadata["mcc"] = f.mcc;
  if ((f.flags & CARD_TOKEN) !== 0) {
    // Paid with a phone wallet: the wallet token's keys (S-wg-fixtures; the values are made up).
    metadata["token_transaction_identifier"] = `${derivedText(ids, n, 43, BASE64)}=`;
    metadata["token_unique_reference"] = `DAPLMC${derivedText(ids, n + 1, 42, LOWER_HEX)}`;
    metadata["tokenization_method"] = n % 2 === 0 ? "apple_pay" : "android_pay";
  }
  const json = baseTransaction(
    {
      id,
      amount: f.amount,
      description: f.descriptor,
      account_id: f.accountId,
      category: f.category,
      merchant: f.merchantId,
      // A link into the app's "tell us about this merchant" form (REFERENCE §7.1; its shape is inferred).
      ...(f.merchantId !== null && !declined
        ? { merchant_feedback_uri: `monzo://dynamic_form?form_id=merchant_feedback&transaction_id=${id}` }
        : {}),
      local_amount: f.localAmount,
      local_currency: f.localCurrency,
      user_id: f.userId,
      scheme: "mastercard",
      dedupe_id: `mclifecycle:${lifecycle}:MASTERCARD_AUTH:${authMessage}`,
      include_in_spending: !declined && !zeroAuth,
      can_be_excluded_from_breakdown: true,
      can_be_made_subscription: !zeroAuth,
      can_split_the_bill: !zeroAuth,
      can_add_to_tab: !zeroAuth,
      can_match_transactions_in_categorization: true,
      settled: settled ? formatTime(f.settledMs) : "",
      updated: formatTime(f.updatedMs),
      metadata,
      labels: f.atm ? ["withdrawal.atm.domestic-eea"] : null,
      atm_fees_detailed: f.atm && !declined ? atmFees(f.amount, f.localCurrency) : null,
    },
    f.createdMs,
  );
  if (declined) {
    json.decline_reason = f.declineReason!;
    json.categories = null;
  }
  return json;
}
