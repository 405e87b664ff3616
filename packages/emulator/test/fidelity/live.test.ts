/**
 * Transactions change after they appear (REFERENCE §7.1, §7.5, §13.16, §13.24): pending card payments settle
 * as the clock passes their time, sometimes at another amount; declines stay out of the balance; the app
 * changes categories; accounts close. Each change moves what a client re-reading sees (`updated`, `closed`).
 */
import { describe, expect, it } from "vitest";
import { api, emulator, expectError, json, mainAccount } from "../helpers.js";

interface Tx {
  id: string;
  created: string;
  updated: string;
  settled: string;
  amount: number;
  local_amount: number;
  local_currency: string;
  currency: string;
  category: string;
  categories: Record<string, number> | null;
  metadata: Record<string, string>;
  decline_reason?: string;
  include_in_spending: boolean;
  counterparty: Record<string, string>;
  scheme: string;
  notes: string;
}

const HOUR = 3_600_000;

async function setup(opts: Parameters<typeof emulator>[0] = {}) {
  const e = emulator(opts);
  // Long enough to outlive the clock moves below (a real login's token lasts 30 h).
  const t = { access_token: e.control.token({ ttlSeconds: 365 * 86_400 }) };
  const account = await mainAccount(e);
  const control = (path: string, method: string, body?: unknown) =>
    e.app.request(`/_emulator${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const create = async (body: Record<string, unknown>) => {
    const res = await control("/transactions", "POST", { account_id: account, ...body });
    expect(res.status).toBe(201);
    return (await json<{ transaction: Tx }>(res)).transaction;
  };
  const read = async (id: string) =>
    (await json<{ transaction: Tx }>(api(e, t.access_token, `/transactions/${id}`))).transaction;
  const balance = async () =>
    (await json<{ balance: number }>(api(e, t.access_token, `/balance?account_id=${account}`))).balance;
  // The newest 100 (after the 5-minute window, a read must start within the last 90 days).
  const recent = async () => {
    const since = new Date(e.control.now() - 80 * 24 * HOUR).toISOString();
    const all: Tx[] = [];
    let from = since;
    for (;;) {
      const batch = (
        await json<{ transactions: Tx[] }>(
          api(e, t.access_token, `/transactions?account_id=${account}&since=${from}&limit=100`),
        )
      ).transactions;
      all.push(...batch);
      if (batch.length < 100) return all.slice(-100);
      from = batch.at(-1)!.id;
    }
  };
  return { e, t, account, control, create, read, balance, recent };
}

describe("pending card payments settle as the clock advances", () => {
  it("a seeded pending payment settles at its scheduled time, with a clearing message and a later updated", async () => {
    // A short, dense history has payments authorised in the last two days that have not settled yet.
    const { e, read, balance, recent, control } = await setup({ years: 0.2, transactions: 600 });
    const pending = (await recent()).filter((x) => x.settled === "" && !x.decline_reason && x.amount !== 0);
    expect(pending.length).toBeGreaterThan(0);
    // The one due first, so nothing else settles in between.
    const plans = await Promise.all(
      pending.map(async (x) => ({
        x,
        plan: await json<{ settles_at: string; settle_amount: number }>(
          control(`/transactions/${x.id}`, "GET"),
        ),
      })),
    );
    plans.sort((a, b) => Date.parse(a.plan.settles_at) - Date.parse(b.plan.settles_at));
    const { x: before, plan } = plans[0]!;
    expect(before.metadata).not.toHaveProperty("mastercard_clearing_message_id");
    const due = Date.parse(plan.settles_at);
    expect(due).toBeGreaterThan(e.control.now());
    // REFERENCE §7.1: usually 24–48 h after created.
    expect(due - Date.parse(before.created)).toBeGreaterThanOrEqual(24 * HOUR);
    expect(due - Date.parse(before.created)).toBeLessThanOrEqual(48 * HOUR);
    const balanceBefore = await balance();

    e.control.setClock(due - 1);
    expect((await read(before.id)).settled).toBe("");
    e.control.advanceClock(1);
    const after = await read(before.id);
    expect(after.settled).toBe(plan.settles_at);
    expect(Date.parse(after.updated)).toBeGreaterThan(Date.parse(before.updated));
    expect(after.metadata["mastercard_clearing_message_id"]).toMatch(/^mcclearingmsg_0000/);
    expect(after.amount).toBe(plan.settle_amount);
    expect(await balance()).toBe(balanceBefore + (after.amount - before.amount));
  });

  it("every seeded settled card payment settled in the past, 24–48 h after it was made, and carries its clearing message", async () => {
    const { e } = await setup();
    const now = e.control.now();
    const cards = [...e.state.bank.accounts.values()]
      .flatMap((a) => a.transactions.map((r) => r.json))
      .filter((x) => x.scheme === "mastercard" && x.settled !== "");
    expect(cards.length).toBeGreaterThan(100);
    for (const x of cards) {
      const settled = Date.parse(x.settled);
      expect(settled).toBeLessThanOrEqual(now);
      expect(settled - Date.parse(x.created)).toBeGreaterThanOrEqual(24 * HOUR);
      expect(settled - Date.parse(x.created)).toBeLessThanOrEqual(48 * HOUR);
      expect(Date.parse(x.updated)).toBeGreaterThanOrEqual(settled);
      expect(Date.parse(x.updated)).toBeLessThanOrEqual(now);
      expect(x.metadata["mastercard_clearing_message_id"]).toMatch(/^mcclearingmsg_/);
    }
  });

  it("a payment made through the control API settles after settle_after_ms at its settle_amount (a tip)", async () => {
    const { e, create, read, balance, recent } = await setup();
    // Let the seeded payments still in flight settle first, so only ours moves the balance.
    e.control.advanceClock(3 * 24 * HOUR);
    const start = await balance();
    const made = await create({
      amount: -1250,
      merchant: "pub",
      settle_after_ms: 30 * HOUR,
      settle_amount: -1438,
    });
    expect(made).toMatchObject({ amount: -1250, settled: "", category: "eating_out", scheme: "mastercard" });
    expect(made.decline_reason).toBeUndefined();
    // Pending payments count in the balance at their authorised amount (REFERENCE §13.24).
    expect(await balance()).toBe(start - 1250);
    expect((await recent()).at(-1)!.id).toBe(made.id);

    e.control.advanceClock(30 * HOUR - 1);
    expect((await read(made.id)).settled).toBe("");
    e.control.advanceClock(1);
    const settled = await read(made.id);
    expect(Date.parse(settled.settled)).toBe(Date.parse(made.created) + 30 * HOUR);
    expect(settled).toMatchObject({ amount: -1438, local_amount: -1438, categories: { eating_out: -1438 } });
    expect(Date.parse(settled.updated)).toBeGreaterThan(Date.parse(made.updated));
    expect(await balance()).toBe(start - 1438);
  });

  it("foreign spend keeps its local amount and settles at the final exchange rate", async () => {
    const { e, create, read } = await setup();
    const made = await create({
      amount: -1000,
      merchant: "paris_cafe",
      settle_after_ms: HOUR,
      settle_amount: -1013,
    });
    expect(made).toMatchObject({ local_currency: "EUR", local_amount: -1170 });
    e.control.advanceClock(HOUR);
    expect(await read(made.id)).toMatchObject({ amount: -1013, local_amount: -1170, local_currency: "EUR" });
  });

  it("settle_at null keeps it pending however far the clock moves, until settled by hand", async () => {
    const { e, create, read, control, balance } = await setup();
    const made = await create({ amount: -500, merchant: "tfl", settle_at: null });
    e.control.advanceClock(30 * 24 * HOUR);
    expect((await read(made.id)).settled).toBe("");
    const start = await balance();
    const res = await control(`/transactions/${made.id}/settle`, "POST", { amount: -650 });
    expect(res.status).toBe(200);
    const settled = await read(made.id);
    expect(settled.settled).not.toBe("");
    expect(Date.parse(settled.settled)).toBe(e.control.now());
    expect(settled.amount).toBe(-650);
    expect(await balance()).toBe(start - 150);
    // Settling twice, or settling a decline, is refused.
    await expectError(control(`/transactions/${made.id}/settle`, "POST", {}), 409, "conflict.control");
  });

  it("a backdated payment is filed in date order; one in the future is refused", async () => {
    const { e, create, recent, control, account } = await setup();
    const at = new Date(e.control.now() - 3 * 24 * HOUR).toISOString();
    const made = await create({ amount: -300, merchant: "ozone", at, settled: true });
    expect(made.settled).toBe(made.created);
    const list = await recent();
    const i = list.findIndex((x) => x.id === made.id);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(Date.parse(list[i + 1]!.created)).toBeGreaterThanOrEqual(Date.parse(made.created));
    const future = new Date(e.control.now() + 60_000).toISOString();
    await expectError(
      control("/transactions", "POST", { account_id: account, amount: -1, at: future }),
      400,
      "bad_request.control",
    );
  });
});

describe("declines", () => {
  it("carry decline_reason, never settle, stay out of the balance and of spending", async () => {
    const { e, create, read, balance, control } = await setup();
    const start = await balance();
    const declined = await create({
      kind: "declined",
      amount: -4999,
      merchant: "amazon",
      decline_reason: "SCA_NOT_AUTHENTICATED_CARD_NOT_PRESENT",
    });
    expect(declined).toMatchObject({
      decline_reason: "SCA_NOT_AUTHENTICATED_CARD_NOT_PRESENT",
      settled: "",
      include_in_spending: false,
      categories: null,
    });
    expect(await balance()).toBe(start);
    e.control.advanceClock(10 * 24 * HOUR);
    expect((await read(declined.id)).settled).toBe("");
    await expectError(control(`/transactions/${declined.id}/settle`, "POST", {}), 409, "conflict.control");
    // A card payment without a decline_reason has no such key at all (REFERENCE §13.16).
    const ok = await create({ amount: -100 });
    expect("decline_reason" in (await read(ok.id))).toBe(false);
  });
});

describe("incoming payments", () => {
  it("arrive settled, as income from the named counterparty, and add to the balance", async () => {
    const { create, balance } = await setup();
    const start = await balance();
    const paid = await create({
      kind: "incoming",
      amount: 2500,
      notes: "Concert tickets",
      counterparty: { name: "Priya Shah", sort_code: "309634", account_number: "12312312" },
    });
    expect(paid).toMatchObject({
      amount: 2500,
      category: "income",
      scheme: "payport_faster_payments",
      notes: "Concert tickets",
      include_in_spending: false,
      counterparty: { name: "Priya Shah", sort_code: "309634", account_number: "12312312" },
    });
    expect(paid.settled).toBe(paid.created);
    expect(paid.metadata).toMatchObject({ faster_payment: "true", notes: "Concert tickets" });
    expect(await balance()).toBe(start + 2500);
  });
});

describe("changes made in the app", () => {
  it("a category change moves category, categories and updated; annotate edits move updated too", async () => {
    const { e, create, read, control, t } = await setup();
    const made = await create({ amount: -800, merchant: "tesco", settled: true });
    e.control.advanceClock(1000);
    const res = await control(`/transactions/${made.id}`, "PATCH", { category: "eating_out" });
    expect(res.status).toBe(200);
    const changed = await read(made.id);
    expect(changed).toMatchObject({ category: "eating_out", categories: { eating_out: -800 } });
    expect(Date.parse(changed.updated)).toBeGreaterThan(Date.parse(made.updated));
    e.control.advanceClock(1000);
    await api(e, t.access_token, `/transactions/${made.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "metadata%5Bnotes%5D=team%20lunch",
    });
    const annotated = await read(made.id);
    expect(annotated.notes).toBe("team lunch");
    expect(Date.parse(annotated.updated)).toBeGreaterThan(Date.parse(changed.updated));
    await expectError(
      control(`/transactions/${made.id}`, "PATCH", { category: "Bad Category!" }),
      400,
      "bad_request.control",
    );
    await expectError(
      control("/transactions/tx_00009999999999999999zz", "PATCH", { category: "bills" }),
      404,
      "not_found.control",
    );
  });

  it("an annotated pending payment keeps its notes when it settles", async () => {
    const { e, create, read, t } = await setup();
    const made = await create({ amount: -450, merchant: "pret", settle_after_ms: HOUR });
    await api(e, t.access_token, `/transactions/${made.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "metadata%5Bnotes%5D=breakfast",
    });
    e.control.advanceClock(HOUR);
    const settled = await read(made.id);
    expect(settled.notes).toBe("breakfast");
    expect(settled.settled).not.toBe("");
    expect(settled.metadata["mastercard_clearing_message_id"]).toMatch(/^mcclearingmsg_/);
  });
});

describe("closing an account", () => {
  it("lists it as closed and refuses new transactions on it", async () => {
    const { e, t, control } = await setup();
    const joint = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail_joint")!.json.id;
    const res = await control(`/accounts/${joint}/close`, "POST");
    expect(res.status).toBe(200);
    const accounts = (
      await json<{ accounts: { id: string; closed: boolean }[] }>(api(e, t.access_token, "/accounts"))
    ).accounts;
    expect(accounts.find((a) => a.id === joint)!.closed).toBe(true);
    // Its history stays readable.
    expect((await api(e, t.access_token, `/transactions?account_id=${joint}`)).status).toBe(200);
    await expectError(
      control("/transactions", "POST", { account_id: joint, amount: -1 }),
      409,
      "conflict.control",
    );
    await expectError(control(`/accounts/${joint}/close`, "POST"), 409, "conflict.control");
  });
});

describe("control API input", () => {
  it("names the field that is wrong", async () => {
    const { control, account } = await setup();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ account_id: account }, /amount/],
      [{ account_id: account, amount: 1.5 }, /amount/],
      [{ account_id: "acc_nope", amount: -1 }, /account_id/],
      [{ account_id: account, amount: -1, merchant: "nowhere" }, /merchant/],
      [{ account_id: account, amount: -1, kind: "refund" }, /kind/],
      [{ account_id: account, amount: -1, at: "yesterday" }, /at must be/],
      [{ account_id: account, amount: -1, settle_after_ms: -5 }, /settle_after_ms/],
      [{ account_id: account, amount: -100, kind: "incoming" }, /positive/],
    ];
    for (const [body, message] of cases) {
      const res = await control("/transactions", "POST", body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect((await json<{ message: string }>(res)).message).toMatch(message);
    }
  });
});
