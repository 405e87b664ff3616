/** Core's BrokerLogin (the client side) against the real broker app and the emulator. */
import {
  AccessDeniedError,
  BrokerLogin,
  BrokerLoginExpiredError,
  InvalidArgumentError,
  MemoryTokenStore,
  MonzoClient,
  TokenManager,
} from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { confirmationFrom, consent, PUBLIC, RETURN_TO, setup } from "./helpers.js";

function client(app: ReturnType<typeof setup>["app"]) {
  // The broker app in-process, reached at its public URL.
  const fetch = (async (input: string | URL | Request, init?: RequestInit) =>
    app.request(String(input).replace(PUBLIC, ""), init)) as typeof globalThis.fetch;
  return new BrokerLogin({ brokerUrl: PUBLIC, fetch, sleep: async () => {} });
}

/** A confirmation source that never hears anything (nothing comes back to this machine). */
const nothingComesBack = (signal: AbortSignal) =>
  new Promise<string>((_, reject) =>
    signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
  );

describe("BrokerLogin", () => {
  it("start → person logs in → the browser brings the confirmation back → waitForTokens; refreshes go through the broker", async () => {
    const { e, app } = setup();
    const broker = client(app);
    const { id, loginUrl, bound } = await broker.start({ returnTo: RETURN_TO });
    expect(bound).toBe(true);
    let back!: (confirm: string) => void;
    const returned = new Promise<string>((resolve) => {
      back = resolve;
    });
    const waiting = broker.waitForTokens(id, { waitSeconds: 2, confirmation: () => returned });
    back(confirmationFrom(await app.request(await consent(e, loginUrl))));
    const tokens = await waiting;
    expect(tokens.refreshToken).toBeTruthy();
    e.control.approve();
    const before = ((await (await e.app.request("/_emulator/counters")).json()) as Record<string, number>)[
      "refreshes"
    ]!;
    const manager = new TokenManager({
      store: new MemoryTokenStore({ ...tokens, expiresAt: Date.now() - 1 }),
      refresh: broker.refreshFunction(),
    });
    const monzo = new MonzoClient({ tokens: manager, fetch: e.fetch, apiUrl: "http://127.0.0.1:9" });
    expect((await monzo.accounts.list()).length).toBeGreaterThan(0);
    expect(
      ((await (await e.app.request("/_emulator/counters")).json()) as Record<string, number>)["refreshes"],
    ).toBe(before + 1);
  });

  it("a forged confirmation is refused by the broker and the real one that follows still works", async () => {
    const { e, app } = setup();
    const broker = client(app);
    const { id, loginUrl } = await broker.start({ returnTo: RETURN_TO });
    const real = confirmationFrom(await app.request(await consent(e, loginUrl)));
    const offered = ["forged-confirmation-xxxxxxxxxxxxxxxxxxxxxxxxxx", real];
    const asked: string[] = [];
    const tokens = await broker.waitForTokens(id, {
      confirmation: async () => {
        const next = offered.shift()!;
        asked.push(next);
        return next;
      },
    });
    expect(tokens.accessToken).toBeTruthy();
    expect(asked).toHaveLength(2);
  });

  it("the sender of a login link never gets the tokens of the person who used it", async () => {
    const { e, app } = setup();
    const sender = client(app);
    const { id, loginUrl } = await sender.start({ returnTo: RETURN_TO });
    // Someone else opens the link and logs in; their browser goes back to their own machine.
    expect((await app.request(await consent(e, loginUrl))).status).toBe(303);
    await expect(
      sender.waitForTokens(id, { timeoutMs: 200, waitSeconds: 0, confirmation: nothingComesBack }),
    ).rejects.toBeInstanceOf(BrokerLoginExpiredError);
    await expect(sender.waitForTokens(id, { timeoutMs: 1000 })).rejects.toMatchObject({
      code: "broker.confirmation_required",
    });
  });

  it("a broker that binds logins says so when the app gives no returnTo", async () => {
    const { app } = setup();
    await expect(client(app).start()).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("denial and a second collect become typed errors", async () => {
    const { e, app } = setup();
    const broker = client(app);
    const denied = await broker.start({ returnTo: RETURN_TO });
    await app.request(await consent(e, denied.loginUrl, "deny"));
    await expect(broker.waitForTokens(denied.id)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(broker.waitForTokens(denied.id)).rejects.toBeInstanceOf(BrokerLoginExpiredError);
  });

  it("against a broker that allows unbound logins (the original protocol) no confirmation is needed", async () => {
    const { e, app } = setup({ config: { unboundLogins: true } });
    const broker = client(app);
    const { id, loginUrl, bound } = await broker.start();
    expect(bound).toBe(false);
    await app.request(await consent(e, loginUrl));
    expect((await broker.waitForTokens(id)).accessToken).toBeTruthy();
  });
});
