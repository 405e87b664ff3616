import { describe, expect, it } from "vitest";
import {
  AccessDeniedError,
  authorizationUrl,
  exchangeCode,
  InvalidArgumentError,
  logout,
  MonzoClient,
  OAuthError,
  redact,
  refreshTokens,
  StateMismatchError,
  validateCallback,
} from "../../src/index.js";
import { API, AUTH, CREDENTIALS, consent, counters, emulator, login } from "./helpers.js";

describe("OAuth against the emulator", () => {
  it("logs in end to end: authorize URL → consent → validated callback → code exchange", async () => {
    const e = emulator();
    const tokens = await login(e, { approve: false });
    expect(tokens.accessToken).toMatch(/^ey/);
    expect(tokens.refreshToken).toMatch(/^ey/);
    expect(tokens.clientId).toBe(CREDENTIALS.clientId);
    expect(tokens.scope).toBe("third_party_developer_app.pre_verification");
    expect(tokens.expiresAt).toBe(e.control.now() + 107999 * 1000);
    const who = await new MonzoClient({
      accessToken: tokens.accessToken,
      fetch: e.fetch,
      apiUrl: API,
    }).whoami();
    expect(who).toMatchObject({ authenticated: true, user_id: tokens.userId });
  });

  it("a state mismatch never reaches the token endpoint", async () => {
    const e = emulator();
    const { url } = authorizationUrl({
      clientId: CREDENTIALS.clientId,
      redirectUri: CREDENTIALS.redirectUri,
      authUrl: AUTH,
    });
    const redirect = await consent(e, url);
    expect(() => validateCallback(redirect, "some-other-state-value")).toThrow(StateMismatchError);
    expect((await counters(e))["token_exchanges"]).toBe(0);
  });

  it("exchangeCode refuses anything but a fresh validated callback, at run time too", async () => {
    const e = emulator();
    const { url, state } = authorizationUrl({
      clientId: CREDENTIALS.clientId,
      redirectUri: CREDENTIALS.redirectUri,
      authUrl: AUTH,
    });
    const redirect = await consent(e, url);
    const forged = { code: new URL(redirect).searchParams.get("code")!, state } as never;
    await expect(exchangeCode(forged, { ...CREDENTIALS, apiUrl: API, fetch: e.fetch })).rejects.toThrow(
      InvalidArgumentError,
    );
    const callback = validateCallback(redirect, state);
    await exchangeCode(callback, { ...CREDENTIALS, apiUrl: API, fetch: e.fetch });
    await expect(exchangeCode(callback, { ...CREDENTIALS, apiUrl: API, fetch: e.fetch })).rejects.toThrow(
      /already used|did not return/,
    );
    expect((await counters(e))["token_exchanges"]).toBe(1);
  });

  it("Deny becomes AccessDeniedError", async () => {
    const e = emulator();
    const { url, state } = authorizationUrl({
      clientId: CREDENTIALS.clientId,
      redirectUri: CREDENTIALS.redirectUri,
      authUrl: AUTH,
    });
    const redirect = await consent(e, url, "deny");
    expect(() => validateCallback(redirect, state)).toThrow(AccessDeniedError);
  });

  it("token endpoint refusals are OAuthErrors with Monzo's code and a hint, and no secret in them", async () => {
    const e = emulator();
    const { url, state } = authorizationUrl({
      clientId: CREDENTIALS.clientId,
      redirectUri: CREDENTIALS.redirectUri,
      authUrl: AUTH,
    });
    const callback = validateCallback(await consent(e, url), state);
    const error = await exchangeCode(callback, {
      ...CREDENTIALS,
      clientSecret: "mnzconf.wrong-secret-value",
      apiUrl: API,
      fetch: e.fetch,
    }).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).monzoCode).toBe("bad_request.could_not_authenticate");
    expect((error as OAuthError).hint).toMatch(/client id and client secret/);
    const text = JSON.stringify(error) + String(error) + (error as Error).stack;
    expect(text).not.toContain("mnzconf.wrong-secret-value");
    expect(text).not.toContain(callback.code);
  });

  it("refresh rotates; reusing the old refresh token fails with bad_refresh_token; logout ends the chain", async () => {
    const e = emulator();
    const first = await login(e);
    const second = await refreshTokens(first.refreshToken!, { ...CREDENTIALS, apiUrl: API, fetch: e.fetch });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.scope).toBe("third_party_developer_app.verified.ext");
    const reused = await refreshTokens(first.refreshToken!, {
      ...CREDENTIALS,
      apiUrl: API,
      fetch: e.fetch,
    }).catch((x: unknown) => x);
    expect((reused as OAuthError).monzoCode).toBe("unauthorized.bad_refresh_token");
    await logout(second.accessToken, { apiUrl: API, fetch: e.fetch });
    const after = await refreshTokens(second.refreshToken!, {
      ...CREDENTIALS,
      apiUrl: API,
      fetch: e.fetch,
    }).catch((x: unknown) => x);
    expect(after).toBeInstanceOf(OAuthError);
  });

  it("refuses plain http to anything but loopback unless allowed", () => {
    expect(() =>
      authorizationUrl({
        clientId: "c",
        redirectUri: "http://localhost:6600/callback",
        authUrl: "http://auth.example.com/",
      }),
    ).toThrow(/must use https/);
    expect(() =>
      authorizationUrl({
        clientId: "c",
        redirectUri: "http://localhost:6600/callback",
        authUrl: "http://auth.example.com/",
        allowInsecure: true,
      }),
    ).not.toThrow();
    expect(() => new MonzoClient({ accessToken: "x", apiUrl: "http://api.example.com" })).toThrow(
      /must use https/,
    );
  });
});

describe("secrets a call was told not to remember (rememberSecrets: false)", () => {
  it("are masked in that call's own error even when Monzo echoes them, and stay off the process-wide list", async () => {
    const echo = (async (_url: string | URL | Request, init?: RequestInit) =>
      new Response(
        JSON.stringify({
          code: "unauthorized.bad_refresh_token",
          message: `refresh token ${new URLSearchParams(String(init?.body)).get("refresh_token")} is not valid`,
        }),
        { status: 401, headers: { "content-type": "application/json" } },
      )) as typeof fetch;
    const error = await refreshTokens("someone-elses-refresh-token-42", {
      ...CREDENTIALS,
      apiUrl: API,
      fetch: echo,
      rememberSecrets: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as Error).message).toContain("refresh token [redacted] is not valid");
    expect(JSON.stringify(error)).not.toContain("someone-elses-refresh-token-42");
    expect(redact("someone-elses-refresh-token-42")).toBe("someone-elses-refresh-token-42");
  });
});
