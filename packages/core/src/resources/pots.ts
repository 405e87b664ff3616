import * as v from "valibot";
import { InvalidArgumentError } from "../errors/client-errors.js";
import type { AccountId, PotId } from "../models/ids.js";
import { type Pot, PotSchema, parse, unwrap } from "../models/schemas.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

export interface PotMoveParams {
  potId: PotId | string;
  /** The account the money comes from (deposit) or goes to (withdraw). */
  accountId: AccountId | string;
  /** Positive, in minor units (pence). */
  amount: number;
  /**
   * Idempotency key (REFERENCE §6.5): the same key moves money once. Generated once per call when
   * omitted — before any retry — so retries of this call can never move money twice.
   */
  dedupeId?: string;
}

/**
 * Pots (REFERENCE §6).
 *
 * @example await client.pots.deposit({ potId, accountId, amount: 1000 });
 */
export class Pots extends Resource {
  /**
   * Pots of an account (use the joint account's id for joint pots); deleted pots are included with
   * `deleted: true`.
   *
   * @example const pots = (await client.pots.list(accountId)).filter((p) => !p.deleted);
   * @see https://docs.monzo.com/#list-pots
   */
  async list(currentAccountId: AccountId | string, options?: CallOptions): Promise<Pot[]> {
    const body = await this.send(
      { method: "GET", path: "/pots", query: { current_account_id: currentAccountId }, replaySafe: true },
      options,
    );
    return unwrap(v.array(PotSchema), body, "pots", "GET /pots");
  }

  /**
   * Moves money into a pot. Retried safely on failures (the dedupe id is fixed first); a timeout that
   * exhausts the retries raises `OutcomeUnknownError` carrying the dedupe id to retry with.
   *
   * @example await client.pots.deposit({ potId, accountId, amount: 1000 }); // £10.00
   * @see https://docs.monzo.com/#deposit-into-a-pot
   */
  deposit(params: PotMoveParams, options?: CallOptions): Promise<Pot & { dedupeId: string }> {
    return this.#move("deposit", params, options);
  }

  /**
   * Moves money out of a pot (not possible through the API for pots with added security).
   *
   * @see https://docs.monzo.com/#withdraw-from-a-pot
   */
  withdraw(params: PotMoveParams, options?: CallOptions): Promise<Pot & { dedupeId: string }> {
    return this.#move("withdraw", params, options);
  }

  async #move(direction: "deposit" | "withdraw", params: PotMoveParams, options?: CallOptions) {
    if (!Number.isSafeInteger(params.amount) || params.amount <= 0) {
      throw new InvalidArgumentError(
        `amount must be a positive whole number of minor units, not ${params.amount}`,
        "Pass pence: £12.34 is 1234 (parseAmount turns text into pence).",
      );
    }
    if (!params.potId) throw new InvalidArgumentError("potId is empty", "Pass the pot's id (pot_…).");
    // Decided once, before the retry loop: every attempt carries the same key (REFERENCE §6.5).
    const dedupeId = params.dedupeId ?? crypto.randomUUID();
    const body = await this.send(
      {
        method: "PUT",
        path: `/pots/${encodeURIComponent(params.potId)}/${direction}`,
        form: {
          [direction === "deposit" ? "source_account_id" : "destination_account_id"]: params.accountId,
          amount: params.amount,
          dedupe_id: dedupeId,
        },
        replaySafe: true,
        dedupeId,
      },
      options,
    );
    return { ...parse(PotSchema, body, `PUT /pots/{id}/${direction}`), dedupeId };
  }
}
