/**
 * The webhook receiver against the emulator's real deliveries: it POSTs `transaction.created` over HTTP to a
 * loopback port and retries failures with backoff (REFERENCE §11.4, §13.27), as Monzo does.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Emulator } from "@monzokit/emulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  createWebhookHandler,
  createWebhookSecret,
  type MonzoClient,
  type WebhookEvent,
  type WebhookHandlerOptions,
  webhookPath,
} from "../../src/index.js";
import { clientFor, emulator, login, mainAccount } from "./helpers.js";

interface Delivery {
  transaction_id: string;
  attempt: number;
  status: number | null;
  delivered: boolean;
  url: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The handler on a real loopback port (test side: core itself never imports node:). */
async function listen(handler: (request: Request) => Promise<Response>): Promise<string> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: handler, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type Handler = (request: Request) => Promise<Response>;

async function setup(options: Partial<WebhookHandlerOptions> = {}, wrap: (h: Handler) => Handler = (h) => h) {
  const e = emulator({ webhooks: { backoffMs: 5, timeoutMs: 10_000 } });
  cleanups.push(() => e.close());
  const { client } = clientFor(e, await login(e));
  const accountId = await mainAccount(e);
  const secret = createWebhookSecret();
  const received: WebhookEvent[] = [];
  const handler = createWebhookHandler({
    secret,
    basePath: "/monzo",
    onEvent: (event) => void received.push(event),
    ...options,
  });
  const origin = await listen(wrap(handler));
  const url = `${origin}${webhookPath(secret, "/monzo")}`;
  return { e, client, accountId, secret, origin, url, received };
}

async function spend(e: Emulator, accountId: string, amount = -420): Promise<string> {
  const res = await e.app.request("/_emulator/transactions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account_id: accountId, amount }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { transaction: { id: string } }).transaction.id;
}

async function deliveries(e: Emulator): Promise<Delivery[]> {
  return ((await (await e.app.request("/_emulator/webhook-deliveries")).json()) as { deliveries: Delivery[] })
    .deliveries;
}

const ids = (events: WebhookEvent[]) =>
  events.map((event) => (event.kind === "transaction.created" ? event.data.id : event.type));

describe("webhooks against the emulator's real deliveries", () => {
  it("a new transaction arrives once, typed, with its merchant expanded", async () => {
    const { e, client, accountId, url, received } = await setup();
    await client.webhooks.ensure({ accountId, url });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(ids(received)).toEqual([txId]);
    const [event] = received;
    if (event?.kind !== "transaction.created") throw new Error("expected a transaction.created");
    expect(event.data.amount).toBe(-420);
    expect(event.data.account_id).toBe(accountId);
    expect(typeof event.data.merchant === "object" && event.data.merchant?.name).toBeTruthy();
    expect((await deliveries(e)).map((d) => [d.attempt, d.status])).toEqual([[1, 200]]);
  });

  it("arrives once even when the first deliveries fail: Monzo's retries carry it through", async () => {
    let failuresLeft = 2;
    const handled: string[] = [];
    const { e, client, accountId, url } = await setup({
      onEvent: (event) => {
        if (failuresLeft-- > 0) throw new Error("database unavailable");
        if (event.kind === "transaction.created") handled.push(event.data.id);
      },
    });
    await client.webhooks.ensure({ accountId, url });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(handled).toEqual([txId]);
    expect((await deliveries(e)).map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it("a slow onEvent is answered 503 in time; Monzo's retries then reach the same run, never a second", async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const { e, client, accountId, url } = await setup(
      {
        ackTimeoutMs: 0,
        onEvent: async () => {
          calls++;
          await slow;
        },
      },
      // onEvent finishes only once the first attempt has had its answer, whatever the machine's speed.
      (handler) => async (request) => {
        const response = await handler(request);
        release();
        return response;
      },
    );
    await client.webhooks.ensure({ accountId, url });
    await spend(e, accountId);
    await e.control.webhooksIdle();
    expect((await deliveries(e)).map((d) => [d.attempt, d.status])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(calls).toBe(1);
  });

  it("a wrong secret is refused: 404 on every attempt, nothing reaches onEvent", async () => {
    const { e, client, accountId, origin, received } = await setup();
    const wrong = `${origin}${webhookPath(createWebhookSecret(), "/monzo")}`;
    await client.webhooks.create({ accountId, url: wrong });
    await client.webhooks.create({ accountId, url: `${origin}/monzo/` });
    await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(received).toEqual([]);
    const log = await deliveries(e);
    expect(log).toHaveLength(10); // 5 attempts each, all refused
    expect(new Set(log.map((d) => d.status))).toEqual(new Set([404]));
  });

  it("a replay of a delivered event is answered 200 and de-duplicated", async () => {
    const { e, client, accountId, url, received } = await setup();
    await client.webhooks.ensure({ accountId, url });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    // Replay exactly what Monzo sent, as an attacker who saw it or a proxy that resent it would.
    const tx = await client.transactions.retrieve(txId, { expandMerchant: true });
    const body = JSON.stringify({ type: "transaction.created", data: tx });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, duplicate: true });
    }
    expect(ids(received)).toEqual([txId]);
  });

  it("the same URL registered twice: Monzo delivers twice, onEvent gets it once; ensure then cleans up", async () => {
    const { e, client, accountId, url, received } = await setup();
    await client.webhooks.create({ accountId, url });
    await client.webhooks.create({ accountId, url });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect((await deliveries(e)).filter((d) => d.delivered)).toHaveLength(2);
    expect(ids(received)).toEqual([txId]);
    const { removed, created } = await client.webhooks.ensure({ accountId, url });
    expect(created).toBe(false);
    expect(removed).toHaveLength(1);
    expect((await client.webhooks.list(accountId)).filter((w) => w.url === url)).toHaveLength(1);
  });

  it("a browser posting to the receiver is refused even with the right secret", async () => {
    const { url, received } = await setup();
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ type: "transaction.created", data: { id: "tx_1" } }),
    });
    expect(res.status).toBe(403);
    expect(received).toEqual([]);
  });
});

describe("webhooks.ensure", () => {
  async function fresh(): Promise<{ client: MonzoClient; accountId: string }> {
    const e = emulator();
    cleanups.push(() => e.close());
    const { client } = clientFor(e, await login(e));
    return { client, accountId: await mainAccount(e) };
  }

  it("creates the registration when missing, and a second run changes nothing", async () => {
    const { client, accountId } = await fresh();
    const url = "https://example.com/monzo/abc";
    const first = await client.webhooks.ensure({ accountId, url });
    expect(first.created).toBe(true);
    expect(first.removed).toEqual([]);
    const second = await client.webhooks.ensure({ accountId, url });
    expect(second).toEqual({ webhook: first.webhook, created: false, removed: [] });
    expect(await client.webhooks.list(accountId)).toEqual([first.webhook]);
  });

  it("removes duplicates of that exact URL, keeps the oldest, never touches other URLs", async () => {
    const { client, accountId } = await fresh();
    const url = "https://example.com/monzo/abc";
    const others = [
      "https://example.com/monzo/abc/",
      "https://example.com/monzo/ABC",
      "https://example.com/monzo/abc?x=1",
      "http://example.com/monzo/abc",
      "https://other.example/hook",
    ];
    const oldest = await client.webhooks.create({ accountId, url });
    const kept = [oldest];
    for (const other of others) kept.push(await client.webhooks.create({ accountId, url: other }));
    const dupes = [
      await client.webhooks.create({ accountId, url }),
      await client.webhooks.create({ accountId, url }),
    ];
    const result = await client.webhooks.ensure({ accountId, url });
    expect(result.webhook.id).toBe(oldest.id);
    expect(result.created).toBe(false);
    expect(result.removed).toEqual(dupes.map((d) => d.id));
    expect((await client.webhooks.list(accountId)).map((w) => w.id).sort()).toEqual(
      kept.map((w) => w.id).sort(),
    );
  });

  it("refuses a URL that is not absolute http(s) before asking Monzo", async () => {
    const { client, accountId } = await fresh();
    for (const url of ["", "/monzo/abc", "ftp://example.com/x", "not a url", "javascript:alert(1)"])
      await expect(client.webhooks.ensure({ accountId, url }), url).rejects.toThrow(/absolute http/);
  });
});
