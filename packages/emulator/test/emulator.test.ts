/** The in-process handle `createEmulator` returns: its control methods, over the emulator's own HTTP answers. */
import { describe, expect, it } from "vitest";
import { api, emulator, expectError, json } from "./helpers.js";

describe("control.token()", () => {
  it("mints an approved playground token that reads the first user's accounts, for an hour by default", async () => {
    const e = emulator();
    const token = e.control.token();
    const who = await json<{ authenticated: boolean; user_id: string }>(api(e, token, "/ping/whoami"));
    expect(who.authenticated).toBe(true);
    expect(who.user_id).toBe([...e.state.bank.users.keys()][0]);
    expect((await api(e, token, "/accounts")).status).toBe(200);
    e.control.advanceClock(3600 * 1000);
    await expectError(api(e, token, "/accounts"), 401, "unauthorized.bad_access_token.expired");
  });

  it("honours user, lifetime and a pending approval, and refuses an unknown user", async () => {
    const e = emulator();
    const [, second] = [...e.state.bank.users.keys()];
    const pending = e.control.token({ userId: second!, ttlSeconds: 60, approved: false });
    await expectError(api(e, pending, "/accounts"), 403, "forbidden.insufficient_permissions");
    expect(e.control.approve({ userId: second! })).toBe(1);
    expect((await api(e, pending, "/accounts")).status).toBe(200);
    e.control.advanceClock(60_000);
    expect((await api(e, pending, "/accounts")).status).toBe(401);
    expect(() => e.control.token({ userId: "user_nobody" })).toThrow(/unknown user/);
  });
});

describe("app.fetch", () => {
  it("answers a GET that needs no waiting synchronously, and still counts and logs it", async () => {
    // A Response rather than a Promise is what lets the Node adapter skip its slow path (BENCHMARKS.md).
    const e = emulator();
    const token = e.control.token();
    const account = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!.json.id;
    const headers = { authorization: `Bearer ${token}` };
    const ok = e.app.fetch(new Request(`http://x/balance?account_id=${account}`, { headers }));
    expect(ok).toBeInstanceOf(Response);
    expect((ok as Response).status).toBe(200);
    const refused = e.app.fetch(
      new Request("http://x/balance", { headers: { ...headers, accept: "text/html" } }),
    );
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(406);
    const missing = e.app.fetch(new Request("http://x/balance", { headers }));
    expect((missing as Response).status).toBe(400);
    const log = await json<{ requests: { route: string; status: number }[] }>(
      e.app.request("/_emulator/requests"),
    );
    expect(log.requests.slice(0, 3).map((r) => [r.route, r.status])).toEqual([
      ["GET /balance", 200],
      ["GET /balance", 406],
      ["GET /balance", 400],
    ]);
    // With faults set, the same request waits for them and is counted once.
    e.control.setFaults({ latencyMs: 1 });
    const slow = e.app.fetch(new Request(`http://x/balance?account_id=${account}`, { headers }));
    expect(slow).toBeInstanceOf(Promise);
    expect((await slow).status).toBe(200);
    const counters = await json<Record<string, unknown>>(e.app.request("/_emulator/counters"));
    expect(JSON.stringify(counters)).toContain('"GET /balance":4');
  });
});

describe("control: transactions that change", () => {
  it("createTransaction, settleTransaction, updateTransaction and closeAccount act on the bank the API serves", async () => {
    const e = emulator();
    const token = e.control.token({ ttlSeconds: 30 * 86_400 });
    const account = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!.json.id;
    const read = async (id: string) =>
      (await json<{ transaction: Record<string, unknown> }>(api(e, token, `/transactions/${id}`)))
        .transaction;

    const made = e.control.createTransaction({
      accountId: account,
      amount: -999,
      merchant: "boots",
      settleAt: null,
    });
    expect(await read(made.id)).toMatchObject({ amount: -999, settled: "" });
    e.control.advanceClock(5 * 86_400_000);
    expect((await read(made.id))["settled"]).toBe("");
    const settled = e.control.settleTransaction(made.id, { amount: -1099 });
    expect(settled.settled).not.toBe("");
    expect(await read(made.id)).toMatchObject({ amount: -1099, settled: settled.settled });

    e.control.updateTransaction(made.id, { category: "shopping", notes: "shampoo" });
    expect(await read(made.id)).toMatchObject({ category: "shopping", notes: "shampoo" });

    const due = e.control.createTransaction({
      accountId: account,
      amount: -200,
      settleAt: e.control.now() + 1000,
    });
    e.control.advanceClock(1000);
    // Settled by the clock move itself, before any request.
    expect(e.state.bank.transaction(due.id)!.pending).toBe(false);

    expect(() => e.control.settleTransaction(made.id)).toThrow(/already settled/);
    expect(e.control.closeAccount(account).closed).toBe(true);
    expect(() => e.control.createTransaction({ accountId: account, amount: -1 })).toThrow(/closed/);
  });
});
