import * as v from "valibot";
import type { AccountId } from "../models/ids.js";
import {
  type Account,
  AccountSchema,
  type Balance,
  BalanceSchema,
  parse,
  unwrap,
  type WhoAmI,
  WhoAmISchema,
} from "../models/schemas.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

/**
 * `GET /accounts` (REFERENCE §4).
 *
 * @example const accounts = await client.accounts.list();
 */
export class Accounts extends Resource {
  /**
   * The accounts the user owns or co-owns, closed ones included.
   *
   * @param params.accountType - e.g. `uk_retail`, `uk_retail_joint`
   * @example const accounts = await client.accounts.list({ accountType: "uk_retail" });
   * @see https://docs.monzo.com/#list-accounts
   */
  async list(params: { accountType?: string } = {}, options?: CallOptions): Promise<Account[]> {
    const body = await this.send(
      { method: "GET", path: "/accounts", query: { account_type: params.accountType }, replaySafe: true },
      options,
    );
    return unwrap(v.array(AccountSchema), body, "accounts", "GET /accounts");
  }
}

/**
 * `GET /balance` (REFERENCE §5).
 *
 * @example const { balance } = await client.balance.retrieve(accountId);
 */
export class Balances extends Resource {
  /**
   * Balance, total with pots, and today's spend, in minor units.
   *
   * @example const { balance, currency } = await client.balance.retrieve(accountId);
   * @see https://docs.monzo.com/#read-balance
   */
  async retrieve(accountId: AccountId | string, options?: CallOptions): Promise<Balance> {
    const body = await this.send(
      { method: "GET", path: "/balance", query: { account_id: accountId }, replaySafe: true },
      options,
    );
    return parse(BalanceSchema, body, "GET /balance");
  }
}

/**
 * `GET /ping/whoami` (REFERENCE §2.10).
 *
 * @example const { user_id } = await client.whoami();
 */
export class Identity extends Resource {
  async retrieve(options?: CallOptions): Promise<WhoAmI> {
    const body = await this.send({ method: "GET", path: "/ping/whoami", replaySafe: true }, options);
    return parse(WhoAmISchema, body, "GET /ping/whoami");
  }
}
