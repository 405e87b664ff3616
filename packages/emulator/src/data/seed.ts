import type { IdGenerator } from "../util/ids.js";
import type { Rng } from "../util/rng.js";
import { DAY, formatTime, HOUR, MINUTE } from "../util/time.js";
import { type AccountRecord, Bank, type PotRecord } from "./bank.js";
import {
  bacsIn,
  directDebitOut,
  fasterPaymentIn,
  fasterPaymentOut,
  type Mandate,
  p2pPayment,
} from "./builders.js";
import { DECLINE_REASONS, FOREIGN, MERCHANTS, type MerchantSeed, PEOPLE } from "./catalog.js";
import { baseTransaction } from "./json.js";
import {
  CARD_NUMBERS,
  CARD_TOKEN,
  CARD_ZERO_AUTH,
  type CardContext,
  type CardParts,
  POT_MOVE_NUMBERS,
  type PotMoveParts,
  TransactionRecord,
} from "./record.js";
import type {
  AccountJson,
  LedgerKind,
  MerchantJson,
  PotJson,
  TabJson,
  TransactionJson,
  User,
} from "./types.js";

export interface SeedOptions {
  /** Transactions in the whole bank, about two thirds of them on the main user's current account. */
  transactions: number;
  years: number;
  /** The instant the history ends at (the emulator clock's start). */
  now: number;
  /** How long after its authorisation a card payment settles: a range in ms (REFERENCE §7.1: 24–48 h). */
  settleAfterMs: readonly [number, number];
}

/**
 * Builds the seeded bank: three users (two of whom share a joint account), current, joint, Flex, a
 * Cashback (rewards) account, a closed prepaid account, a loan and a Flex backing loan; pots of every
 * kind; and years of card spend, salaries, bills, transfers, declines, foreign spend and pot moves whose
 * sums are the balances.
 */
export function seedBank(ids: IdGenerator, rng: Rng, options: SeedOptions): Bank {
  const bank = new Bank(ids);
  const span = Math.round(options.years * 365 * DAY);
  const start = options.now - span;
  // Accounts and pots open at fixed fractions of the history, so every date lies in the past however
  // short the history is (`--years 1` once gave Flex a `created` in the future).
  const at = (fraction: number) => start + Math.round(fraction * span);
  const merchants = seedMerchants(bank, ids, start - 400 * DAY);

  const alex = addUser(bank, ids, "Alex Morgan", "alex@example.com");
  const sam = addUser(bank, ids, "Sam Patel", "sam@example.com");
  const jo = addUser(bank, ids, "Jo Bloggs", "jo@example.com");

  const alexCurrent = addAccount(bank, ids, rng, [alex], "uk_retail", start - 30 * DAY);
  const joint = addAccount(bank, ids, rng, [alex, sam], "uk_retail_joint", at(0.18));
  const flex = addAccount(bank, ids, rng, [alex], "uk_monzo_flex", at(0.36));
  addAccount(bank, ids, rng, [alex], "uk_monzo_flex_backing_loan", at(0.365));
  addAccount(bank, ids, rng, [alex], "uk_prepaid", start - 800 * DAY, true);
  addAccount(bank, ids, rng, [alex], "uk_loan", at(0.45));
  addAccount(bank, ids, rng, [alex], "uk_rewards", at(0.6));
  const samCurrent = addAccount(bank, ids, rng, [sam], "uk_retail", start - 10 * DAY);
  const joCurrent = addAccount(bank, ids, rng, [jo], "uk_retail", at(0.09));

  const potCreated = at(0.02);
  const alexPots = [
    addPot(
      bank,
      ids,
      alexCurrent,
      { name: "Savings", style: "cactus", type: "flexible_savings", goal: 500000, roundUp: true },
      potCreated,
    ),
    addPot(
      bank,
      ids,
      alexCurrent,
      {
        name: "Holiday ✈️",
        style: "beach_ball",
        type: "default",
        goal: 150000,
        locked: options.now + 60 * DAY,
      },
      at(0.02 + 1 * 0.001),
    ),
    addPot(
      bank,
      ids,
      alexCurrent,
      { name: "Rainy day", style: "umbrella", type: "instant_access", addedSecurity: true },
      at(0.02 + 2 * 0.001),
    ),
    addPot(
      bank,
      ids,
      alexCurrent,
      { name: "Bills", style: "blue", type: "default", bills: true },
      at(0.02 + 3 * 0.001),
    ),
    addPot(
      bank,
      ids,
      alexCurrent,
      { name: "Old bike fund", style: "teal", type: "default", deleted: true },
      at(0.02 + 4 * 0.001),
    ),
  ];
  const jointPots = [
    addPot(
      bank,
      ids,
      joint,
      { name: "House", style: "piggy_bank", type: "default", goal: 2000000 },
      at(0.19),
    ),
  ];
  const joPots = [addPot(bank, ids, joCurrent, { name: "Treats", style: "pink", type: "default" }, at(0.11))];

  // Shares: main current 1, joint 0.15, flex 0.02, Sam 0.2, Jo 0.1 (sum 1.47). Flex is spent and repaid
  // from the main account's history, so its ids follow time across both accounts.
  const n = options.transactions / 1.47;
  const declines = { next: 0 };
  const gen = (
    account: AccountRecord,
    owner: User,
    count: number,
    from: number,
    pots: PotRecord[],
    income: number,
    finale = false,
    tab?: SharedTab,
    flexAccount?: AccountRecord,
  ) =>
    generateHistory(bank, ids, rng.fork(account.json.id), merchants, {
      account,
      owner,
      count,
      from,
      to: options.now - 5 * MINUTE,
      now: options.now,
      settleAfterMs: options.settleAfterMs,
      pots,
      monthlyIncome: income,
      finale,
      declines,
      tab,
      flex: flexAccount,
    });
  // Alex and Sam share their flat's bills in a tab from halfway through the history.
  const flat = openTab(ids, "Flat", alex, [sam], at(0.5));
  gen(alexCurrent, alex, Math.round(n * 1.02), start, alexPots, 40000, true, flat, flex);
  gen(joint, alex, Math.round(n * 0.15), at(0.185), jointPots, 30000);
  gen(samCurrent, sam, Math.round(n * 0.2), start, [], 35000);
  gen(joCurrent, jo, Math.round(n * 0.1), at(0.095), joPots, 30000);

  // The deleted pot was emptied before it was deleted: its balance is 0 and stays out of total_balance.
  const deleted = alexPots[4]!;
  if (deleted.json.balance > 0) {
    const emptied = Math.max(at(0.9), options.now - 10 * DAY);
    potTransfer(bank, ids, alexCurrent, deleted, -deleted.json.balance, alex, emptied, "user");
  }
  deleted.json.deleted = true;
  closeBooks(flat);
  return bank;
}

function addUser(bank: Bank, ids: IdGenerator, name: string, email: string): User {
  const user: User = { id: ids.next("user"), name, firstName: name.split(" ")[0]!, email };
  bank.users.set(user.id, user);
  return user;
}

const ACCOUNT_KINDS: Record<
  string,
  { product: string; ledger: LedgerKind; owner: string; bankDetails: boolean }
> = {
  uk_retail: { product: "standard", ledger: "transactions", owner: "personal", bankDetails: true },
  uk_retail_joint: { product: "standard", ledger: "transactions", owner: "personal", bankDetails: true },
  uk_monzo_flex: { product: "flex", ledger: "transactions", owner: "personal", bankDetails: false },
  uk_monzo_flex_backing_loan: {
    product: "flex_backing_loan",
    ledger: "forbidden",
    owner: "unknown",
    bankDetails: false,
  },
  uk_prepaid: { product: "prepaid", ledger: "empty", owner: "personal", bankDetails: false },
  uk_loan: { product: "loan", ledger: "empty", owner: "unknown", bankDetails: false },
  // Cashback: `rewardsoptin_…` description, product `rewards` (S-monzolib fixture; REFERENCE §4).
  uk_rewards: { product: "rewards", ledger: "empty", owner: "personal", bankDetails: false },
};

function addAccount(
  bank: Bank,
  ids: IdGenerator,
  rng: Rng,
  owners: User[],
  type: string,
  createdMs: number,
  closed = false,
): AccountRecord {
  const kind = ACCOUNT_KINDS[type]!;
  const id = ids.next("acc");
  const description =
    type === "uk_retail_joint"
      ? `Joint account between ${owners.map((o) => o.id).join(" and ")}`
      : type === "uk_monzo_flex"
        ? ids.next("monzoflex")
        : type === "uk_monzo_flex_backing_loan"
          ? ids.next("monzoflexbackingloan")
          : type === "uk_loan"
            ? ids.next("loan")
            : type === "uk_rewards"
              ? ids.next("rewardsoptin")
              : owners[0]!.id;
  const json: AccountJson = {
    id,
    closed,
    created: formatTime(createdMs),
    description,
    type,
    owner_type: kind.owner,
    is_flex: type === "uk_monzo_flex",
    product_type: kind.product,
    closed_account_app_access: false,
    currency: "GBP",
    legal_entity: "monzo_uk",
    country_code: "GB",
    country_code_alpha3: "GBR",
    owners: owners.map((o) => ({ user_id: o.id, preferred_name: o.name, preferred_first_name: o.firstName })),
  };
  if (kind.bankDetails) {
    const accountNumber = String(rng.int(10_000_000, 99_999_999));
    const sortCode = "040004";
    json.account_number = accountNumber;
    json.sort_code = sortCode;
    json.payment_details = {
      locale_uk: { account_number: accountNumber, sort_code: sortCode },
      iban: {
        unformatted: `GB00MONZ${sortCode}${accountNumber}`,
        formatted: `GB00 MONZ ${sortCode.slice(0, 4)} ${sortCode.slice(4)}${accountNumber.slice(0, 2)} ${accountNumber.slice(2, 6)} ${accountNumber.slice(6)}`,
        bic: "MONZGB2L",
        usage_description: "Receive international payments in over 40 currencies with Wise.",
        usage_description_web: "Receive international payments in over 40 currencies with Wise.",
      },
    };
    json.monzo_branch_address_formatted =
      "Monzo Bank, Broadwalk House, 5 Appold St, London EC2A 2AG, United Kingdom";
    json.assets = {
      image_url: `https://public-images.monzo.invalid/card_styles/account_icon/${type === "uk_retail_joint" ? "joint" : "personal"}@3x.png`,
    };
  }
  const record: AccountRecord = {
    json,
    ownerIds: owners.map((o) => o.id),
    ledger: kind.ledger,
    balance: 0,
    transactions: [],
  };
  bank.accounts.set(id, record);
  return record;
}

interface PotSpec {
  name: string;
  style: string;
  type: string;
  goal?: number;
  roundUp?: boolean;
  locked?: number;
  addedSecurity?: boolean;
  bills?: boolean;
  deleted?: boolean;
}

function addPot(
  bank: Bank,
  ids: IdGenerator,
  account: AccountRecord,
  spec: PotSpec,
  createdMs: number,
): PotRecord {
  const created = formatTime(createdMs);
  const json: PotJson = {
    id: ids.next("pot"),
    name: spec.name,
    style: spec.style,
    balance: 0,
    currency: "GBP",
    type: spec.type,
    product_id: spec.type === "default" ? "default" : ids.next("issue"),
    current_account_id: account.json.id,
    cover_image_url: `https://public-images.monzo.invalid/pots/gallery_covers/${spec.style}.jpg`,
    isa_wrapper: "",
    round_up: spec.roundUp ?? false,
    round_up_multiplier: spec.roundUp ? 1 : null,
    is_tax_pot: false,
    created,
    updated: created,
    deleted: false,
    locked: spec.locked !== undefined,
    available_for_bills: spec.bills ?? false,
    has_virtual_cards: false,
    // `""` when the pot gives to no charity (S-monzolib fixtures), not null.
    charity_id: "",
  };
  if (spec.goal !== undefined) json.goal_amount = spec.goal;
  if (spec.locked !== undefined) {
    // Locked pots say how they are locked: `until_date` with `locked_until` (S-wg-fixtures).
    json.lock_type = "until_date";
    json.locked_until = formatTime(spec.locked);
  }
  const record: PotRecord = {
    json,
    potAccountId: ids.next("acc"),
    addedSecurity: spec.addedSecurity ?? false,
  };
  bank.addPot(record);
  // The pot's own ledger: `/transactions?account_id=<pot_account_id>` reads it (REFERENCE §6.1).
  bank.accounts.set(record.potAccountId, {
    json: {
      ...account.json,
      id: record.potAccountId,
      description: json.id,
      type: "uk_retail_pot",
      product_type: "pot",
      created,
    },
    ownerIds: account.ownerIds,
    ledger: "transactions",
    balance: 0,
    transactions: [],
    hidden: true,
  });
  return record;
}

function seedMerchants(bank: Bank, ids: IdGenerator, createdMs: number): Map<string, MerchantJson> {
  const byKey = new Map<string, MerchantJson>();
  for (const [i, m] of MERCHANTS.entries()) {
    const at = createdMs + i * HOUR;
    const a = m.address;
    const json: MerchantJson = {
      id: ids.next("merch"),
      group_id: ids.next("grp"),
      created: formatTime(at),
      name: m.name,
      logo: `https://mondo-logo-cache.monzo.invalid/${m.key}.png`,
      emoji: m.emoji,
      category: m.category,
      online: m.online ?? false,
      atm: m.atm ?? false,
      address: {
        short_formatted: `${a.address}, ${a.city} ${a.postcode}`,
        formatted: `${a.address}, ${a.city} ${a.postcode}, ${a.country === "GB" ? "United Kingdom" : a.country}`,
        address: a.address,
        city: a.city,
        region: a.region,
        country: a.country,
        postcode: a.postcode,
        latitude: a.lat,
        longitude: a.lng,
        zoom_level: 17,
        approximate: false,
      },
      updated: formatTime(at + 30 * DAY),
      metadata: { website: `${m.key}.example`, suggested_tags: `#${m.category}` },
      disable_feedback: false,
    };
    bank.merchants.set(json.id, json);
    bank.merchantsByKey.set(m.key, json);
    byKey.set(m.key, json);
  }
  return byKey;
}

/**
 * A pot move as Monzo records it (REFERENCE §6.3): `amount` > 0 deposits, < 0 withdraws. Both sides (the
 * current account's and the pot ledger's) are compact records; returns the current account's.
 */
export function potTransfer(
  bank: Bank,
  ids: IdGenerator,
  account: AccountRecord,
  pot: PotRecord,
  amount: number,
  user: User,
  createdMs: number,
  trigger: "user" | "coin_jar",
  dedupeId = "",
  notify = false,
  /** For a round-up: the number of the card payment that triggered it. */
  cardN = 0,
): TransactionRecord {
  const base = ids.reserve(POT_MOVE_NUMBERS);
  const parts: PotMoveParts = {
    kind: "pot",
    ids,
    accountId: account.json.id,
    potId: pot.json.id,
    potAccountId: pot.potAccountId,
    userId: user.id,
    trigger,
    dedupeId: dedupeId || ids.idAt("dedupe", base),
    cardN,
    base,
    side: "account",
    potAmount: amount,
  };
  pot.json.balance += amount;
  pot.json.updated = formatTime(createdMs);
  const ledger = bank.accounts.get(pot.potAccountId);
  // The other side of the move, on the pot's ledger account.
  if (ledger)
    bank.addRecord(ledger, TransactionRecord.potMove(base + 3, createdMs, { ...parts, side: "pot" }), false);
  return bank.addRecord(account, TransactionRecord.potMove(base, createdMs, parts), notify);
}

interface HistorySpec {
  account: AccountRecord;
  owner: User;
  count: number;
  from: number;
  to: number;
  now: number;
  settleAfterMs: readonly [number, number];
  pots: PotRecord[];
  monthlyIncome: number;
  /** End with the card payments a person has "in flight" (see `FINALE`). */
  finale?: boolean;
  /** Which decline reason comes next, shared by the whole bank. */
  declines: { next: number };
  /** A shared tab this account's bills and friends' paybacks go into. */
  tab?: SharedTab | undefined;
  /** The owner's Flex account: purchases on it, and its monthly repayments from this account. */
  flex?: AccountRecord | undefined;
}

/** Flex's credit limit in pence (inferred): purchases beyond it are declined. */
const FLEX_LIMIT = 300_000;
/** What people pay over time with Flex: bigger purchases. */
const FLEXABLE = MERCHANTS.filter(
  (m) => ["shopping", "holidays", "transport"].includes(m.category) && m.max >= 3500,
);

/**
 * The month's Flex repayment, collected from the current account on its schedule (S-wg-fixtures):
 * `monzo_flex`, counted in spending under the category of what was bought, with `monzo_flex_id`,
 * `repayment_receipt_id` and `ledger_entry_intent` in metadata; the Flex account gets the same amount
 * back (inferred). A third of what is owed, as in a 3-month plan.
 */
function flexRepayment(
  bank: Bank,
  ids: IdGenerator,
  current: AccountRecord,
  flex: AccountRecord,
  category: string,
  at: number,
): boolean {
  const amount = Math.ceil(-flex.balance / 3);
  if (amount <= 0 || current.balance < amount) return false;
  const flexId = flex.json.description;
  const day = new Date(at).toISOString().slice(0, 10);
  const receipt = ids.next("monzoflexrepaymentreceipt");
  const intent = "monzo-flex.service_collects_scheduled_payment";
  const pounds = `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, "0")}`;
  const out = baseTransaction(
    {
      id: ids.next("tx"),
      amount: -amount,
      description: "Flex",
      account_id: current.json.id,
      category,
      scheme: "monzo_flex",
      originator: true,
      include_in_spending: true,
      can_be_excluded_from_breakdown: true,
      dedupe_id: `${current.json.id}:${flexId}:monzo-flex:scheduled_payment:${flexId}:${day}:GBP -${pounds}`,
      metadata: {
        exclude_from_breakdown: "false",
        ledger_entry_intent: intent,
        ledger_insertion_id: ids.next("entryset"),
        monzo_flex_id: flexId,
        notes: "",
        repayment_receipt_id: receipt,
      },
    },
    at,
  );
  bank.add(current, out, at, false, false);
  const back = baseTransaction(
    {
      id: ids.next("tx"),
      amount,
      description: "Flex repayment",
      account_id: flex.json.id,
      category: "general",
      scheme: "monzo_flex",
      dedupe_id: `${out.dedupe_id}:repayment`,
      metadata: {
        ledger_entry_intent: intent,
        ledger_insertion_id: ids.next("entryset"),
        monzo_flex_id: flexId,
        repayment_receipt_id: receipt,
      },
    },
    at,
  );
  bank.add(flex, back, at, false, false);
  return true;
}

/** A shared tab (REFERENCE §7.1 `tab`): one object that every transaction in it carries. */
interface SharedTab {
  json: TabJson;
  openedMs: number;
  members: Set<string>;
  /** What the other members owe for bills not yet paid back, and when they pay it. */
  owed: number;
  dueAfter: number;
  /** The tab's transactions, oldest first. */
  items: TransactionJson[];
}

/** Puts a transaction in the tab: `metadata.tab_id` and the tab object itself (S-wg-fixtures). */
function joinTab(tab: SharedTab, json: TransactionJson): void {
  json.metadata["tab_id"] = tab.json.id;
  json.tab = tab.json;
  tab.items.push(json);
}

/** A tab opened by `creator` and shared with `others`; its totals are filled in once the history is made. */
function openTab(ids: IdGenerator, name: string, creator: User, others: User[], openedMs: number): SharedTab {
  const id = ids.next("tab");
  const opened = formatTime(openedMs);
  const participant = (u: User, invited: boolean) => ({
    first_name: u.firstName,
    id: ids.next("participant"),
    ...(invited ? { invited_at: opened, invited_by: creator.id } : {}),
    name: u.name,
    payment_status: "not-requested",
    settle_amount: 0,
    settle_currency: "GBP",
    status: "accepted",
    tab_id: id,
    total_amount: 0,
    total_currency: "GBP",
    user_id: u.id,
  });
  return {
    json: {
      created_by: creator.id,
      currency: "GBP",
      id,
      item_count: 0,
      left_participants: [],
      modified_at: opened,
      name,
      opened_at: opened,
      participants: [participant(creator, false), ...others.map((u) => participant(u, true))],
      status: "open",
      total: 0,
    },
    openedMs,
    members: new Set(others.map((u) => u.id)),
    owed: 0,
    dueAfter: openedMs,
    items: [],
  };
}

/**
 * The tab's totals once its items are known: the items' count and sum, and what each person owes or is
 * owed when shared bills are split evenly and paybacks count against the payer's share (inferred).
 */
function closeBooks(tab: SharedTab): void {
  let count = 0;
  let total = 0;
  let bills = 0;
  let last = tab.json.opened_at;
  // Only the tab's own items: building every transaction's JSON here would cost seconds at 100,000.
  for (const json of tab.items) {
    count++;
    total += json.amount;
    if (json.amount < 0) bills += json.amount;
    last = json.created;
  }
  const [creator, ...others] = tab.json.participants;
  const owedToCreator = Math.round((-bills * others.length) / (others.length + 1)) - (total - bills);
  creator!.settle_amount = owedToCreator;
  for (const p of others) p.settle_amount = -Math.round(owedToCreator / others.length);
  tab.json.item_count = count;
  tab.json.total = total;
  tab.json.modified_at = last;
}

/**
 * The last hours of the main account, whatever the bank's size: card payments still pending (one that
 * settles with a tip, one at a new exchange rate, one plain) and a zero-amount card check, so every bank
 * shows what a client must handle when it re-reads recent transactions (REFERENCE §7.1).
 */
const FINALE: readonly { merchant: string; options: CardOptions }[] = [
  { merchant: "pub", options: { change: true, roundUp: false } },
  { merchant: "paris_cafe", options: { change: true, roundUp: false } },
  { merchant: "netflix", options: { zeroAuth: true } },
  { merchant: "ozone", options: { roundUp: false } },
];

/** Mean card spend per transaction, from the catalogue's weights and ranges. */
const AVERAGE_SPEND = (() => {
  const spend = MERCHANTS.filter((m) => m.weight > 0);
  const total = spend.reduce((sum, m) => sum + m.weight, 0);
  return spend.reduce((sum, m) => sum + (m.weight * (m.min + m.max)) / 2, 0) / total;
})();

function generateHistory(
  bank: Bank,
  ids: IdGenerator,
  rng: Rng,
  merchants: Map<string, MerchantJson>,
  spec: HistorySpec,
): void {
  const { account, owner, count } = spec;
  if (count <= 0) return;
  const span = spec.to - spec.from;
  const months = Math.max(1, span / (30 * DAY));
  // Pay a little more than the spending the history implies, so balances stay plausible at any size.
  const perMonth = count / months;
  const income =
    spec.monthlyIncome === 0
      ? 0
      : Math.max(spec.monthlyIncome, Math.round(perMonth * 0.82 * AVERAGE_SPEND * 1.25));
  // Dense histories move smaller sums between pots and people, or those would swallow the salary.
  const scale = Math.min(1, 60 / perMonth);
  const spendable = MERCHANTS.filter((m) => m.weight > 0).map((m) => [m, m.weight] as const);
  const livePots = spec.pots;
  const bills = MERCHANTS.filter((m) => m.category === "bills");
  const step = span / count;
  const context: CardContext = {
    ids,
    accountId: account.json.id,
    owner,
    cardId: cardIdOf(owner),
    merchants: MERCHANTS.map((m) => merchants.get(m.key)!),
    seeds: MERCHANTS,
  };
  let lastMonth = -1;
  let billsDue = false;
  const mandates = new Map<string, Mandate>();
  const cardSpec: CardSpec = {
    now: spec.now,
    settleAfterMs: spec.settleAfterMs,
    roundUp: livePots.find((p) => p.json.round_up),
    owner,
    creditLimit: 0,
  };
  const flex = spec.flex;
  const flexOpened = flex ? Date.parse(flex.json.created) : Number.POSITIVE_INFINITY;
  const flexContext: CardContext | undefined = flex && { ...context, accountId: flex.json.id };
  const flexSpec: CardSpec = { ...cardSpec, roundUp: undefined, creditLimit: FLEX_LIMIT };
  let flexMonth = -1;
  let flexCategory = "shopping";

  // An opening payment so the account starts in credit.
  const opening = income > 0 ? income : 50000;
  incoming(bank, ids, rng, account, opening, spec.from, "Opening deposit");
  const finaleFrom = spec.finale ? count - FINALE.length : count;
  for (let i = 1; i < count; i++) {
    let at = Math.round(spec.from + (i + rng.next() * 0.9) * step);
    if (i >= finaleFrom) {
      // Two hours apart at the very end (or later, in a history denser than that).
      at = Math.max(at, spec.to - (count - i) * 2 * HOUR);
      const { merchant, options } = FINALE[i - finaleFrom]!;
      cardSpend(
        bank,
        rng,
        account,
        context,
        MERCHANTS.find((m) => m.key === merchant)!,
        at,
        cardSpec,
        options,
      );
      continue;
    }
    const month = new Date(at).getUTCFullYear() * 12 + new Date(at).getUTCMonth();
    const day = new Date(at).getUTCDate();
    if (income > 0 && month !== lastMonth && day >= 25) {
      lastMonth = month;
      billsDue = true;
      incoming(bank, ids, rng, account, income + rng.int(-2000, 2000), at, "SALARY");
      continue;
    }
    if (billsDue && rng.chance(0.3)) {
      billsDue = false;
      const m = rng.pick(bills);
      directDebit(bank, ids, rng, account, mandates, m, at, spec.tab);
      continue;
    }
    const tab = spec.tab;
    if (tab && tab.owed > 0 && at >= tab.dueAfter) {
      const member = [...tab.members].map((id) => bank.users.get(id)!)[0]!;
      const from = bank.accountsOf(member.id).find((a) => a.json.type === "uk_retail")!;
      p2pIn(bank, ids, rng, account, owner, tab.owed, at, { tab, from: partyOf(from, member) });
      tab.owed = 0;
      continue;
    }
    const flexOpen = flex !== undefined && at >= flexOpened;
    if (flexOpen && month !== flexMonth && day >= 15 && flex.balance < 0) {
      flexMonth = month;
      if (flexRepayment(bank, ids, account, flex, flexCategory, at)) continue;
    }
    // One slot in fifty (Flex's 2% share), at a fixed rhythm so a small bank still has a few.
    if (flexOpen && i % 50 === 25) {
      const m = rng.pick(FLEXABLE);
      flexCategory = m.category;
      cardSpend(bank, rng, flex, flexContext!, m, at, flexSpec);
      continue;
    }
    const kind = rng.weighted([
      ["card", 80],
      ["decline", 2],
      ["fps_out", 4],
      ["fps_in", 2],
      ["p2p_in", 2],
      ["p2p", 3],
      ["pot", livePots.length > 0 ? 7 : 0],
      ["atm", 2],
      ["verify", 1],
    ] as const);
    if (kind === "pot") {
      const pot = rng.pick(livePots);
      const deposit = pot.json.balance < 2000 || rng.chance(0.65);
      const amount = Math.max(100, Math.round(rng.int(5, 200) * 100 * scale));
      if (deposit && account.balance > amount + 5000) {
        potTransfer(bank, ids, account, pot, amount, owner, at, "user");
      } else if (!deposit && !pot.json.locked && pot.json.balance >= amount) {
        potTransfer(bank, ids, account, pot, -amount, owner, at, "user");
      } else {
        if (
          cardSpend(bank, rng, account, context, rng.weighted(spendable), at, cardSpec, {
            roundUp: i + 1 < finaleFrom,
          })
        )
          i++;
      }
      continue;
    }
    if (kind === "verify") {
      cardSpend(bank, rng, account, context, rng.pick(CHECKERS), at, cardSpec, { zeroAuth: true });
      continue;
    }
    if (kind === "fps_in") {
      incoming(bank, ids, rng, account, Math.max(100, Math.round(rng.int(5, 150) * 100 * scale)), at);
      continue;
    }
    if (kind === "p2p_in") {
      const amount = Math.max(100, Math.round(rng.int(3, 60) * 100 * scale));
      p2pIn(bank, ids, rng, account, owner, amount, at);
      continue;
    }
    if (kind === "fps_out" || kind === "p2p") {
      const amount = Math.max(100, Math.round(rng.int(5, 120) * 100 * scale));
      if (account.balance < amount) continue;
      transferOut(bank, ids, rng, account, owner, amount, at, kind === "p2p");
      continue;
    }
    if (kind === "decline") {
      // Declines take each reason in turn, so even a small bank shows them all (REFERENCE §7.2).
      const reason = DECLINE_REASONS[spec.declines.next++ % DECLINE_REASONS.length]!;
      // Authentication reasons come from card-not-present payments: an online merchant.
      const m = CARD_NOT_PRESENT.has(reason) ? rng.pick(CHECKERS) : rng.weighted(spendable);
      cardSpend(bank, rng, account, context, m, at, cardSpec, { decline: reason });
      continue;
    }
    const merchant = kind === "atm" ? MERCHANTS.find((m) => m.key === "atm")! : rng.weighted(spendable);
    // A round-up takes the next slot, so the account still holds about `count` transactions.
    if (cardSpend(bank, rng, account, context, merchant, at, cardSpec, { roundUp: i + 1 < finaleFrom })) i++;
  }
}

/** Online merchants: where card checks and card-not-present declines happen. */
const CHECKERS = MERCHANTS.filter((m) => m.online && m.weight > 0);
const CARD_NOT_PRESENT = new Set([
  "SCA_NOT_AUTHENTICATED_CARD_NOT_PRESENT",
  "STRONG_CUSTOMER_AUTHENTICATION_REQUIRED",
]);

const cardIds = new WeakMap<User, string>();
/** The owner's card id (`mccard_…`), the same for every card payment they make. */
export function cardIdOf(owner: User): string {
  let id = cardIds.get(owner);
  if (!id) {
    id = `mccard_0000${owner.id.slice(9, 27)}`;
    cardIds.set(owner, id);
  }
  return id;
}

interface CardOptions {
  /** Decline it for this reason. */
  decline?: string;
  /** A zero-amount card check (`CARD_ZERO_AUTH`). */
  zeroAuth?: boolean;
  /** Make the settled amount differ from the authorised one (a tip, the exchange rate). */
  change?: boolean;
  /** Round it up into the account's round-up pot (default true; false when no slot is left for it). */
  roundUp?: boolean;
}

interface CardSpec {
  now: number;
  settleAfterMs: readonly [number, number];
  /** The pot card payments round up into, if the account has one. */
  roundUp: PotRecord | undefined;
  owner: User;
  /** How far below zero the balance may go (Flex is credit). */
  creditLimit: number;
}

/** A card payment; returns whether it was rounded up into a pot (a second transaction). */
function cardSpend(
  bank: Bank,
  rng: Rng,
  account: AccountRecord,
  context: CardContext,
  m: MerchantSeed,
  at: number,
  spec: CardSpec,
  options: CardOptions = {},
): boolean {
  const zeroAuth = options.zeroAuth === true;
  const authorised = zeroAuth ? 0 : -rng.int(m.min, m.max);
  const foreign = FOREIGN[m.key];
  const localAmount = foreign ? Math.round(authorised * foreign.rate) : authorised;
  const settledAmount = settlementAmount(rng, m, authorised, localAmount, foreign?.rate, options.change);
  // Foreign spend keeps its local amount; a tip in pounds changes both.
  const settledLocal = localAmount === authorised ? settledAmount : localAmount;
  const insufficient = account.balance + Math.min(authorised, settledAmount) < -spec.creditLimit;
  const declineReason = insufficient ? "INSUFFICIENT_FUNDS" : options.decline;
  const declined = declineReason !== undefined;
  const settleAt = at + rng.int(spec.settleAfterMs[0], spec.settleAfterMs[1]);
  const authUpdatedMs = at + rng.int(1, 3000);
  // About a third of in-person card payments are made with a phone wallet.
  const wallet = rng.next() < 0.35 && !m.online && !m.atm && !zeroAuth;
  // A number each for the transaction, its lifecycle, auth message, ledger entry and clearing message.
  const n = context.ids.reserve(CARD_NUMBERS);
  // The same arithmetic as a run-time settlement (`Bank.settle`), so both look alike.
  const settledUpdatedMs = settleAt + 100 + (n % 400);
  // Card checks stay authorised and unsettled (S-wg-fixtures: still pending months later).
  const settled = !declined && !zeroAuth && settledUpdatedMs <= spec.now;
  const parts: CardParts = {
    kind: "card",
    context,
    merchant: MERCHANT_INDEX.get(m)!,
    settledMs: settled ? settleAt : -1,
    updatedMs: settled ? settledUpdatedMs : authUpdatedMs,
    localAmount: settled ? settledLocal : localAmount,
    localCurrency: foreign?.currency ?? "GBP",
    declineReason,
    flags: (wallet ? CARD_TOKEN : 0) | (zeroAuth ? CARD_ZERO_AUTH : 0),
    coinJar: 0,
  };
  const record = TransactionRecord.card(n, at, settled ? settledAmount : authorised, parts);
  bank.addRecord(account, record, false);
  // Still pending when the history ends: it settles as the emulator's clock passes `settleAt`.
  if (!declined && !settled && !zeroAuth)
    bank.schedule({ record, atMs: settleAt, amount: settledAmount, localAmount: settledLocal });

  // Round-ups: the spare change of every card payment goes to the round-up pot a second later, and the
  // payment names the deposit in `coin_jar_transaction` (S-wg-fixtures; REFERENCE §6.3 `savings`).
  const pot = spec.roundUp;
  const pence = (100 - (-authorised % 100)) % 100;
  if (!pot || options.roundUp === false || declined || zeroAuth || pence === 0 || account.balance < pence)
    return false;
  const up = potTransfer(
    bank,
    context.ids,
    account,
    pot,
    pence,
    spec.owner,
    at + 900 + (n % 200),
    "coin_jar",
    "",
    false,
    n,
  );
  parts.coinJar = up.n;
  return true;
}

/**
 * What a card payment settles at: a tip added at a restaurant, or the final exchange rate for foreign
 * spend, changes the amount between authorisation and settlement (REFERENCE §7.1 `settled`).
 */
function settlementAmount(
  rng: Rng,
  m: MerchantSeed,
  authorised: number,
  localAmount: number,
  rate: number | undefined,
  change = false,
): number {
  const tip = rng.next();
  let drift = rng.next();
  if (rate !== undefined && rate !== 1) {
    if (change && Math.abs(drift - 0.5) < 0.2) drift = 0.9;
    return Math.round(localAmount / (rate * (1 + (drift - 0.5) * 0.03)));
  }
  if (m.category === "eating_out" && !m.online && (tip < 0.3 || change)) {
    return Math.round(authorised * (1 + [0.1, 0.125, 0.15][Math.floor(drift * 3)]!));
  }
  return authorised;
}

const MERCHANT_INDEX = new Map(MERCHANTS.map((m, i) => [m, i]));

const EMPLOYER = { name: "ACME WIDGETS LTD", sortCode: "601613", accountNumber: "41526372" };
const REFERENCES = ["Dinner", "Drinks", "Rent", "Tickets", "Thanks!", "Birthday present", "Taxi"] as const;

/** Money in: a salary by BACS on pay day, otherwise a Faster Payment from someone (REFERENCE §7.2). */
function incoming(
  bank: Bank,
  ids: IdGenerator,
  rng: Rng,
  account: AccountRecord,
  amount: number,
  at: number,
  reference?: string,
): void {
  const person = rng.pick(PEOPLE);
  const json =
    reference === "SALARY"
      ? bacsIn(ids, {
          accountId: account.json.id,
          amount,
          createdMs: at,
          from: EMPLOYER,
          serviceUserNumber: "275431",
          payday: true,
        })
      : fasterPaymentIn(ids, {
          accountId: account.json.id,
          amount,
          createdMs: at,
          from: person,
          reference: reference ?? rng.pick(REFERENCES),
        });
  bank.add(account, json, at, false, false);
}

/** Money out to a person: Monzo-to-Monzo or a Faster Payment (REFERENCE §7.2). */
function transferOut(
  bank: Bank,
  ids: IdGenerator,
  rng: Rng,
  account: AccountRecord,
  owner: User,
  amount: number,
  at: number,
  p2p: boolean,
): void {
  const friend = friendOf(bank, rng, owner, at);
  const person = rng.pick(PEOPLE);
  const reference = rng.pick(REFERENCES);
  if (p2p && friend) {
    const sides = p2pPayment(ids, {
      amount,
      createdMs: at,
      reference,
      from: partyOf(account, owner),
      to: friend,
    });
    bank.add(account, sides.payer, at, false, false);
    return;
  }
  const json = fasterPaymentOut(ids, {
    accountId: account.json.id,
    userId: owner.id,
    amount,
    createdMs: at,
    to: person,
    reference,
  });
  bank.add(account, json, at, false, false);
}

/**
 * Another Monzo user with a current account open at `at`. Each account records only its own side of a
 * Monzo-to-Monzo payment: writing the other side into an account seeded later would break the order of
 * ids within it (REFERENCE §1.7).
 */
function friendOf(bank: Bank, rng: Rng, owner: User, at: number) {
  const candidates = [...bank.users.values()].flatMap((u) => {
    const account = bank
      .accountsOf(u.id)
      .find((a) => a.json.type === "uk_retail" && Date.parse(a.json.created) <= at);
    return u.id !== owner.id && account ? [partyOf(account, u)] : [];
  });
  return candidates.length > 0 ? rng.pick(candidates) : undefined;
}

function partyOf(account: AccountRecord, user: User) {
  return { accountId: account.json.id, userId: user.id, name: user.name, firstName: user.firstName };
}

/** A Monzo-to-Monzo payment in from a friend. */
function p2pIn(
  bank: Bank,
  ids: IdGenerator,
  rng: Rng,
  account: AccountRecord,
  owner: User,
  amount: number,
  at: number,
  settleUp?: { tab: SharedTab; from: ReturnType<typeof partyOf> },
) {
  const friend = settleUp?.from ?? friendOf(bank, rng, owner, at);
  const reference = settleUp ? settleUp.tab.json.name : rng.pick(REFERENCES);
  if (!friend) return incoming(bank, ids, rng, account, amount, at, reference);
  const sides = p2pPayment(ids, {
    amount,
    createdMs: at,
    reference,
    from: friend,
    to: partyOf(account, owner),
  });
  // A tab member paying their share back (S-wg-fixtures: p2p payments with tab_id and tab).
  if (settleUp) joinTab(settleUp.tab, sides.payee);
  bank.add(account, sides.payee, at, false, false);
}

/** This account's mandate with a biller: the same instruction and reference every month. */
function mandateFor(
  ids: IdGenerator,
  rng: Rng,
  mandates: Map<string, Mandate>,
  bank: Bank,
  m: MerchantSeed,
): Mandate {
  let mandate = mandates.get(m.key);
  if (!mandate) {
    mandate = {
      merchantId: bank.merchantsByKey.get(m.key)!.id,
      name: m.name,
      payer: m.descriptor,
      reference: `${m.key.slice(0, 4).toUpperCase()}${rng.int(1_000_000, 9_999_999)}-${rng.int(1, 9)}`,
      serviceUserNumber: String(rng.int(100000, 999999)),
      instructionId: ids.next("ddi"),
      subscriptionId: ids.next("sub"),
    };
    mandates.set(m.key, mandate);
  }
  return mandate;
}

function directDebit(
  bank: Bank,
  ids: IdGenerator,
  rng: Rng,
  account: AccountRecord,
  mandates: Map<string, Mandate>,
  m: MerchantSeed,
  at: number,
  tab?: SharedTab,
): void {
  const amount = -rng.int(m.min, m.max);
  const mandate = mandateFor(ids, rng, mandates, bank, m);
  if (account.balance + amount < 0) return;
  const json = directDebitOut(ids, { accountId: account.json.id, amount, createdMs: at, mandate });
  // The household's bills are shared in its tab (S-wg-fixtures: Direct Debits with tab_id and tab); the
  // others owe their share, and pay it back a couple of days later.
  if (tab && at >= tab.openedMs) {
    joinTab(tab, json);
    tab.owed += Math.round((-amount * tab.members.size) / (tab.members.size + 1));
    tab.dueAfter = at + 2 * DAY;
  }
  bank.add(account, json, at, false, false);
}
