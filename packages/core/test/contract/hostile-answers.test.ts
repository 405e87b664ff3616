/**
 * The client against answers Monzo should never give, over real HTTP: a loopback server that answers each
 * call with fuzzed status, headers and body — truncated real answers, JSON of the wrong shape or types,
 * random bytes, unicode, huge bodies. Every call must resolve with a well-typed value or reject with a
 * typed `MonzoError`; never a raw `SyntaxError`/`TypeError`, never an unhandled rejection, never the token
 * in a message.
 */
import { createServer, type Server } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonzoClient, MonzoError } from "../../src/index.js";

interface Answer {
  status: number;
  contentType: string | undefined;
  body: Uint8Array | string;
  /** Declare a longer body than is sent, then cut the connection. */
  cut: boolean;
  /** Declare a longer body than is sent, then say nothing more (the connection stays open). */
  stall?: boolean;
}

let next: Answer = { status: 200, contentType: "application/json", body: "{}", cut: false };
let server: Server;
let url = "";
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    requests++;
    const a = next;
    const body = typeof a.body === "string" ? Buffer.from(a.body) : Buffer.from(a.body);
    const headers: Record<string, string | number> = {
      "content-length": a.cut ? body.length + 100 : body.length,
    };
    if (a.contentType !== undefined) headers["content-type"] = a.contentType;
    if (a.stall) {
      res.writeHead(a.status, { ...headers, "content-length": body.length + 100 });
      res.write(body);
      return;
    }
    res.writeHead(a.status, headers);
    if (a.cut) {
      res.write(body);
      res.socket?.destroy();
    } else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));

const TOKEN = "hostile-answers-secret-token-0123456789";

/** A full page of old transactions: a history walk goes on from it (early, before parsing it: ADR 0012). */
const fullPage = `{"transactions":[${Array.from(
  { length: 100 },
  (_, i) =>
    `{"id":"tx_1${String(i).padStart(3, "0")}","created":"2024-01-01T00:${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}.000Z","amount":-${i + 1},"currency":"GBP","description":"SHOP \\"${i}\\" {[,]}","metadata":{}}`,
).join(",")}]}`;

const real = {
  page: fullPage,
  accounts: `{"accounts":[{"id":"acc_00009","closed":false,"created":"2020-01-01T00:00:00.000Z","description":"user_0001","type":"uk_retail","currency":"GBP","country_code":"GB","owners":[{"user_id":"user_0001","preferred_name":"Ann","preferred_first_name":"Ann"}],"account_number":"12345678","sort_code":"040004"}]}`,
  balance: `{"balance":5000,"total_balance":6000,"currency":"GBP","spend_today":-120,"local_currency":"","local_exchange_rate":0,"local_spend":[]}`,
  transactions: `{"transactions":[{"id":"tx_0001","account_id":"acc_00009","amount":-350,"currency":"GBP","created":"2026-06-01T10:00:00.000Z","description":"COFFEE","category":"eating_out","settled":"2026-06-02T10:00:00.000Z","merchant":"merch_1","metadata":{},"notes":"","is_load":false,"local_amount":-350,"local_currency":"GBP","updated":"2026-06-02T10:00:00.000Z"}]}`,
};

const jsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(...Object.values(real)),
  fc
    .tuple(fc.constantFrom(...Object.values(real)), fc.nat())
    .map(([text, n]) => text.slice(0, n % text.length)), // truncated
  fc.constantFrom(...Object.values(real)).map((t) => t.replace(/"GBP"/g, "5").replace(/-?\d+,/g, '"x",')), // wrong types
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constant(`{"transactions":[${'{"id":"tx_1"},'.repeat(40_000)}{}]}`), // ~600 KB of wrong shape
);
const answer: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(200, 200, 200, 201, 204, 400, 401, 403, 404, 405, 409, 429, 500, 502, 503),
  contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/html", undefined),
  body: fc.oneof(jsonText, fc.uint8Array({ maxLength: 300 })),
  cut: fc.boolean(),
});
const call = fc.constantFrom(
  "whoami",
  "accounts",
  "balance",
  "pots",
  "transactions",
  "transaction",
  "webhooks",
  "receipt",
  "history",
) as fc.Arbitrary<string>;

function run(client: MonzoClient, which: string): Promise<unknown> {
  switch (which) {
    case "whoami":
      return client.whoami();
    case "accounts":
      return client.accounts.list();
    case "balance":
      return client.balance.retrieve("acc_00009");
    case "pots":
      return client.pots.list("acc_00009");
    case "transactions":
      return Promise.resolve(client.transactions.list({ accountId: "acc_00009" }));
    case "transaction":
      return client.transactions.retrieve("tx_0001");
    case "webhooks":
      return client.webhooks.list("acc_00009");
    case "history":
      // Every request gets the same answer: the walk must end, typed, within a bounded number of them.
      return client.transactions.history({ accountId: "acc_00009", since: "tx_0000" }).toArray();
    default:
      return client.receipts.retrieve("receipt-1");
  }
}

describe("hostile answers (property)", () => {
  it("every call ends in a typed value or a typed MonzoError, never a raw error or the token", async () => {
    let unhandled = 0;
    const onUnhandled = () => {
      unhandled++;
    };
    process.on("unhandledRejection", onUnhandled);
    // Without real waits: a 429 answered to every page is retried after Retry-After up to the walk's limit.
    const client = new MonzoClient({
      accessToken: TOKEN,
      apiUrl: url,
      maxRetries: 0,
      timeoutMs: 5000,
      sleep: async () => {},
    });
    const outcomes = { values: 0, typed: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(answer, call, async (a, which) => {
          next = a;
          requests = 0;
          try {
            const value = await run(client, which);
            outcomes.values++;
            expect(value).toBeTypeOf("object");
          } catch (error) {
            if (!(error instanceof MonzoError)) throw error;
            outcomes.typed++;
            expect(error.code).toMatch(/^[a-z_]+\.[a-z_]+/);
            expect(`${error.message} ${error.hint ?? ""} ${JSON.stringify(error)}`).not.toContain(TOKEN);
          }
          expect(requests).toBeLessThanOrEqual(which === "history" ? 30 : 1);
        }),
        { numRuns: 400 },
      );
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toBe(0);
    expect(outcomes.typed).toBeGreaterThan(100);
  }, 120_000);

  it("an answer whose body stops coming ends in TimeoutError: the deadline covers the body, not just headers", async () => {
    const client = new MonzoClient({ accessToken: TOKEN, apiUrl: url, maxRetries: 0, timeoutMs: 300 });
    next = {
      status: 200,
      contentType: "application/json",
      body: real.accounts.slice(0, 40),
      cut: false,
      stall: true,
    };
    await expect(client.accounts.list()).rejects.toMatchObject({ code: "network.timeout" });
    next = {
      status: 500,
      contentType: "application/json",
      body: '{"code":"internal',
      cut: false,
      stall: true,
    };
    await expect(client.accounts.list()).rejects.toBeInstanceOf(MonzoError);
  }, 20_000);

  it("the same server's well-formed answers parse (so the property above reaches both sides)", async () => {
    const client = new MonzoClient({ accessToken: TOKEN, apiUrl: url, maxRetries: 0 });
    const ok = (body: string) => {
      next = { status: 200, contentType: "application/json", body, cut: false };
    };
    ok(real.accounts);
    expect((await client.accounts.list())[0]?.id).toBe("acc_00009");
    ok(real.balance);
    expect((await client.balance.retrieve("acc_00009")).balance).toBe(5000);
    ok(real.transactions);
    expect((await client.transactions.list({ accountId: "acc_00009" })).items).toHaveLength(1);
    // The same full page to every request: the backward page from now shows its newest 100 are the
    // first page's, so those are the whole history after tx_0000.
    ok(real.page);
    requests = 0;
    const all = await client.transactions.history({ accountId: "acc_00009", since: "tx_0000" }).toArray();
    expect(all.map((t) => t.id)).toEqual(
      Array.from({ length: 100 }, (_, i) => `tx_1${String(i).padStart(3, "0")}`),
    );
    expect(all[3]!.description).toBe('SHOP "3" {[,]}');
    expect(requests).toBe(2);
  });
});
