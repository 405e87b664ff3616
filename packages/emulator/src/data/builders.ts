import type { IdGenerator } from "../util/ids.js";
import { baseTransaction } from "./json.js";
import type { TransactionJson } from "./types.js";

/** Upper-case reference text of `length` characters (Faster Payments ids, TRNs), drawn from the id counter. */
export function referenceText(ids: IdGenerator, length: number): string {
  let out = "";
  while (out.length < length) out += ids.next("ref").slice(8);
  return out.slice(0, length).toUpperCase();
}

/** The other side of a bank transfer: a person or a business outside Monzo (REFERENCE §7.2 Counterparty). */
export interface ExternalParty {
  name: string;
  sortCode: string;
  accountNumber: string;
}

/**
 * A Faster Payment into the account, as real responses record it (S-wg-fixtures, S-monzolib): category
 * `income`, not in spending, settled on arrival, and the scheme's metadata keys `faster_payment`, `fps_fpid`,
 * `fps_payment_id`, `insertion` (its ledger entry), `notes`, `payee_id` and `trn`.
 */
export function fasterPaymentIn(
  ids: IdGenerator,
  fields: {
    accountId: string;
    amount: number;
    createdMs: number;
    from: ExternalParty;
    reference: string;
    category?: string;
  },
): TransactionJson {
  const fpid = `FP${referenceText(ids, 33)}`;
  // The payment id is the TRN, the date and a sequence number (as in the recorded responses).
  const trn = referenceText(ids, 18);
  const sequence = String(ids.reserve(1) % 1_000_000_000).padStart(9, "0");
  return baseTransaction(
    {
      id: ids.next("tx"),
      amount: fields.amount,
      description: fields.reference || fields.from.name,
      account_id: fields.accountId,
      category: fields.category ?? "income",
      scheme: "payport_faster_payments",
      notes: fields.reference,
      dedupe_id: `com.monzo.fps:${String(1000 + (ids.reserve(1) % 9000))}:${fpid}:INBOUND`,
      can_match_transactions_in_categorization: true,
      counterparty: {
        account_number: fields.from.accountNumber,
        name: fields.from.name,
        sort_code: fields.from.sortCode,
        user_id: ids.next("anonuser"),
      },
      metadata: {
        faster_payment: "true",
        fps_fpid: fpid,
        fps_payment_id: `${trn}${formatPaymentDate(fields.createdMs)}${sequence}`,
        insertion: ids.next("entryset"),
        notes: fields.reference,
        payee_id: ids.next("payee"),
        trn,
      },
    },
    fields.createdMs,
  );
}

/** `YYYYMMDD` of an instant, as Faster Payments ids carry it. */
function formatPaymentDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");
}

/** A deterministic UUID-shaped string (Monzo's p2p dedupe ids end in one). */
function uuidText(ids: IdGenerator): string {
  const hex = [...referenceText(ids, 32)].map((ch) => (ch.charCodeAt(0) % 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A Faster Payment out to someone outside Monzo: category `general` and counted in spending, not
 * `transfers` (S-wg-fixtures), with the same scheme keys as one coming in.
 */
export function fasterPaymentOut(
  ids: IdGenerator,
  fields: {
    accountId: string;
    userId: string;
    amount: number;
    createdMs: number;
    to: ExternalParty;
    reference: string;
  },
): TransactionJson {
  const json = fasterPaymentIn(ids, {
    accountId: fields.accountId,
    amount: -fields.amount,
    createdMs: fields.createdMs,
    from: fields.to,
    reference: fields.reference,
    category: "general",
  });
  json.description = fields.to.name;
  json.dedupe_id = json.dedupe_id.replace(/:INBOUND$/, ":OUTBOUND");
  json.user_id = fields.userId;
  json.include_in_spending = true;
  json.can_add_to_tab = true;
  json.can_split_the_bill = true;
  json.can_match_transactions_in_categorization = false;
  return json;
}

/** One Monzo user paying another (`p2p_payment`), as it appears on each side. */
export interface P2pSides {
  payer: TransactionJson;
  payee: TransactionJson;
}

/**
 * A Monzo-to-Monzo payment, recorded on both accounts: `general` on both sides (counted in spending only
 * for the payer), with `p2p_initiator`, `p2p_transfer_id`, `payee_id` and `notes` in metadata and the other
 * person as counterparty (S-wg-fixtures).
 */
export function p2pPayment(
  ids: IdGenerator,
  fields: {
    amount: number;
    createdMs: number;
    reference: string;
    from: { accountId: string; userId: string; name: string; firstName: string };
    to: { accountId: string; userId: string; name: string; firstName: string };
  },
): P2pSides {
  const { from, to } = fields;
  const transfer = ids.next("p2p");
  const payee = ids.next("payee");
  const uuid = uuidText(ids);
  const metadata = {
    notes: fields.reference,
    p2p_initiator: "p2p",
    p2p_transfer_id: transfer,
    payee_id: payee,
  };
  const side = (self: typeof from, other: typeof from, amount: number): TransactionJson =>
    baseTransaction(
      {
        id: ids.next("tx"),
        amount,
        description: other.name,
        account_id: self.accountId,
        category: "general",
        scheme: "p2p_payment",
        notes: fields.reference,
        user_id: amount < 0 ? self.userId : "",
        originator: amount < 0,
        include_in_spending: amount < 0,
        can_be_excluded_from_breakdown: amount < 0,
        can_split_the_bill: amount < 0,
        dedupe_id: `p2p-payment:${self.accountId}:${other.accountId}${other.userId}:${uuid}`,
        counterparty: {
          account_id: other.accountId,
          name: other.name,
          preferred_name: other.name,
          user_id: other.userId,
        },
        metadata: { ...metadata },
      },
      fields.createdMs,
    );
  return { payer: side(from, to, -fields.amount), payee: side(to, from, fields.amount) };
}

/** A Direct Debit mandate: the same instruction, subscription and reference every month. */
export interface Mandate {
  merchantId: string;
  name: string;
  reference: string;
  serviceUserNumber: string;
  instructionId: string;
  subscriptionId: string;
  payer: string;
}

/**
 * A Direct Debit collection (`bacs`): category `bills`, the merchant, the mandate's reference as
 * description and notes, and `bacs_direct_debit_instruction_id`, `bacs_payment_id`, `bacs_record_id`,
 * `subscription_id` in metadata (S-wg-fixtures).
 */
export function directDebitOut(
  ids: IdGenerator,
  fields: { accountId: string; amount: number; createdMs: number; mandate: Mandate },
): TransactionJson {
  const { mandate } = fields;
  const record = ids.next("bacsrcd");
  return baseTransaction(
    {
      id: ids.next("tx"),
      amount: fields.amount,
      description: mandate.reference,
      account_id: fields.accountId,
      category: "bills",
      merchant: mandate.merchantId,
      scheme: "bacs",
      notes: mandate.reference,
      dedupe_id: `bacs:${record}`,
      include_in_spending: true,
      can_add_to_tab: true,
      can_be_made_subscription: true,
      can_split_the_bill: true,
      can_match_transactions_in_categorization: true,
      counterparty: {
        account_number: "10293847",
        name: mandate.payer,
        service_user_number: mandate.serviceUserNumber,
        sort_code: "401160",
        user_id: ids.next("anonuser"),
      },
      metadata: {
        bacs_direct_debit_instruction_id: mandate.instructionId,
        bacs_payment_id: ids.next("bacspayment"),
        bacs_record_id: record,
        ledger_insertion_id: ids.next("entryset"),
        notes: mandate.reference,
        subscription_id: mandate.subscriptionId,
      },
    },
    fields.createdMs,
  );
}

/** A BACS credit such as a salary: `income`, and `payday: "true"` on pay day (S-wg-fixtures). */
export function bacsIn(
  ids: IdGenerator,
  fields: {
    accountId: string;
    amount: number;
    createdMs: number;
    from: ExternalParty;
    serviceUserNumber: string;
    payday: boolean;
  },
): TransactionJson {
  const record = ids.next("bacsrcd");
  const metadata: Record<string, string> = {
    bacs_payment_id: ids.next("bacspayment"),
    bacs_record_id: record,
    ledger_insertion_id: ids.next("entryset"),
    notes: fields.from.name,
  };
  if (fields.payday) metadata["payday"] = "true";
  return baseTransaction(
    {
      id: ids.next("tx"),
      amount: fields.amount,
      description: fields.from.name,
      account_id: fields.accountId,
      category: "income",
      scheme: "bacs",
      notes: fields.from.name,
      dedupe_id: `bacs:${record}`,
      can_match_transactions_in_categorization: true,
      counterparty: {
        account_number: fields.from.accountNumber,
        name: fields.from.name,
        service_user_number: fields.serviceUserNumber,
        sort_code: fields.from.sortCode,
        user_id: ids.next("anonuser"),
      },
      metadata,
    },
    fields.createdMs,
  );
}
