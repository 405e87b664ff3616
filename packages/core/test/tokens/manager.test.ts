import { describe, expect, it } from "vitest";
import {
  BrokerLogin,
  InvalidArgumentError,
  isRefreshNotSent,
  MemoryTokenStore,
  MonzoError,
  monzoRefresh,
  ReauthenticationRequiredError,
  type RefreshFunction,
  refreshNotSent,
  TokenManager,
  type TokenSet,
} from "../../src/index.js";
import { API, CREDENTIALS, counters, emulator, login } from "../contract/helpers.js";

/** What a caller of the refresh function throws when it declines to send (the CLI's missing secret, say). */
class DeclinedError extends MonzoError {
  constructor() {
    super("test.declined", "no client secret is configured", { hint: "Set one." });
  }
}

/** An expired set, so the next accessToken() refreshes. */
function expired(tokens: TokenSet): TokenSet {
  return { ...tokens, expiresAt: 0 };
}

describe("a refresh that fails", () => {
  it("before sending, marked so: reaches the caller as itself, and the stored set is untouched", async () => {
    const e = emulator();
    const tokens = expired(await login(e));
    const store = new MemoryTokenStore(tokens);
    const declined = new DeclinedError();
    const refresh: RefreshFunction = async () => {
      throw refreshNotSent(declined);
    };
    const manager = new TokenManager({ store, refresh });
    const error = await manager.accessToken().catch((x: unknown) => x);
    expect(error).toBe(declined);
    expect(error).not.toBeInstanceOf(ReauthenticationRequiredError);
    expect(await store.load()).toEqual(tokens);
    expect(manager.refreshCount).toBe(0);
    expect((await counters(e))["refreshes"] ?? 0).toBe(0);
  });

  it("after sending (the answer lost), unmarked: a refresh of unknown outcome, and the chain really was spent", async () => {
    const e = emulator();
    const tokens = expired(await login(e));
    const store = new MemoryTokenStore(tokens);
    // The request reaches the emulator (which rotates the chain), then the connection drops before the answer.
    const lossy = (async (input: string | URL | Request, init?: RequestInit) => {
      await e.fetch(input, init);
      throw new TypeError("socket hang up");
    }) as typeof fetch;
    const manager = new TokenManager({
      store,
      refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: lossy, now: () => e.control.now() }),
    });
    const error = await manager.accessToken().catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ReauthenticationRequiredError);
    expect((error as Error).message).toMatch(/outcome is unknown/);
    expect(isRefreshNotSent(error)).toBe(false);
    expect(isRefreshNotSent((error as Error).cause)).toBe(false);
    expect((await counters(e))["refreshes"]).toBe(1);
    expect(await store.load()).toEqual(tokens);
  });

  it("after sending, no answer in time: still of unknown outcome", async () => {
    const e = emulator();
    const tokens = expired(await login(e));
    const silent = (async (input: string | URL | Request, init?: RequestInit) => {
      await e.fetch(input, init);
      await new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }),
      );
      throw new Error("unreachable");
    }) as typeof fetch;
    const manager = new TokenManager({
      store: new MemoryTokenStore(tokens),
      refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: silent, timeoutMs: 20 }),
    });
    const error = await manager.accessToken().catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ReauthenticationRequiredError);
    expect((error as Error).message).toMatch(/outcome is unknown/);
  });
});

describe("core's own refresh functions mark what they refuse before sending", () => {
  it("monzoRefresh with an API URL it may not use: its own error, and no request", async () => {
    const e = emulator();
    const tokens = expired(await login(e));
    let requests = 0;
    const counting = (async (input: string | URL | Request, init?: RequestInit) => {
      requests++;
      return e.fetch(input, init);
    }) as typeof fetch;
    for (const apiUrl of ["http://api.example.com", "not a url"]) {
      const manager = new TokenManager({
        store: new MemoryTokenStore(tokens),
        refresh: monzoRefresh({ ...CREDENTIALS, apiUrl, fetch: counting }),
      });
      const error = await manager.accessToken().catch((x: unknown) => x);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(isRefreshNotSent(error)).toBe(true);
    }
    expect(requests).toBe(0);
  });

  it("monzoRefresh and a broker's refresh without a refresh token", async () => {
    const e = emulator();
    const { refreshToken: _, ...bare } = await login(e);
    for (const refresh of [
      monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: e.fetch }),
      new BrokerLogin({ brokerUrl: "http://127.0.0.1:9", fetch: e.fetch }).refreshFunction(),
    ]) {
      const error = await refresh(bare as TokenSet).catch((x: unknown) => x);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(isRefreshNotSent(error)).toBe(true);
    }
  });
});

describe("refreshNotSent and isRefreshNotSent", () => {
  it("mark an object once and for all; anything else is not marked", () => {
    const error = new Error("x");
    expect(isRefreshNotSent(error)).toBe(false);
    expect(refreshNotSent(error)).toBe(error);
    expect(isRefreshNotSent(error)).toBe(true);
    // The mark is not an own enumerable key: it never shows in a JSON dump of the error.
    expect(Object.keys(error)).toEqual([]);
    for (const other of [undefined, null, "not sent", 7, { notSent: true }])
      expect(isRefreshNotSent(other)).toBe(false);
    // What cannot be marked stays unmarked, and so is reported as of unknown outcome (the safe side).
    const frozen = Object.freeze(new Error("frozen"));
    expect(refreshNotSent(frozen)).toBe(frozen);
    expect(isRefreshNotSent(frozen)).toBe(false);
  });
});
