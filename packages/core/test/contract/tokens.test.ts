import { describe, expect, it } from "vitest";
import {
  ApprovalDeclinedError,
  ApprovalRequiredError,
  ApprovalTimeoutError,
  MemoryTokenStore,
  MonzoClient,
  monzoRefresh,
  ReauthenticationRequiredError,
  TokenEvictedError,
  TokenManager,
  type TokenSet,
  type TokenStore,
  waitForApproval,
} from "../../src/index.js";
import { API, CREDENTIALS, clientFor, counters, emulator, login, mainAccount } from "./helpers.js";

/** A store shared by several "processes", with a lock like the CLI's lock file. */
class SharedStore implements TokenStore {
  #tokens: TokenSet | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  constructor(tokens: TokenSet) {
    this.#tokens = tokens;
  }
  async load() {
    return this.#tokens;
  }
  async save(tokens: TokenSet) {
    this.#tokens = tokens;
  }
  async clear() {
    this.#tokens = undefined;
  }
  lock<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }
}

describe("TokenManager against the emulator", () => {
  it("a hundred calls at once with an expired token refresh exactly once, and all succeed", async () => {
    const e = emulator();
    const tokens = await login(e);
    const { client, manager } = clientFor(e, tokens);
    const account = await mainAccount(e);
    e.control.advanceClock(108_000 * 1000);
    const results = await Promise.all(Array.from({ length: 100 }, () => client.balance.retrieve(account)));
    expect(results).toHaveLength(100);
    expect((await counters(e))["refreshes"]).toBe(1);
    expect(manager.refreshCount).toBe(1);
  });

  it("refreshes ahead of expiry (skew), not after a 401", async () => {
    const e = emulator();
    const tokens = await login(e);
    const { client } = clientFor(e, tokens);
    e.control.advanceClock(107_999 * 1000 - 60_000); // one minute left: inside the 5-minute skew
    await client.accounts.list();
    const c = await counters(e);
    expect(c["refreshes"]).toBe(1);
    expect(c["requests"]).toBeDefined();
  });

  it("a refresh that loses the race reuses the winner's tokens (two processes, one store)", async () => {
    const e = emulator();
    const tokens = await login(e);
    const store = new SharedStore(tokens);
    const make = () =>
      new TokenManager({
        store,
        refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: e.fetch, now: () => e.control.now() }),
        now: () => e.control.now(),
      });
    const a = make();
    const b = make();
    await Promise.all([a.tokens(), b.tokens()]);
    e.control.advanceClock(108_000 * 1000);
    const [ta, tb] = await Promise.all([a.accessToken(), b.accessToken()]);
    expect(ta).toBe(tb);
    const c = await counters(e);
    expect(c["refreshes"]).toBe(1);
    expect(c["refresh_failures"]).toBe(0);
    expect(a.refreshCount + b.refreshCount).toBe(1);
  });

  it("1,000 refresh cycles with racing callers never burn the chain", async () => {
    const e = emulator();
    const tokens = await login(e);
    const store = new SharedStore(tokens);
    const now = () => e.control.now();
    const managers = Array.from(
      { length: 4 },
      () =>
        new TokenManager({
          store,
          refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: e.fetch, now }),
          now,
        }),
    );
    const client = (m: TokenManager) => new MonzoClient({ tokens: m, fetch: e.fetch, apiUrl: API });
    for (let cycle = 0; cycle < 1000; cycle++) {
      e.control.advanceClock(108_000 * 1000);
      await Promise.all(managers.map((m) => client(m).whoami()));
    }
    const c = await counters(e);
    expect(c["refreshes"]).toBe(1000);
    expect(c["refresh_failures"]).toBe(0);
  }, 60_000);

  it("a 401 for a token someone revoked triggers one refresh and a replay", async () => {
    const e = emulator();
    const tokens = await login(e);
    const { client } = clientFor(e, tokens);
    // Monzo answers 401 expired when its clock says so, before our skew would notice.
    e.control.advanceClock(107_999 * 1000 + 1);
    const manager = new TokenManager({
      store: new MemoryTokenStore(tokens),
      refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: e.fetch }),
      skewMs: 0,
      now: () => e.control.now() - 10_000,
    });
    const lagging = new MonzoClient({ tokens: manager, fetch: e.fetch, apiUrl: API });
    expect((await lagging.whoami()).authenticated).toBe(true);
    expect(manager.refreshCount).toBe(1);
    void client;
  });

  it("a token evicted by a newer login surfaces as TokenEvictedError with a hint, without burning a refresh", async () => {
    const e = emulator();
    const first = await login(e);
    const { client, manager } = clientFor(e, first);
    await login(e); // the same client and user log in again elsewhere
    const error = await client.accounts.list().catch((x: unknown) => x);
    expect(error).toBeInstanceOf(TokenEvictedError);
    expect((error as TokenEvictedError).hint).toMatch(/newest token or log in again/);
    expect(manager.refreshCount).toBe(0);
    expect((await counters(e))["refresh_failures"]).toBe(0);
  });

  it("without a refresh token, expiry asks for a new login", async () => {
    const e = emulator();
    const tokens = await login(e);
    const { refreshToken: _, ...noRefresh } = tokens;
    const manager = new TokenManager({
      store: new MemoryTokenStore(noRefresh),
      refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: e.fetch }),
      now: () => e.control.now(),
    });
    e.control.advanceClock(108_000 * 1000);
    const error = await manager.accessToken().catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ReauthenticationRequiredError);
    expect((error as ReauthenticationRequiredError).hint).toMatch(/log in again/i);
  });

  it("a refresh refused by Monzo (chain ended by logout) asks for a new login", async () => {
    const e = emulator();
    const tokens = await login(e);
    const { client, manager } = clientFor(e, tokens);
    await e.fetch(`${API}/oauth2/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    const error = await client.whoami().catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ReauthenticationRequiredError);
    expect(manager.refreshCount).toBe(0);
  });
});

describe("waitForApproval", () => {
  it("polls until the person approves in the app, then the same token works", async () => {
    const e = emulator();
    const tokens = await login(e, { approve: false });
    const { client } = clientFor(e, tokens);
    await expect(client.accounts.list()).rejects.toBeInstanceOf(ApprovalRequiredError);
    const ticks: number[] = [];
    await waitForApproval(() => client.accounts.list(), {
      intervalMs: 2000,
      now: () => e.control.now(),
      sleep: async (ms) => {
        e.control.advanceClock(ms);
        if (ticks.length === 3) e.control.approve();
      },
      onTick: ({ remainingMs }) => ticks.push(remainingMs),
    });
    expect(ticks.length).toBe(3);
    expect(ticks[0]).toBe(5 * 60_000);
    expect((await client.accounts.list()).length).toBeGreaterThan(0);
  });

  it("a decline ends the wait with ApprovalDeclinedError", async () => {
    const e = emulator();
    const tokens = await login(e, { approve: false });
    const { client } = clientFor(e, tokens);
    const error = await waitForApproval(() => client.whoami().then(() => client.accounts.list()), {
      sleep: async () => {
        e.control.decline();
      },
    }).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ApprovalDeclinedError);
  });

  it("gives up after the timeout with a hint", async () => {
    const e = emulator();
    const tokens = await login(e, { approve: false });
    const { client } = clientFor(e, tokens);
    const error = await waitForApproval(() => client.accounts.list(), {
      timeoutMs: 10_000,
      now: () => e.control.now(),
      sleep: async (ms) => e.control.advanceClock(ms),
    }).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ApprovalTimeoutError);
    expect((error as ApprovalTimeoutError).hint).toMatch(/Monzo app/);
  });
});
