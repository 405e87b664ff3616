import { randomUUID } from "node:crypto";
import {
  type Account,
  isRefreshNotSent,
  MonzoApiError,
  type MonzoClient,
  MonzoError,
  type Pot,
  ReauthenticationRequiredError,
  type Transaction,
} from "@monzokit/core";
import { ConfigError, RefusedError, UsageError } from "../errors.js";
import { money } from "../output/format.js";
import { printable } from "../output/printable.js";
import type { MoveJournal, MoveRecord } from "./journal.js";

const DAY = 86_400_000;

/** What a `pots deposit` / `pots withdraw` run did. */
export interface MoveResult {
  /**
   * `moved`: money moved in this run. `already_done`: it had moved before (this journal's record, or Monzo
   * knew the dedupe id): nothing moved now.
   */
  outcome: "moved" | "already_done";
  record: MoveRecord;
  /** The pot as Monzo last showed it (after the move when one was sent). */
  pot: Pot;
  /** What this run sent to Monzo: nothing when the journal already knew the move. */
  sent: boolean;
  /** The journal's record of an earlier attempt with this dedupe id (unknown or refused), if there was one. */
  earlier?: MoveRecord | undefined;
}

/** The outcome is not known: what the person must do to finish the move safely. */
export class MoveUnknownError extends MonzoError {
  readonly dedupeId: string;
  constructor(message: string, hint: string, dedupeId: string, cause?: unknown) {
    super("pots.outcome_unknown", message, { hint, cause });
    this.dedupeId = dedupeId;
  }
}

export interface MoveRequest {
  client: MonzoClient;
  journal: MoveJournal;
  direction: "deposit" | "withdraw";
  account: Account;
  pot: Pot;
  amount: number;
  /** The dedupe id: the person's own, or a new one made for this run (`newDedupeId`). */
  dedupeId: string;
  /** The key was made for this run: it cannot have reached Monzo before, so a 200 is money moved now. */
  fresh: boolean;
  userId: string;
  now: () => number;
  /** The command that re-runs this move, for messages: `monzo pots deposit Savings 5.00`. */
  rerun: string;
  /** Times for people. */
  when: (iso: string) => string;
  /** Told when the request is about to go to Monzo, and when its answer is in (for Ctrl+C's message). */
  onStage?: (stage: "sending" | "confirming" | "done") => void;
}

/** A dedupe id for a move the person gave none for: random, so it has never reached Monzo. */
export function newDedupeId(): string {
  return `monzo-${randomUUID()}`;
}

/** The pot-transfer transaction a move with this key makes on the account (REFERENCE §6.3, §6.5). */
function isTransferOf(tx: Transaction, request: MoveRequest, dedupeId: string): boolean {
  const { pot, account, direction, userId } = request;
  if (
    (tx as { dedupe_id?: unknown }).dedupe_id === `${pot.id}:${account.id}:${direction}:${userId}:${dedupeId}`
  )
    return true;
  const meta = tx.metadata ?? {};
  return (
    meta["pot_id"] === pot.id &&
    meta["external_id"] === `${userId}:${dedupeId}` &&
    (direction === "deposit" ? tx.amount < 0 : tx.amount > 0)
  );
}

/** Ids of the account's transfers with this key since `sinceMs` (pages through; one page almost always). */
async function transfersWith(request: MoveRequest, dedupeId: string, sinceMs: number): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const tx of request.client.transactions.list({
    accountId: request.account.id,
    since: new Date(sinceMs).toISOString(),
  }))
    if (isTransferOf(tx, request, dedupeId)) found.add(tx.id);
  return found;
}

const describeMove = (r: Pick<MoveRecord, "direction" | "amount" | "currency" | "pot_name">) =>
  `${money(r.amount, r.currency)} ${r.direction === "deposit" ? "into" : "out of"} ${printable(r.pot_name)}`;

/**
 * Moves money into or out of a pot so that a person can trust what is said about it:
 *
 * - The journal is consulted first. A dedupe id it has seen move money is "already done", and nothing is
 *   sent; the same id for a different pot, account, direction or amount is refused before anything reaches
 *   Monzo. A move of the same money still unfinished is not started again under a new key.
 * - A new key (made here) has never reached Monzo, so a 200 means this run moved the money (core keeps the
 *   key across its retries, so at most once).
 * - A key that may have reached Monzo before (the person's own, or a retry of an unknown outcome) gets a 200
 *   either way (REFERENCE §6.5: a repeat returns the pot as it is). So the account's transfers with that key
 *   are read before and after: a new one appearing is money moved now; none, with the pot's balance
 *   unchanged, is "already done"; anything else is reported as unknown, never as moved.
 * - No answer (a timeout, a dropped connection, a 5xx after retries) is recorded as unknown, with the
 *   command that finishes it safely.
 */
export async function movePot(request: MoveRequest): Promise<MoveResult> {
  const { client, journal, direction, account, pot, amount, userId } = request;
  return journal.transaction(async (j) => {
    const { fresh, dedupeId } = request;
    const earlier = fresh ? undefined : j.find(userId, dedupeId);
    if (earlier) {
      const same =
        earlier.pot_id === pot.id &&
        earlier.account_id === account.id &&
        earlier.direction === direction &&
        earlier.amount === amount &&
        earlier.currency === pot.currency;
      if (!same)
        throw new UsageError(
          `The dedupe id ${printable(dedupeId)} was used on ${request.when(earlier.started_at)} for ${describeMove(earlier)}; this is ${describeMove({ direction, amount, currency: pot.currency, pot_name: pot.name })}. Nothing was sent to Monzo`,
          "A dedupe id names one move: give this one a new --dedupe-id, or repeat the earlier move exactly.",
        );
      if (earlier.outcome === "moved" || earlier.outcome === "already_done")
        return { outcome: "already_done", record: earlier, pot, sent: false } satisfies MoveResult;
    }
    if (fresh) {
      const open = j
        .unfinished(userId)
        .find(
          (m) =>
            m.pot_id === pot.id &&
            m.account_id === account.id &&
            m.direction === direction &&
            m.amount === amount,
        );
      if (open)
        throw new UsageError(
          `A move of ${describeMove(open)} from ${request.when(open.started_at)} has an unknown outcome (dedupe id ${printable(open.dedupe_id)}): it may have moved`,
          `Finish it safely with ${request.rerun} --dedupe-id ${open.dedupe_id} (moves the money at most once); to move it again anyway, give a new --dedupe-id.`,
        );
    }

    const started = new Date(request.now()).toISOString();
    const record: MoveRecord = {
      dedupe_id: dedupeId,
      user_id: userId,
      account_id: account.id,
      pot_id: pot.id,
      pot_name: pot.name,
      direction,
      amount,
      currency: pot.currency,
      started_at: earlier?.started_at ?? started,
      updated_at: started,
      outcome: "pending",
    };
    // Transfers with this key Monzo may already hold: read from a day before the earlier attempt (clock
    // skew), within the 89 days Monzo lets an app read after the 5-minute window.
    const sinceMs = Math.max(Date.parse(record.started_at) - DAY, request.now() - 89 * DAY);
    const before = fresh ? new Set<string>() : await transfersWith(request, dedupeId, sinceMs);
    // Written before the request: if this process dies during it, the journal says the outcome is unknown.
    await j.put(record);

    let after: Pot;
    request.onStage?.("sending");
    try {
      const params = { potId: pot.id, accountId: account.id, amount, dedupeId };
      after =
        direction === "deposit" ? await client.pots.deposit(params) : await client.pots.withdraw(params);
    } catch (error) {
      // Never sent: the login could not be used (a refresh refused or cut off happens before the request;
      // a refresh the CLI declined, or a login made at another API, is refused before anything is sent).
      if (
        error instanceof ReauthenticationRequiredError ||
        isRefreshNotSent(error) ||
        error instanceof ConfigError ||
        error instanceof UsageError
      ) {
        await j.put({
          ...record,
          outcome: "refused",
          updated_at: now(request),
          note: `not sent: ${messageOf(error)}`,
        });
        throw error;
      }
      const refused =
        error instanceof MonzoApiError && error.status >= 400 && error.status < 500 && error.status !== 408;
      if (refused) {
        await j.put({
          ...record,
          outcome: "refused",
          updated_at: now(request),
          note: error.monzoCode ?? error.message,
        });
        throw await refusal(request, error);
      }
      await j.put({ ...record, outcome: "unknown", updated_at: now(request), note: messageOf(error) });
      throw unknown(
        request,
        dedupeId,
        `Monzo did not confirm the move of ${describeMove(record)} (${printable(messageOf(error))})`,
        error,
      );
    }

    request.onStage?.("confirming");
    let moved: boolean | undefined;
    if (fresh) moved = true;
    else {
      let seen: Set<string>;
      try {
        seen = await transfersWith(request, dedupeId, sinceMs);
      } catch (error) {
        await j.put({ ...record, outcome: "unknown", updated_at: now(request), note: messageOf(error) });
        throw unknown(
          request,
          dedupeId,
          `Monzo accepted ${describeMove(record)}, but this run could not read the account to tell whether it moved money now or had already (${printable(messageOf(error))})`,
          error,
        );
      }
      if ([...seen].some((id) => !before.has(id))) moved = true;
      else if (after.balance === pot.balance) moved = false;
    }
    if (moved === undefined) {
      await j.put({
        ...record,
        outcome: "unknown",
        updated_at: now(request),
        note: "no new transfer, balance changed",
      });
      throw unknown(
        request,
        dedupeId,
        `Monzo accepted ${describeMove(record)} (dedupe id ${printable(dedupeId)}), but no new transfer with that id appeared while the pot's balance went from ${money(pot.balance, pot.currency)} to ${money(after.balance, after.currency)}: this run cannot tell whether the money moved now`,
      );
    }
    const at = now(request);
    const final: MoveRecord = moved
      ? { ...record, outcome: "moved", updated_at: at, moved_at: at }
      : { ...record, outcome: "already_done", updated_at: at, note: "Monzo already had this dedupe id" };
    await j.put(final);
    request.onStage?.("done");
    return {
      outcome: moved ? "moved" : "already_done",
      record: final,
      pot: after,
      sent: true,
      earlier,
    } satisfies MoveResult;
  });
}

function now(request: MoveRequest): string {
  return new Date(request.now()).toISOString();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unknown(request: MoveRequest, dedupeId: string, message: string, cause?: unknown): MoveUnknownError {
  return new MoveUnknownError(
    message,
    `Check with monzo pots list, or finish it safely: ${request.rerun} --dedupe-id ${dedupeId} (the same dedupe id moves the money at most once).`,
    dedupeId,
    cause,
  );
}

/** Monzo said no: the refusal in the person's words, with the balance that explains it. */
async function refusal(request: MoveRequest, error: MonzoApiError): Promise<Error> {
  const { client, account, pot, direction, amount } = request;
  const code = error.monzoCode ?? "";
  const what = describeMove({ direction, amount, currency: pot.currency, pot_name: pot.name });
  if (code === "bad_request.insufficient_funds") {
    if (direction === "withdraw")
      return new RefusedError(
        `Monzo refused to move ${what}: the pot holds ${money(pot.balance, pot.currency)}`,
        "Withdraw at most what the pot holds (monzo pots list).",
        error,
      );
    const balance = await client.balance.retrieve(account.id).catch(() => undefined);
    return new RefusedError(
      `Monzo refused to move ${what}: not enough money in the account${balance ? ` (balance ${money(balance.balance, balance.currency)})` : ""}`,
      "Deposit at most your balance (monzo balance).",
      error,
    );
  }
  if (/^forbidden\.pot_locked/.test(code) || (direction === "withdraw" && pot.locked && error.status === 403))
    return new RefusedError(
      `Monzo refused to move ${what}: the pot is locked${typeof (pot as { locked_until?: unknown }).locked_until === "string" ? ` until ${request.when((pot as { locked_until: string }).locked_until)}` : ""}`,
      "Unlock it in the Monzo app first (or wait until it unlocks).",
      error,
    );
  if (/^forbidden\.pot_added_security/.test(code))
    return new RefusedError(
      `Monzo refused to move ${what}: the pot has added security`,
      "Monzo allows withdrawals from it only in the Monzo app.",
      error,
    );
  return error;
}

/** Pot moves need a login whose user is known; the journal is per user. */
export function requireUser(userId: string | undefined): string {
  if (!userId)
    throw new ConfigError("The stored login does not say which user it is", "Run monzo login again.");
  return userId;
}
