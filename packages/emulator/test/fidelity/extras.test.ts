/** REFERENCE §13 behaviours 27–33: webhooks, feed, attachments, receipts, errors, formats, rate limits. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_PUBLIC_CLIENT } from "../../src/index.js";
import { api, emulator, expectError, json, login, mainAccount } from "../helpers.js";

const formInit = (method: string, fields: Record<string, string>): RequestInit => ({
  method,
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

async function setup(opts: Parameters<typeof emulator>[0] = {}) {
  const e = emulator(opts);
  const t = await login(e);
  const account = await mainAccount(e);
  return { e, t, account };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real HTTP receiver on loopback that answers with the given statuses in turn, then 200. */
async function receiver(statuses: number[] = []) {
  const received: { body: Record<string, unknown>; headers: IncomingMessage["headers"] }[] = [];
  const server = createServer((req, res) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => {
      received.push({ body: JSON.parse(data), headers: req.headers });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?secret=abc`, received };
}

describe("§13.27 webhooks", () => {
  it("register/list/delete per client and account; every new transaction is POSTed with the merchant expanded, unsigned", async () => {
    const { e, t, account } = await setup({ webhooks: { backoffMs: 5 } });
    const hook = await receiver();
    const created = await json<{ webhook: { id: string; account_id: string; url: string } }>(
      api(e, t.access_token, "/webhooks", formInit("POST", { account_id: account, url: hook.url })),
    );
    expect(created.webhook).toEqual({
      id: expect.stringMatching(/^webhook_/),
      account_id: account,
      url: hook.url,
    });
    expect(await json(api(e, t.access_token, `/webhooks?account_id=${account}`))).toEqual({
      webhooks: [created.webhook],
    });
    // Another client sees none of them.
    const other = await login(e, { client: DEMO_PUBLIC_CLIENT });
    expect(await json(api(e, other.access_token, `/webhooks?account_id=${account}`))).toEqual({
      webhooks: [],
    });

    await e.app.request("/_emulator/transactions", {
      method: "POST",
      body: JSON.stringify({ account_id: account, amount: -350, merchant: "ozone" }),
    });
    await e.control.webhooksIdle();
    expect(hook.received).toHaveLength(1);
    const event = hook.received[0]!.body as { type: string; data: Record<string, unknown> };
    expect(event.type).toBe("transaction.created");
    expect(event.data).toMatchObject({ amount: -350, account_id: account, settled: "" });
    expect((event.data["merchant"] as { name: string }).name).toBe("Ozone Coffee Roasters");
    expect(Object.keys(hook.received[0]!.headers).filter((h) => /signature/i.test(h))).toEqual([]);

    expect(
      await json(api(e, t.access_token, `/webhooks/${created.webhook.id}`, { method: "DELETE" })),
    ).toEqual({});
    await e.app.request("/_emulator/transactions", {
      method: "POST",
      body: JSON.stringify({ account_id: account, amount: -1 }),
    });
    await e.control.webhooksIdle();
    expect(hook.received).toHaveLength(1);
    e.close();
  });

  it("a pot deposit fires transaction.created too", async () => {
    const { e, t, account } = await setup({ webhooks: { backoffMs: 5 } });
    const hook = await receiver();
    await api(e, t.access_token, "/webhooks", formInit("POST", { account_id: account, url: hook.url }));
    const pot = e.state.bank.potsOf(account).find((p) => p.json.name === "Savings")!.json.id;
    await api(
      e,
      t.access_token,
      `/pots/${pot}/deposit`,
      formInit("PUT", { source_account_id: account, amount: "100", dedupe_id: "wh" }),
    );
    await e.control.webhooksIdle();
    expect((hook.received[0]!.body["data"] as { description: string; merchant: null }).description).toBe(pot);
    e.close();
  });

  it("retries failures with exponential backoff, 5 attempts at most", async () => {
    const { e, t, account } = await setup({ webhooks: { backoffMs: 5 } });
    const flaky = await receiver([500, 503]);
    const dead = await receiver([500, 500, 500, 500, 500, 500, 500]);
    await api(e, t.access_token, "/webhooks", formInit("POST", { account_id: account, url: flaky.url }));
    await api(e, t.access_token, "/webhooks", formInit("POST", { account_id: account, url: dead.url }));
    await e.app.request("/_emulator/transactions", {
      method: "POST",
      body: JSON.stringify({ account_id: account, amount: -10 }),
    });
    await e.control.webhooksIdle();
    expect(flaky.received).toHaveLength(3);
    expect(dead.received).toHaveLength(5);
    const counters = await json(e.app.request("/_emulator/counters"));
    expect(counters).toMatchObject({ webhook_deliveries: 1, webhook_failures: 7, webhook_abandoned: 1 });
    const deliveries = (
      await json<{ deliveries: { attempt: number; url: string }[] }>(
        e.app.request("/_emulator/webhook-deliveries"),
      )
    ).deliveries;
    expect(deliveries.filter((d) => d.url === dead.url).map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
    e.close();
  });

  it("validates account_id and url", async () => {
    const { e, t, account } = await setup();
    await expectError(
      api(e, t.access_token, "/webhooks", formInit("POST", { url: "https://x.example" })),
      400,
      "bad_request.missing_param.account_id",
    );
    await expectError(
      api(
        e,
        t.access_token,
        "/webhooks",
        formInit("POST", { account_id: account, url: "javascript:alert(1)" }),
      ),
      400,
      "bad_request.bad_param.url",
    );
    await expectError(api(e, t.access_token, "/webhooks"), 400, "bad_request.missing_param.account_id");
    await expectError(
      api(e, t.access_token, "/webhooks/webhook_00000000000000000000zz", { method: "DELETE" }),
      404,
      "not_found.webhook",
    );
  });
});

describe("§13.28 feed items", () => {
  it("validates account_id, type=basic, params[title], params[image_url] and answers {}", async () => {
    const { e, t, account } = await setup();
    const post = (fields: Record<string, string>) =>
      api(e, t.access_token, "/feed", formInit("POST", fields));
    const ok = {
      account_id: account,
      type: "basic",
      "params[title]": "Hello 👋",
      "params[image_url]": "https://example.com/i.png",
      "params[background_color]": "#FCF1EE",
    };
    expect(await json(post(ok))).toEqual({});
    await expectError(post({ ...ok, account_id: "" }), 400, "bad_request.missing_param.account_id");
    await expectError(post({ ...ok, type: "fancy" }), 400, "bad_request.bad_param.type");
    await expectError(
      post({ account_id: account, type: "basic", "params[image_url]": "https://example.com/i.png" }),
      400,
      "bad_request.missing_param.params[title]",
    );
    await expectError(
      post({ account_id: account, type: "basic", "params[title]": "x" }),
      400,
      "bad_request.missing_param.params[image_url]",
    );
    await expectError(
      post({ ...ok, "params[title_color]": "red" }),
      400,
      "bad_request.bad_param.params[title_color]",
    );
    const items = (
      await json<{ items: { params: Record<string, string> }[] }>(
        e.app.request(`/_emulator/feed?account_id=${account}`),
      )
    ).items;
    expect(items).toHaveLength(1);
    expect(items[0]!.params["title"]).toBe("Hello 👋");
  });
  it("accepts JSON only when the switch says so", async () => {
    const body = (account: string) =>
      JSON.stringify({
        account_id: account,
        type: "basic",
        params: { title: "t", image_url: "https://example.com/i.png" },
      });
    const strict = await setup();
    const jsonInit = (account: string): RequestInit => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(account),
    });
    expect((await api(strict.e, strict.t.access_token, "/feed", jsonInit(strict.account))).status).toBe(400);
    const loose = await setup({ quirks: { feedAcceptsJson: true } });
    expect((await api(loose.e, loose.t.access_token, "/feed", jsonInit(loose.account))).status).toBe(200);
  });
});

describe("§13.29 attachments", () => {
  it("upload → PUT or POST the bytes → register shows on the transaction → deregister removes it", async () => {
    const { e, t, account } = await setup();
    const tx = e.state.bank.accounts.get(account)!.transactions.at(-1)!.json;
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    for (const method of ["PUT", "POST"]) {
      const up = await json<{ file_url: string; upload_url: string }>(
        api(
          e,
          t.access_token,
          "/attachment/upload",
          formInit("POST", {
            file_name: "receipt.png",
            file_type: "image/png",
            content_length: String(bytes.length),
          }),
        ),
      );
      const put = await e.app.request(up.upload_url, {
        method,
        headers: { "content-type": "image/png" },
        body: bytes,
      });
      expect(put.status).toBe(200);
      const served = await e.app.request(up.file_url);
      expect(served.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await served.arrayBuffer())).toEqual(bytes);
      const reg = await json<{
        attachment: {
          id: string;
          external_id: string;
          file_url: string;
          file_type: string;
          user_id: string;
          created: string;
        };
      }>(
        api(
          e,
          t.access_token,
          "/attachment/register",
          formInit("POST", { external_id: tx.id, file_url: up.file_url, file_type: "image/png" }),
        ),
      );
      expect(reg.attachment).toMatchObject({
        id: expect.stringMatching(/^attach_/),
        external_id: tx.id,
        file_url: up.file_url,
        user_id: t.user_id,
      });
      const seen = await json<{ transaction: { attachments: { id: string }[] } }>(
        api(e, t.access_token, `/transactions/${tx.id}`),
      );
      expect(seen.transaction.attachments.map((a) => a.id)).toContain(reg.attachment.id);
      expect(
        await json(
          api(e, t.access_token, "/attachment/deregister", formInit("POST", { id: reg.attachment.id })),
        ),
      ).toEqual({});
      const gone = await json<{ transaction: { attachments: null | { id: string }[] } }>(
        api(e, t.access_token, `/transactions/${tx.id}`),
      );
      expect(gone.transaction.attachments ?? []).not.toContainEqual(
        expect.objectContaining({ id: reg.attachment.id }),
      );
    }
  });
  it("names missing fields and unknown ids", async () => {
    const { e, t } = await setup();
    await expectError(
      api(
        e,
        t.access_token,
        "/attachment/upload",
        formInit("POST", { file_name: "a.png", file_type: "image/png" }),
      ),
      400,
      "bad_request.missing_param.content_length",
    );
    await expectError(
      api(
        e,
        t.access_token,
        "/attachment/register",
        formInit("POST", {
          external_id: "tx_00000000000000000000zz",
          file_url: "https://x",
          file_type: "image/png",
        }),
      ),
      404,
      "not_found.transaction",
    );
    await expectError(
      api(e, t.access_token, "/attachment/deregister", formInit("POST", {})),
      400,
      "bad_request.missing_param.id",
    );
    expect(
      (await e.app.request("/_storage/user_x/nothing?Signature=x", { method: "PUT", body: "x" })).status,
    ).toBe(403);
  });
});

describe("§13.30 receipts", () => {
  const receipt = (txId: string, extra: Record<string, unknown> = {}) => ({
    transaction_id: txId,
    external_id: "order-1",
    total: 664,
    currency: "GBP",
    items: [
      {
        description: "Burger",
        quantity: 1,
        unit: "",
        amount: 539,
        currency: "GBP",
        tax: 77,
        sub_items: [{ description: "Beef", amount: 439, currency: "GBP" }],
      },
    ],
    ...extra,
  });
  it("PUT (no Content-Type, trailing slash too) upserts per client; GET fills defaults; DELETE; others cannot see it", async () => {
    const { e, t, account } = await setup();
    const txId = e.state.bank.accounts.get(account)!.transactions.at(-1)!.json.id;
    const put = await api(e, t.access_token, "/transaction-receipts/", {
      method: "PUT",
      body: JSON.stringify(receipt(txId)),
    });
    expect(put.status).toBe(200);
    // The docs' example answer (REFERENCE §10.2), the default.
    const answer = await json<{ receipt_id: string }>(put);
    expect(answer).toEqual({ receipt_id: expect.stringMatching(/^receipt_/) });
    const got = await json<{ receipt: Record<string, unknown> }>(
      api(e, t.access_token, "/transaction-receipts?external_id=order-1"),
    );
    expect(got.receipt).toMatchObject({
      id: answer.receipt_id,
      external_id: "order-1",
      transaction_id: txId,
      total: 664,
      payments: [],
      taxes: [],
      barcode: null,
    });
    expect(got.receipt["merchant"]).toEqual({
      name: "",
      online: false,
      phone: "",
      email: "",
      store_name: "",
      store_address: "",
      store_postcode: "",
    });
    await api(e, t.access_token, "/transaction-receipts", {
      method: "PUT",
      body: JSON.stringify(receipt(txId, { total: 700 })),
    });
    const updated = await json<{ receipt: { id: string; total: number } }>(
      api(e, t.access_token, "/transaction-receipts?external_id=order-1"),
    );
    expect(updated.receipt).toMatchObject({ id: got.receipt["id"], total: 700 });
    const other = await login(e, { client: DEMO_PUBLIC_CLIENT });
    await expectError(
      api(e, other.access_token, "/transaction-receipts?external_id=order-1"),
      404,
      "not_found.receipt",
    );
    expect(
      await json(api(e, t.access_token, "/transaction-receipts?external_id=order-1", { method: "DELETE" })),
    ).toEqual({});
    await expectError(
      api(e, t.access_token, "/transaction-receipts?external_id=order-1"),
      404,
      "not_found.receipt",
    );
  });
  it("refuses bad JSON and missing fields, and can answer {} as the docs' prose says", async () => {
    const { e, t, account } = await setup({ quirks: { receiptPutResponse: "empty_object" } });
    const txId = e.state.bank.accounts.get(account)!.transactions.at(-1)!.json.id;
    await expectError(
      api(e, t.access_token, "/transaction-receipts", { method: "PUT", body: "{nope" }),
      400,
      "bad_request.invalid_json",
    );
    await expectError(
      api(e, t.access_token, "/transaction-receipts", {
        method: "PUT",
        body: JSON.stringify({ ...receipt(txId), external_id: undefined }),
      }),
      400,
      "bad_request.missing_param.external_id",
    );
    await expectError(
      api(e, t.access_token, "/transaction-receipts", {
        method: "PUT",
        body: JSON.stringify(receipt(txId, { items: [{ amount: 1 }] })),
      }),
      400,
      "bad_request.bad_param.items[0].description",
    );
    expect(
      await json(
        api(e, t.access_token, "/transaction-receipts", {
          method: "PUT",
          body: JSON.stringify(receipt(txId)),
        }),
      ),
    ).toEqual({});
  });
});

describe("§13.31 errors", () => {
  it("are JSON {code, message}; unknown path 404, wrong verb 405, Accept without JSON 406", async () => {
    const { e, t } = await setup();
    await expectError(api(e, t.access_token, "/no/such/thing"), 404, "not_found");
    const wrong = await api(e, t.access_token, "/accounts", { method: "POST" });
    expect(wrong.headers.get("allow")).toBe("GET");
    await expectError(wrong, 405, "method_not_allowed");
    await expectError(
      api(e, t.access_token, "/accounts", { headers: { accept: "text/html" } }),
      406,
      "bad_response.not_acceptable",
    );
    const r = await api(e, t.access_token, "/accounts");
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  });
  it("a body over 1 MiB is refused with a Monzo-shaped 400, and the request log records every status", async () => {
    const { e, t, account } = await setup();
    const big = `metadata[notes]=${"x".repeat(1024 * 1024 + 10)}`;
    const tx = e.state.bank.accounts.get(account)!.transactions.at(-1)!.json.id;
    await expectError(
      api(e, t.access_token, `/transactions/${tx}`, {
        method: "PATCH",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: big,
      }),
      400,
      "bad_request.body_too_large",
    );
    await api(e, t.access_token, "/accounts", { headers: { accept: "text/html" } });
    const log = (
      await json<{ requests: { route: string; status: number; path: string }[] }>(
        e.app.request("/_emulator/requests"),
      )
    ).requests;
    expect(log.find((r) => r.route === "PATCH /transactions/:transaction_id")?.status).toBe(400);
    expect(log.filter((r) => r.path === "/accounts").map((r) => r.status)).toContain(406);
    const counters = await json<{ requests: Record<string, number> }>(e.app.request("/_emulator/counters"));
    expect(counters.requests["GET /accounts"]).toBe(1);
  });
});

describe("§13.32 formats", () => {
  it("timestamps are RFC 3339 UTC with trailing zeros trimmed; ids are prefix_0000 + 18 base-62, increasing", async () => {
    const { e, t, account } = await setup();
    const txs = (
      await json<{ transactions: { id: string; created: string }[] }>(
        api(e, t.access_token, `/transactions?account_id=${account}&limit=100`),
      )
    ).transactions;
    for (const tx of txs) {
      expect(tx.id).toMatch(/^tx_0000[0-9A-Za-z]{18}$/);
      expect(tx.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
    }
    const a = await json<{ transaction: { id: string } }>(
      e.app.request("/_emulator/transactions", {
        method: "POST",
        body: JSON.stringify({ account_id: account, amount: -1 }),
      }),
    );
    const b = await json<{ transaction: { id: string } }>(
      e.app.request("/_emulator/transactions", {
        method: "POST",
        body: JSON.stringify({ account_id: account, amount: -1 }),
      }),
    );
    expect(a.transaction.id < b.transaction.id).toBe(true);
    expect(txs.at(-1)!.id < a.transaction.id).toBe(true);
  });
});

describe("§13.33 rate limiting", () => {
  it("is off by default and returns 429 rate_limited with Retry-After when configured", async () => {
    const open = await setup();
    for (let i = 0; i < 50; i++)
      expect((await api(open.e, open.t.access_token, "/ping/whoami")).status).toBe(200);
    const { e, t } = await setup({ rateLimit: { capacity: 3, perSecond: 0.5 } });
    for (let i = 0; i < 3; i++) expect((await api(e, t.access_token, "/ping/whoami")).status).toBe(200);
    const limited = await api(e, t.access_token, "/ping/whoami");
    expect(limited.headers.get("retry-after")).toBe("2");
    await expectError(limited, 429, "rate_limited");
    e.control.advanceClock(2000);
    expect((await api(e, t.access_token, "/ping/whoami")).status).toBe(200);
  });
});
