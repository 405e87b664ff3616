import { describe, expect, it } from "vitest";
import { ConnectionError, OutcomeUnknownError, RateLimitError, ServerError } from "../../src/index.js";
import { clientFor, counters, emulator, login, mainAccount } from "./helpers.js";

describe("retries against injected faults", () => {
  it("Retry-After is honoured (captured, not slept)", async () => {
    const e = emulator({
      faults: { rules: [{ kind: 429, route: "GET /accounts", count: 1, retryAfter: 7 }] },
    });
    const { client, delays } = clientFor(e, await login(e));
    await client.accounts.list();
    expect(delays).toEqual([7000]);
  });

  it("5xx and dropped connections on reads are retried with jittered backoff", async () => {
    const e = emulator({
      faults: {
        rules: [
          { kind: 503, route: "GET /balance", count: 1 },
          { kind: "reset", route: "GET /balance", count: 1 },
        ],
      },
    });
    const { client, delays } = clientFor(e, await login(e));
    await client.balance.retrieve(await mainAccount(e));
    expect(delays).toEqual([250, 500]); // random 0.5 × 500·2^attempt
  });

  it("gives up after maxRetries with a typed error", async () => {
    const e = emulator({ faults: { rules: [{ kind: 500, route: "GET /accounts" }] } });
    const { client, delays } = clientFor(e, await login(e));
    await expect(client.accounts.list()).rejects.toBeInstanceOf(ServerError);
    expect(delays).toHaveLength(2);
  });

  it("a Retry-After beyond the cap is not waited out: RateLimitError with retryAfter", async () => {
    const e = emulator({ faults: { rules: [{ kind: 429, route: "GET /accounts", retryAfter: 600 }] } });
    const { client, delays } = clientFor(e, await login(e));
    const error = await client.accounts.list().catch((x: unknown) => x);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(600);
    expect(delays).toEqual([]);
  });

  it("a feed item (not replay-safe) is never retried", async () => {
    const e = emulator({ faults: { rules: [{ kind: 503, route: "POST /feed", count: 1 }] } });
    const { client, delays } = clientFor(e, await login(e));
    await expect(
      client.feed.create({ accountId: await mainAccount(e), title: "t", imageUrl: "https://x/y.png" }),
    ).rejects.toBeInstanceOf(ServerError);
    expect(delays).toEqual([]);
    expect((await (await e.app.request("/_emulator/feed")).json()) as { items: unknown[] }).toEqual({
      items: [],
    });
  });

  it("a pot deposit retried after a 503 moves money once", async () => {
    const e = emulator({ faults: { rules: [{ kind: 503, route: "PUT /pots/*", count: 2 }] } });
    const { client } = clientFor(e, await login(e));
    const accountId = await mainAccount(e);
    const pot = (await client.pots.list(accountId)).find((p) => p.name === "Savings")!;
    const before = (await client.balance.retrieve(accountId)).balance;
    await client.pots.deposit({ potId: pot.id, accountId, amount: 500 });
    expect((await client.balance.retrieve(accountId)).balance).toBe(before - 500);
  });

  it("a pot deposit whose answer is lost after Monzo moved the money is retried with the same dedupe id: once", async () => {
    const e = emulator();
    const tokens = await login(e);
    let dropped = 0;
    // The request reaches Monzo and the money moves, but the answer never arrives.
    const lossy: typeof fetch = async (input, init) => {
      const response = await e.fetch(input, init);
      if (String(input).includes("/deposit") && dropped++ === 0)
        throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
      return response;
    };
    const { client } = clientFor(e, tokens, { fetch: lossy });
    const accountId = await mainAccount(e);
    const pot = (await client.pots.list(accountId)).find((p) => p.name === "Savings")!;
    const before = (await client.balance.retrieve(accountId)).balance;
    const result = await client.pots.deposit({ potId: pot.id, accountId, amount: 700 });
    expect(dropped).toBe(2);
    expect(result.balance).toBe(pot.balance + 700);
    expect((await client.balance.retrieve(accountId)).balance).toBe(before - 700);
  });

  it("a pot move that never gets an answer raises OutcomeUnknownError with its dedupe id", async () => {
    const e = emulator({ faults: { rules: [{ kind: "reset", route: "PUT /pots/*" }] } });
    const { client } = clientFor(e, await login(e));
    const accountId = await mainAccount(e);
    const pot = (await client.pots.list(accountId)).find((p) => p.name === "Savings")!;
    const error = await client.pots
      .deposit({ potId: pot.id, accountId, amount: 100, dedupeId: "my-key" })
      .catch((x: unknown) => x);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as OutcomeUnknownError).dedupeId).toBe("my-key");
    expect((error as OutcomeUnknownError).hint).toContain("my-key");
    expect((error as Error).cause).toBeInstanceOf(ConnectionError);
    // Said once: the request, what happened, what it means (the cause's message already names the request).
    expect((error as Error).message).toBe(
      `PUT /pots/${pot.id}/deposit: the connection failed; the money may or may not have moved`,
    );
    expect((await counters(e))["faults_fired"]).toBe(3);
  });

  it("the caller's AbortSignal stops a call", async () => {
    const e = emulator({ faults: { latencyMs: 200 } });
    const { client } = clientFor(e, await login(e));
    const controller = new AbortController();
    const call = client.accounts.list({}, { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: "aborted" });
  });

  it("a per-attempt timeout surfaces as TimeoutError", async () => {
    const e = emulator({ faults: { latencyMs: 300 } });
    const { client } = clientFor(e, await login(e), { maxRetries: 0 });
    await expect(client.accounts.list({}, { timeoutMs: 50 })).rejects.toMatchObject({
      code: "network.timeout",
    });
  });
});
