/**
 * Redirects never carry a secret (F12): real loopback servers, one answering every request with a redirect
 * to another origin (a second loopback port) that records whatever reaches it. The token endpoint (client
 * secret, code, refresh token), the API client (bearer token) and the broker client (refresh token) all go
 * through the platform fetch here, which follows redirects by default.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BrokerLogin,
  ConnectionError,
  exchangeCode,
  logout,
  MonzoClient,
  MonzoError,
  refreshTokens,
  validateCallback,
} from "../../src/index.js";

interface Seen {
  method: string;
  url: string;
  body: string;
  authorization: string | undefined;
}

let redirector: Server;
let target: Server;
let redirectUrl = "";
let targetUrl = "";
let status = 307;
const reached: Seen[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    ),
  );
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

beforeAll(async () => {
  target = createServer(async (req, res) => {
    reached.push({
      method: req.method ?? "",
      url: req.url ?? "",
      body: await bodyOf(req),
      authorization: req.headers.authorization,
    });
    // What a relaying host would answer: something that looks like Monzo's answer.
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        access_token: "relayed-access-token-xxxxxxxx",
        refresh_token: "relayed-refresh-token-xxxxxxx",
        expires_in: 3600,
        user_id: "user_evil",
        client_id: "oauth2client_evil",
        token_type: "Bearer",
        accounts: [],
      }),
    );
  });
  targetUrl = await listen(target);
  redirector = createServer(async (req, res) => {
    await bodyOf(req);
    res.writeHead(status, { location: `${targetUrl}${req.url}` });
    res.end();
  });
  redirectUrl = await listen(redirector);
});
afterAll(async () => {
  await Promise.all([redirector, target].map((s) => new Promise((r) => s.close(r))));
});
beforeEach(() => {
  reached.length = 0;
  status = 307;
});

const secrets = {
  clientId: "oauth2client_0000Redirect000000001",
  clientSecret: "mnzconf.redirect-test-client-secret",
};

async function refused(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MonzoError);
  expect(error).toBeInstanceOf(ConnectionError);
  expect((error as MonzoError).code).toBe("network.redirect_refused");
  expect((error as Error).message).toContain(targetUrl);
  return error as MonzoError;
}

describe("redirects are refused wherever a secret travels", () => {
  for (const code of [301, 302, 303, 307, 308]) {
    it(`the token endpoint answering ${code}: the refresh body never reaches the other origin`, async () => {
      status = code;
      await refused(refreshTokens("refresh-token-redirect-test", { ...secrets, apiUrl: redirectUrl }));
      expect(reached).toEqual([]);
    });
  }

  it("the code exchange and logout do not follow a 307 either", async () => {
    const callback = validateCallback("?code=code-redirect-test-123&state=state-12345678", "state-12345678");
    await refused(
      exchangeCode(callback, { ...secrets, redirectUri: "http://127.0.0.1/cb", apiUrl: redirectUrl }),
    );
    await refused(logout("access-token-redirect-test", { apiUrl: redirectUrl }));
    expect(reached).toEqual([]);
  });

  it("the API client does not follow a redirect with the bearer token, nor retry it", async () => {
    const client = new MonzoClient({ accessToken: "bearer-redirect-test-token", apiUrl: redirectUrl });
    await refused(client.accounts.list());
    await refused(client.pots.list("acc_1"));
    expect(reached).toEqual([]);
  });

  it("the broker client does not follow a redirect of /refresh or /token", async () => {
    const broker = new BrokerLogin({ brokerUrl: redirectUrl, sleep: async () => {} });
    await refused(
      broker.refreshFunction()({
        accessToken: "a",
        refreshToken: "refresh-token-to-broker-redirect",
        expiresAt: 0,
        userId: "u" as never,
        clientId: "c" as never,
      }),
    );
    await refused(broker.start());
    expect(reached).toEqual([]);
  });

  it("an answer that was redirected anyway (a fetch that follows whatever it is told) is not taken as Monzo's", async () => {
    const following = ((input: string | URL | Request, init?: RequestInit) =>
      globalThis.fetch(input, { ...init, redirect: "follow" })) as typeof fetch;
    await refused(
      refreshTokens("refresh-token-followed", { ...secrets, apiUrl: redirectUrl, fetch: following }),
    );
    const client = new MonzoClient({ accessToken: "bearer-followed", apiUrl: redirectUrl, fetch: following });
    await refused(client.accounts.list());
  });
});
