/**
 * Type tests: checked by `tsc` (npm run typecheck) and run by vitest. They pin what the types must allow
 * and, with @ts-expect-error, what they must refuse.
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  type Account,
  type AccountId,
  exchangeCode,
  MonzoClient,
  type Page,
  type PotId,
  type Transaction,
  type ValidatedCallback,
} from "../src/index.js";

describe("types", () => {
  it("exchangeCode takes only a ValidatedCallback", () => {
    expectTypeOf(exchangeCode).parameter(0).toEqualTypeOf<ValidatedCallback>();
    const lookAlike = { code: "x", state: "y" };
    type FirstParameter = Parameters<typeof exchangeCode>[0];
    // @ts-expect-error a look-alike object is not a ValidatedCallback
    const refused: FirstParameter = lookAlike;
    void refused;
  });

  it("branded ids keep pots and accounts apart", () => {
    const acc = "acc_1" as AccountId;
    const pot = "pot_1" as PotId;
    // @ts-expect-error a PotId is not an AccountId
    const wrong: AccountId = pot;
    void wrong;
    expectTypeOf<Account["id"]>().toEqualTypeOf<AccountId>();
    void acc;
  });

  it("lists are awaitable pages and async-iterable items", () => {
    const client = new MonzoClient({ accessToken: "t" });
    const list = client.transactions.list({ accountId: "acc_1" });
    expectTypeOf(list).resolves.toEqualTypeOf<Page<Transaction>>();
    expectTypeOf(list[Symbol.asyncIterator]).returns.toMatchTypeOf<AsyncIterator<Transaction>>();
    expectTypeOf<Transaction["amount"]>().toEqualTypeOf<number>();
    expectTypeOf<Transaction["metadata"]>().toEqualTypeOf<Record<string, string>>();
  });
});
