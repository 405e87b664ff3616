/** REFERENCE §13 behaviours 13–18: listing, paging, expansion, shapes, annotate, form-only writes. */
import { describe, expect, it } from "vitest";
import { api, emulator, expectError, json, login, mainAccount } from "../helpers.js";

interface Tx {
  id: string;
  created: string;
  settled: string;
  merchant: unknown;
  counterparty: Record<string, string>;
  metadata: Record<string, string>;
  notes: string;
  updated: string;
  decline_reason?: string;
  amount: number;
  account_id: string;
}

async function setup(opts: Parameters<typeof emulator>[0] = {}) {
  const e = emulator(opts);
  const t = await login(e);
  const account = await mainAccount(e);
  const list = async (q = "") =>
    (await json<{ transactions: Tx[] }>(api(e, t.access_token, `/transactions?account_id=${account}${q}`)))
      .transactions;
  return { e, t, account, list };
}

/** Every transaction of the account, walked with since=<last id> (the documented way to page). */
async function all(list: (q?: string) => Promise<Tx[]>, from: string): Promise<Tx[]> {
  const out: Tx[] = [];
  let page = await list(`&since=${from}&limit=100`);
  while (page.length > 0) {
    out.push(...page);
    if (page.length < 100) break;
    page = await list(`&since=${page[page.length - 1]!.id}&limit=100`);
  }
  return out;
}

describe("§13.13 ordering and bounds", () => {
  it("returns oldest → newest; since timestamp inclusive, since id exclusive, before exclusive", async () => {
    const { list, e } = await setup();
    const start = new Date(e.control.now() - 300 * 86_400_000).toISOString();
    const page = await list(`&since=${start}&limit=50`);
    expect(page).toHaveLength(50);
    const times = page.map((t) => Date.parse(t.created));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(page.map((t) => t.id)).toEqual([...page.map((t) => t.id)].sort());

    const pivot = page[10]!;
    expect((await list(`&since=${pivot.created}&limit=3`))[0]!.id).toBe(pivot.id);
    expect((await list(`&since=${pivot.id}&limit=3`))[0]!.id).toBe(page[11]!.id);
    const before = await list(`&since=${start}&before=${pivot.created}&limit=100`);
    expect(before.map((t) => t.id)).toEqual(page.slice(0, 10).map((t) => t.id));
  });

  it("paging with since=<last id> visits every transaction once", async () => {
    const { list, e } = await setup();
    const seen = await all(list, new Date(e.control.now() - 364 * 86_400_000).toISOString());
    expect(new Set(seen.map((t) => t.id)).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(100);
  });
});

describe("§13.14 limit and page selection", () => {
  it("defaults to 30, allows 100, refuses 0, 101 and junk", async () => {
    const { list, e, t, account } = await setup();
    expect(await list()).toHaveLength(30);
    expect(await list("&limit=100")).toHaveLength(100);
    for (const bad of ["0", "101", "-1", "abc", "1.5"]) {
      await expectError(
        api(e, t.access_token, `/transactions?account_id=${account}&limit=${bad}`),
        400,
        "bad_request.bad_param.limit",
      );
    }
  });
  it("with only before, the newest limit before it (still ascending); with neither, like before=now", async () => {
    const { list, e } = await setup();
    const start = new Date(e.control.now() - 360 * 86_400_000).toISOString();
    const everything = await all(list, start);
    const newest = await list("&limit=5");
    expect(newest.map((t) => t.id)).toEqual(everything.slice(-5).map((t) => t.id));
    const cut = everything[everything.length - 20]!;
    const beforeCut = await list(`&before=${cut.created}&limit=5`);
    const older = everything.filter((t) => Date.parse(t.created) < Date.parse(cut.created));
    expect(beforeCut.map((t) => t.id)).toEqual(older.slice(-5).map((t) => t.id));
  });
  it("a timestamp range over 365 days is refused; the switch turns that off", async () => {
    const { e, t, account } = await setup();
    const q = `/transactions?account_id=${account}&since=2025-01-01T00:00:00Z&before=2026-02-01T00:00:00Z`;
    await expectError(api(e, t.access_token, q), 400, "bad_request.bad_param.since");
    const loose = await setup({ quirks: { maxSpanDays: null } });
    expect((await api(loose.e, loose.t.access_token, q.replace(account, loose.account))).status).toBe(200);
  });
  it("malformed since and before are 400 with the parameter named", async () => {
    const { e, t, account } = await setup();
    await expectError(
      api(e, t.access_token, `/transactions?account_id=${account}&since=yesterday`),
      400,
      "bad_request.bad_param.since",
    );
    await expectError(
      api(e, t.access_token, `/transactions?account_id=${account}&before=tx_0000abc`),
      400,
      "bad_request.bad_param.before",
    );
    await expectError(
      api(e, t.access_token, `/transactions?account_id=${account}&since=tx_00009999999999999999`),
      400,
      "bad_request.bad_param.since",
    );
    await expectError(api(e, t.access_token, "/transactions"), 400, "bad_request.missing_param.account_id");
  });
  it("accepts RFC 3339 with 0–9 fractional digits and offsets", async () => {
    const { list } = await setup();
    for (const ts of [
      "2026-05-01T00:00:00Z",
      "2026-05-01T00:00:00.1Z",
      "2026-05-01T00:00:00.123456789Z",
      "2026-05-01T01:00:00%2B01:00",
    ]) {
      expect(Array.isArray(await list(`&since=${ts}&limit=1`))).toBe(true);
    }
  });
});

describe("§13.15 expand[]=merchant", () => {
  it("turns the merchant id into an object on list and retrieve; null stays null", async () => {
    const { list, e, t } = await setup();
    const plain = await list("&limit=100");
    const withMerchant = plain.find((x) => typeof x.merchant === "string")!;
    const without = plain.find((x) => x.merchant === null)!;
    expect(withMerchant.merchant).toMatch(/^merch_/);
    const expanded = await list("&limit=100&expand[]=merchant");
    const m = expanded.find((x) => x.id === withMerchant.id)!.merchant as Record<string, unknown>;
    expect(m).toMatchObject({
      id: withMerchant.merchant,
      name: expect.any(String),
      emoji: expect.any(String),
      category: expect.any(String),
    });
    expect(m["address"]).toMatchObject({ city: expect.any(String), latitude: expect.any(Number) });
    expect(expanded.find((x) => x.id === without.id)!.merchant).toBeNull();
    const one = await json<{ transaction: Tx }>(
      api(e, t.access_token, `/transactions/${withMerchant.id}?expand%5B%5D=merchant`),
    );
    expect((one.transaction.merchant as { id: string }).id).toBe(withMerchant.merchant);
  });
});

describe("§13.16 transaction shapes", () => {
  it('pending has settled ""; decline_reason only on declines; counterparty {} when empty; metadata values are strings', async () => {
    const { e } = await setup();
    const txs = [...e.state.bank.accounts.values()].flatMap((a) => a.transactions.map((r) => r.json));
    expect(txs.some((t) => t.settled === "")).toBe(true);
    const declined = txs.filter((t) => "decline_reason" in t);
    expect(declined.length).toBeGreaterThan(0);
    for (const t of declined) expect(t.settled).toBe("");
    expect(txs.filter((t) => !("decline_reason" in t)).length).toBeGreaterThan(declined.length);
    expect(txs.some((t) => Object.keys(t.counterparty).length === 0)).toBe(true);
    expect(txs.some((t) => t.counterparty["sort_code"])).toBe(true);
    expect(txs.some((t) => t.local_currency !== t.currency && t.local_amount !== t.amount)).toBe(true);
    for (const t of txs) for (const v of Object.values(t.metadata)) expect(typeof v).toBe("string");
  });
});

describe("§13.17 annotate", () => {
  it("sets, deletes with an empty value, mirrors notes, bumps updated, answers {transaction}", async () => {
    const { list, e, t } = await setup();
    const tx = (await list("&limit=1"))[0]!;
    const patch = (body: string) =>
      api(e, t.access_token, `/transactions/${tx.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
    e.control.advanceClock(1000);
    const set = (
      await json<{ transaction: Tx }>(
        patch("metadata%5Bmy_key%5D=v1&metadata%5Bnotes%5D=Lunch%20%F0%9F%8D%9E"),
      )
    ).transaction;
    expect(set.metadata["my_key"]).toBe("v1");
    expect(set.notes).toBe("Lunch 🍞");
    expect(set.metadata["notes"]).toBe("Lunch 🍞");
    expect(Date.parse(set.updated)).toBeGreaterThan(Date.parse(tx.updated));
    const cleared = (await json<{ transaction: Tx }>(patch("metadata%5Bmy_key%5D="))).transaction;
    expect(cleared.metadata).not.toHaveProperty("my_key");
    expect(cleared.notes).toBe("Lunch 🍞");
  });
  it("can mimic production, where only notes sticks", async () => {
    const { list, e, t } = await setup({ quirks: { annotateKeepsCustomKeys: false } });
    const tx = (await list("&limit=1"))[0]!;
    const res = await json<{ transaction: Tx }>(
      api(e, t.access_token, `/transactions/${tx.id}`, {
        method: "PATCH",
        body: "metadata[a]=1&metadata[notes]=hi",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
    );
    expect(res.transaction.metadata).not.toHaveProperty("a");
    expect(res.transaction.notes).toBe("hi");
  });
  it("another user's transaction is 404", async () => {
    const { e, t } = await setup();
    const sam = [...e.state.bank.accounts.values()].find(
      (a) => a.json.type === "uk_retail" && a.ownerIds[0] !== t.user_id,
    )!;
    await expectError(
      api(e, t.access_token, `/transactions/${sam.transactions[0]!.json.id}`),
      404,
      "not_found.transaction",
    );
  });
});

describe("§13.18 write parameters come from the form body only", () => {
  it("a pot deposit with its parameters in the query string fails on amount", async () => {
    const { e, t, account } = await setup();
    const pot = e.state.bank.potsOf(account).find((p) => !p.json.deleted)!;
    const res = await api(
      e,
      t.access_token,
      `/pots/${pot.json.id}/deposit?source_account_id=${account}&amount=100&dedupe_id=q`,
      { method: "PUT" },
    );
    const body = await expectError(res, 400, "bad_request.bad_param.bad_param.amount");
    expect(body["message"]).toBe("must be greater than 0");
  });
});
