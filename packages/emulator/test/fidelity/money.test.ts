/** REFERENCE §13 behaviours 19–26: pots, balances, accounts and which accounts have transactions. */
import { describe, expect, it } from "vitest";
import { api, emulator, expectError, json, login, mainAccount } from "../helpers.js";

type Balance = {
  balance: number;
  total_balance: number;
  balance_including_flexible_savings: number;
  spend_today: number;
  currency: string;
  local_spend: unknown[];
};
type Pot = {
  id: string;
  balance: number;
  deleted: boolean;
  locked: boolean;
  updated: string;
  type: string;
  current_account_id: string;
};

async function setup(opts: Parameters<typeof emulator>[0] = {}) {
  const e = emulator(opts);
  const t = await login(e);
  const account = await mainAccount(e);
  const balance = () => json<Balance>(api(e, t.access_token, `/balance?account_id=${account}`));
  const pots = async () =>
    (await json<{ pots: Pot[] }>(api(e, t.access_token, `/pots?current_account_id=${account}`))).pots;
  const move = (potId: string, direction: "deposit" | "withdraw", fields: Record<string, string>) =>
    api(e, t.access_token, `/pots/${potId}/${direction}`, {
      method: "PUT",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const potOf = (name: string) =>
    e.state.bank.potsOf(account).find((p) => p.json.name.startsWith(name))!.json.id;
  return { e, t, account, balance, pots, move, potOf };
}

describe("§13.19 pot deposit and withdrawal", () => {
  it("moves the balances, keeps total_balance, records a settled uk_retail_pot transaction and answers the bare pot", async () => {
    const { e, t, account, balance, move, potOf } = await setup();
    const savings = potOf("Savings");
    const before = await balance();
    const potBefore = e.state.bank.pots.get(savings)!.json.balance;
    e.control.advanceClock(1000);
    const res = await move(savings, "deposit", {
      source_account_id: account,
      amount: "1234",
      dedupe_id: "d-1",
    });
    expect(res.status).toBe(200);
    const pot = await json<Pot>(res);
    expect(pot.id).toBe(savings);
    expect(pot.balance).toBe(potBefore + 1234);
    const after = await balance();
    expect(after.balance).toBe(before.balance - 1234);
    expect(after.total_balance).toBe(before.total_balance);

    const newest = (
      await json<{ transactions: Record<string, unknown>[] }>(
        api(e, t.access_token, `/transactions?account_id=${account}&limit=1`),
      )
    ).transactions[0]!;
    expect(newest).toMatchObject({
      amount: -1234,
      description: savings,
      scheme: "uk_retail_pot",
      merchant: null,
      counterparty: {},
      category: "transfers",
      include_in_spending: false,
      originator: true,
      is_load: false,
      dedupe_id: `${savings}:${account}:deposit:${t.user_id}:d-1`,
    });
    expect(newest["settled"]).toBe(newest["created"]);
    expect(newest["metadata"]).toMatchObject({
      pot_id: savings,
      trigger: "user",
      external_id: `${t.user_id}:d-1`,
      user_id: t.user_id,
    });
    expect((newest["metadata"] as Record<string, string>)["pot_deposit_id"]).toMatch(/^potdep_/);
    expect((newest["metadata"] as Record<string, string>)["pot_account_id"]).toMatch(/^acc_/);

    const back = await json<Pot>(
      move(savings, "withdraw", { destination_account_id: account, amount: "234", dedupe_id: "w-1" }),
    );
    expect(back.balance).toBe(potBefore + 1000);
    expect((await balance()).balance).toBe(before.balance - 1000);
    const w = (
      await json<{ transactions: Record<string, unknown>[] }>(
        api(e, t.access_token, `/transactions?account_id=${account}&limit=1`),
      )
    ).transactions[0]!;
    expect(w).toMatchObject({ amount: 234, dedupe_id: `${savings}:${account}:withdraw:${t.user_id}:w-1` });
    expect((w["metadata"] as Record<string, string>)["pot_withdrawal_id"]).toMatch(/^potwdr_/);
  });
  it("validates each field by name", async () => {
    const { account, move, potOf } = await setup();
    const savings = potOf("Savings");
    await expectError(
      move(savings, "deposit", { source_account_id: account, amount: "0", dedupe_id: "x" }),
      400,
      "bad_request.bad_param.bad_param.amount",
    );
    await expectError(
      move(savings, "deposit", { source_account_id: account, amount: "1.50", dedupe_id: "x" }),
      400,
      "bad_request.bad_param.bad_param.amount",
    );
    await expectError(
      move(savings, "deposit", { amount: "1", dedupe_id: "x" }),
      400,
      "bad_request.missing_param.source_account_id",
    );
    await expectError(
      move(savings, "deposit", { source_account_id: account, amount: "1" }),
      400,
      "bad_request.missing_param.dedupe_id",
    );
    await expectError(
      move("pot_00000000000000000000zz", "deposit", {
        source_account_id: account,
        amount: "1",
        dedupe_id: "x",
      }),
      404,
      "not_found.pot",
    );
    await expectError(
      move(potOf("Old bike"), "deposit", { source_account_id: account, amount: "1", dedupe_id: "x" }),
      404,
      "not_found.pot",
    );
  });
});

describe("§13.20 dedupe_id", () => {
  it("the same dedupe_id moves money once, even racing; a new one moves again", async () => {
    const { e, account, balance, move, potOf } = await setup();
    const savings = potOf("Savings");
    const start = (await balance()).balance;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        move(savings, "deposit", { source_account_id: account, amount: "500", dedupe_id: "same" }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await balance()).balance).toBe(start - 500);
    await move(savings, "deposit", { source_account_id: account, amount: "999", dedupe_id: "same" });
    expect((await balance()).balance).toBe(start - 500);
    await move(savings, "deposit", { source_account_id: account, amount: "500", dedupe_id: "other" });
    expect((await balance()).balance).toBe(start - 1000);
    const potMoves = e.state.bank.accounts
      .get(account)!
      .transactions.filter((r) => r.json.dedupe_id.endsWith(":same"));
    expect(potMoves).toHaveLength(1);
  });
});

describe("§13.21 refusals", () => {
  it("added-security and locked pots refuse withdrawals; over-withdrawing and over-depositing refuse", async () => {
    const { account, balance, move, potOf } = await setup();
    await expectError(
      move(potOf("Rainy"), "withdraw", { destination_account_id: account, amount: "1", dedupe_id: "a" }),
      403,
      "forbidden.pot_added_security",
    );
    await expectError(
      move(potOf("Holiday"), "withdraw", { destination_account_id: account, amount: "1", dedupe_id: "b" }),
      403,
      "forbidden.pot_locked",
    );
    await expectError(
      move(potOf("Savings"), "withdraw", {
        destination_account_id: account,
        amount: "999999999",
        dedupe_id: "c",
      }),
      400,
      "bad_request.insufficient_funds",
    );
    const have = (await balance()).balance;
    await expectError(
      move(potOf("Savings"), "deposit", {
        source_account_id: account,
        amount: String(have + 1),
        dedupe_id: "d",
      }),
      400,
      "bad_request.insufficient_funds",
    );
    // Depositing into a locked pot is fine.
    expect(
      (await move(potOf("Holiday"), "deposit", { source_account_id: account, amount: "1", dedupe_id: "e" }))
        .status,
    ).toBe(200);
  });
});

describe("§13.22 GET /pots", () => {
  it("requires current_account_id with Monzo's message and lists deleted pots", async () => {
    const { e, t, pots } = await setup();
    const body = await expectError(
      api(e, t.access_token, "/pots"),
      400,
      "bad_request.missing_param.current_account_id",
    );
    expect(body).toEqual({
      code: "bad_request.missing_param.current_account_id",
      message: "The field 'current_account_id' is required",
      retryable: {},
    });
    const list = await pots();
    expect(list.some((p) => p.deleted)).toBe(true);
    expect(list.filter((p) => p.deleted).every((p) => p.balance === 0)).toBe(true);
  });
  it("another user's account is refused (403 by default, 404 by switch)", async () => {
    const { e, t } = await setup();
    const jo = [...e.state.bank.accounts.values()].find(
      (a) => a.json.owners[0]!.preferred_name === "Jo Bloggs",
    )!.json.id;
    await expectError(
      api(e, t.access_token, `/pots?current_account_id=${jo}`),
      403,
      "forbidden.insufficient_permissions",
    );
    const strict = await setup({ quirks: { foreignAccount: "not_found" } });
    await expectError(
      api(strict.e, strict.t.access_token, `/balance?account_id=${jo}`),
      404,
      "not_found.account",
    );
  });
});

describe("§13.23 balance arithmetic", () => {
  it("total_balance = balance + live pots; flexible savings counts savings pots; spend_today ≤ 0 and resets at 04:00 London", async () => {
    const { e, account, balance, pots } = await setup();
    const b = await balance();
    const live = (await pots()).filter((p) => !p.deleted);
    expect(b.total_balance).toBe(b.balance + live.reduce((s, p) => s + p.balance, 0));
    expect(b.balance_including_flexible_savings).toBe(
      b.balance + live.filter((p) => p.type !== "default").reduce((s, p) => s + p.balance, 0),
    );
    expect(b.currency).toBe("GBP");
    // A card payment now shows in spend_today; at 04:00 London time the day resets.
    e.control.setClock("2026-06-02T02:30:00Z"); // 03:30 in London (BST)
    const before = (await balance()).spend_today;
    await e.app.request("/_emulator/transactions", {
      method: "POST",
      body: JSON.stringify({ account_id: account, amount: -450, merchant: "pret" }),
    });
    const during = await balance();
    expect(during.spend_today).toBe(before - 450);
    expect(during.spend_today).toBeLessThanOrEqual(0);
    e.control.setClock("2026-06-02T03:00:01Z"); // 04:00:01 London
    expect((await balance()).spend_today).toBe(0);
  });
});

describe("§13.24 pending transactions count in the balance", () => {
  it("balance equals the sum of every non-declined transaction, settled or not", async () => {
    const { e, account, balance } = await setup();
    const records = e.state.bank.accounts.get(account)!.transactions;
    const sum = records.filter((r) => !r.declined).reduce((s, r) => s + r.json.amount, 0);
    expect((await balance()).balance).toBe(sum);
    const created = await json<{ transaction: { settled: string } }>(
      e.app.request("/_emulator/transactions", {
        method: "POST",
        body: JSON.stringify({ account_id: account, amount: -700 }),
      }),
    );
    expect(created.transaction.settled).toBe("");
    expect((await balance()).balance).toBe(sum - 700);
  });
});

describe("§13.25 account_type filter", () => {
  it("filters; unfiltered includes closed and non-current accounts; unknown types give []", async () => {
    const { e, t } = await setup();
    const all = (
      await json<{ accounts: { type: string; closed: boolean }[] }>(api(e, t.access_token, "/accounts"))
    ).accounts;
    expect(all.some((a) => a.closed)).toBe(true);
    expect(new Set(all.map((a) => a.type))).toEqual(
      new Set([
        "uk_retail",
        "uk_retail_joint",
        "uk_monzo_flex",
        "uk_monzo_flex_backing_loan",
        "uk_prepaid",
        "uk_loan",
        "uk_rewards",
      ]),
    );
    const joint = (
      await json<{ accounts: { type: string; owners: unknown[] }[] }>(
        api(e, t.access_token, "/accounts?account_type=uk_retail_joint"),
      )
    ).accounts;
    expect(joint).toHaveLength(1);
    expect(joint[0]!.owners).toHaveLength(2);
    expect(await json(api(e, t.access_token, "/accounts?account_type=uk_nonsense"))).toEqual({
      accounts: [],
    });
  });
});

describe("§13.26 which accounts have transactions", () => {
  it("loans and Cashback list [], flex backing loans are 403, flex has transactions", async () => {
    const { e, t } = await setup();
    const accounts = (
      await json<{ accounts: { id: string; type: string }[] }>(api(e, t.access_token, "/accounts"))
    ).accounts;
    const byType = (type: string) => accounts.find((a) => a.type === type)!.id;
    const q = (id: string) => api(e, t.access_token, `/transactions?account_id=${id}`);
    expect(await json(q(byType("uk_loan")))).toEqual({ transactions: [] });
    expect(await json(q(byType("uk_rewards")))).toEqual({ transactions: [] });
    await expectError(q(byType("uk_monzo_flex_backing_loan")), 403, "forbidden.insufficient_permissions");
    expect(
      (await json<{ transactions: unknown[] }>(q(byType("uk_monzo_flex")))).transactions.length,
    ).toBeGreaterThan(0);
  });
});

describe("REFERENCE §6.1 pot ledger accounts", () => {
  it("pot_account_id from a pot move reads the pot's own transactions; it is never listed in /accounts", async () => {
    const { e, t, account, move, potOf } = await setup();
    const savings = potOf("Savings");
    await move(savings, "deposit", { source_account_id: account, amount: "250", dedupe_id: "ledger-1" });
    const newest = (
      await json<{ transactions: { metadata: Record<string, string> }[] }>(
        api(e, t.access_token, `/transactions?account_id=${account}&limit=1`),
      )
    ).transactions[0]!;
    const ledger = newest.metadata["pot_account_id"]!;
    const accounts = (await json<{ accounts: { id: string }[] }>(api(e, t.access_token, "/accounts")))
      .accounts;
    expect(accounts.map((a) => a.id)).not.toContain(ledger);
    const potSide = (
      await json<{
        transactions: { amount: number; description: string; metadata: Record<string, string> }[];
      }>(api(e, t.access_token, `/transactions?account_id=${ledger}&limit=1`))
    ).transactions[0]!;
    expect(potSide).toMatchObject({ amount: 250, description: account, metadata: { pot_id: savings } });
    const balance = await json<{ balance: number }>(api(e, t.access_token, `/balance?account_id=${ledger}`));
    expect(balance.balance).toBe(e.state.bank.pots.get(savings)!.json.balance);
  });
});
