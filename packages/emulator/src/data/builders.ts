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
