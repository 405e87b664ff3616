/** Core's BrokerLogin (the client side) against the real broker app and the emulator. */
import {
  AccessDeniedError,
  BrokerLogin,
  BrokerLoginExpiredError,
  MemoryTokenStore,
  MonzoClient,
  TokenManager,
} from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { consent, PUBLIC, setup } from "./helpers.js";

function client(app: ReturnType<typeof setup>["app"]) {
  // The broker app in-process, reached at its public URL.
  const fetch = (async (input: string | URL | Request, init?: RequestInit) =>
    app.request(String(input).replace(PUBLIC, ""), init)) as typeof globalThis.fetch;
  return new BrokerLogin({ brokerUrl: PUBLIC, fetch, sleep: async () => {} });
}

describe("BrokerLogin", () => {
  it("start → person logs in → waitForTokens; refreshes go through the broker", async () => {
    const { e, app } = setup();
    const broker = client(app);
    const { id, loginUrl } = await broker.start();
    const waiting = broker.waitForTokens(id, { waitSeconds: 2 });
    await app.request(await consent(e, loginUrl));
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

  it("denial and a second collect become typed errors", async () => {
    const { e, app } = setup();
    const broker = client(app);
    const denied = await broker.start();
    await app.request(await consent(e, denied.loginUrl, "deny"));
    await expect(broker.waitForTokens(denied.id)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(broker.waitForTokens(denied.id)).rejects.toBeInstanceOf(BrokerLoginExpiredError);
  });
});
