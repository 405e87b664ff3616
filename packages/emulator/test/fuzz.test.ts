/**
 * Hostile input: random methods, paths, query strings, headers and bodies at every route. Nothing a
 * client sends may produce a 5xx or crash the emulator; every API answer is Monzo-shaped JSON.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, emulator, login, mainAccount } from "./helpers.js";

const ROUTES = [
  "/oauth2/token",
  "/oauth2/logout",
  "/ping/whoami",
  "/accounts",
  "/balance",
  "/pots",
  "/pots/{pot}/deposit",
  "/pots/{pot}/withdraw",
  "/transactions",
  "/transactions/{tx}",
  "/feed",
  "/attachment/upload",
  "/attachment/register",
  "/attachment/deregister",
  "/transaction-receipts",
  "/transaction-receipts/",
  "/webhooks",
  "/webhooks/{webhook}",
  "/auth/",
  "/auth/authorize",
  "/auth/app",
  "/auth/app/decision",
  "/_storage/{file}",
  "/_emulator/clock",
  "/_emulator/transactions",
  "/_emulator/transactions/{tx}",
  "/_emulator/transactions/{tx}/settle",
  "/_emulator/accounts/{account}/close",
  "/_emulator/faults",
  "/_emulator/approve",
  "/_emulator/clients",
  "/_emulator/tokens",
  "/_emulator/seed",
];
/** Fields of the control API's JSON bodies. */
const CONTROL_FIELDS = [
  "account_id",
  "amount",
  "kind",
  "at",
  "merchant",
  "description",
  "category",
  "notes",
  "settled",
  "settle_at",
  "settle_after_ms",
  "settle_amount",
  "local_amount",
  "local_currency",
  "decline_reason",
  "counterparty",
  "metadata",
];
const PARAMS = [
  "account_id",
  "current_account_id",
  "since",
  "before",
  "limit",
  "expand[]",
  "external_id",
  "amount",
  "source_account_id",
  "destination_account_id",
  "dedupe_id",
  "metadata[notes]",
  "metadata[x]",
  "params[title]",
  "params[image_url]",
  "type",
  "url",
  "file_name",
  "file_type",
  "content_length",
  "file_url",
  "id",
  "grant_type",
  "client_id",
  "client_secret",
  "code",
  "refresh_token",
  "redirect_uri",
  "response_type",
  "state",
  "consent",
  "decision",
  "user_id",
  "grant",
  "seed",
  "transactions",
];

describe("hostile input never produces a 5xx", () => {
  it("random requests at every route (property)", async () => {
    const e = emulator({ transactions: 200 });
    const t = await login(e);
    const account = await mainAccount(e);
    const pot = e.state.bank.potsOf(account)[0]!.json.id;
    const tx = e.state.bank.accounts.get(account)!.transactions[5]!.json.id;
    const real = {
      "{account}": account,
      "{pot}": pot,
      "{tx}": tx,
      "{webhook}": "webhook_0000000000000000000001",
      "{file}": `${t.user_id}/x.png`,
    };
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.constantFrom(
        account,
        pot,
        tx,
        "",
        "-1",
        "0",
        "100",
        "101",
        "1e9",
        "2026-01-01T00:00:00Z",
        "tx_",
        "acc_x",
        "null",
        "[]",
        "{}",
        "%",
        "%%",
        "\u0000",
        "😀".repeat(50),
      ),
      fc.integer().map(String),
    );
    const request = fc.record({
      method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
      route: fc.constantFrom(...ROUTES),
      swap: fc.boolean(),
      suffix: fc.oneof(
        fc.constant(""),
        fc.string({ maxLength: 8 }).map((s) => `/${encodeURIComponent(s)}`),
      ),
      query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 6 })), value), {
        maxLength: 5,
      }),
      body: fc.oneof(
        fc.constant(undefined),
        fc.array(fc.tuple(fc.constantFrom(...PARAMS), value), { maxLength: 6 }).map((kv) => ({
          type: "application/x-www-form-urlencoded",
          text: new URLSearchParams(kv).toString(),
        })),
        fc.jsonValue().map((j) => ({ type: "application/json", text: JSON.stringify(j) })),
        fc
          .dictionary(fc.constantFrom(...CONTROL_FIELDS), fc.oneof(value, fc.jsonValue(), fc.integer()))
          .map((j) => ({ type: "application/json", text: JSON.stringify(j) })),
        fc.string({ unit: "binary", maxLength: 200 }).map((text) => ({ type: "text/plain", text })),
        fc.string({ maxLength: 40 }).map((text) => ({ type: "multipart/form-data; boundary=x", text })),
      ),
      auth: fc.constantFrom("valid", "none", "garbage"),
      accept: fc.constantFrom(undefined, "application/json", "*/*", "text/html", ""),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let path = r.route;
        if (r.swap) for (const [k, v] of Object.entries(real)) path = path.replace(k, v);
        path = path.replace(/\{\w+\}/g, "x") + r.suffix;
        const query = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = {};
        if (r.auth === "valid") headers["authorization"] = `Bearer ${t.access_token}`;
        if (r.auth === "garbage") headers["authorization"] = "Bearer \u00ff\u00fe";
        if (r.accept !== undefined) headers["accept"] = r.accept;
        const init: RequestInit = { method: r.method, headers };
        if (r.body && r.method !== "GET" && r.method !== "HEAD") {
          headers["content-type"] = r.body.type;
          init.body = r.body.text;
        }
        let res: Response;
        try {
          res = await e.app.request(`${path}${query ? `?${query}` : ""}`, init);
        } catch (error) {
          // Only a URL that the Request constructor itself refuses may throw; the app never does.
          expect(String(error)).toMatch(/Invalid URL|Failed to parse URL|invalid/i);
          return;
        }
        expect(res.status, `${r.method} ${path}?${query}`).toBeLessThan(500);
        const text = await res.text();
        const isApi = !path.startsWith("/auth") && !path.startsWith("/_storage") && r.method !== "HEAD";
        if (isApi && text) {
          const body = JSON.parse(text) as Record<string, unknown>;
          if (res.status >= 400) expect(typeof body["code"]).toBe("string");
        }
      }),
      { numRuns: 400 },
    );
    // The emulator still works afterwards.
    expect((await api(e, (await login(e)).access_token, "/ping/whoami")).status).toBe(200);
  });
});
