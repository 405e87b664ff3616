/**
 * REFERENCE §13 behaviours 1–12, checked over raw HTTP against the emulator alone (never through core's
 * client), so a misunderstanding shared by both cannot hide.
 */
import { describe, expect, it } from "vitest";
import { DEMO_CLIENT, DEMO_PUBLIC_CLIENT } from "../../src/index.js";
import {
  api,
  authorize,
  emulator,
  exchange,
  expectError,
  form,
  json,
  login,
  mainAccount,
  refresh,
  type Tokens,
} from "../helpers.js";

const DAY = 86_400_000;

describe("§13.1 bearer tokens", () => {
  it("a data call without Authorization is 401 unauthorized.auth_required", async () => {
    const e = emulator();
    await expectError(e.app.request("/accounts"), 401, "unauthorized.auth_required");
  });
  it("an unknown token is 401 unauthorized.bad_access_token with error invalid_token", async () => {
    const e = emulator();
    const body = await expectError(api(e, "not-a-token", "/accounts"), 401, "unauthorized.bad_access_token");
    expect(body["error"]).toBe("invalid_token");
  });
  it("/oauth2/token needs no bearer token", async () => {
    const e = emulator();
    const res = await e.app.request(
      "/oauth2/token",
      form({
        grant_type: "refresh_token",
        client_id: DEMO_CLIENT.id,
        client_secret: DEMO_CLIENT.secret,
        refresh_token: "x",
      }),
    );
    await expectError(res, 401, "unauthorized.bad_refresh_token");
  });
  it("the 400 bad_request.invalid_token variant can be switched on", async () => {
    const e = emulator({ quirks: { invalidTokenStatus: 400 } });
    await expectError(api(e, "nope", "/accounts"), 400, "bad_request.invalid_token");
  });
});

describe("§13.2 authorization codes", () => {
  it("are single-use", async () => {
    const e = emulator();
    const code = (await authorize(e)).searchParams.get("code")!;
    expect((await exchange(e, code)).status).toBe(200);
    await expectError(exchange(e, code), 400, "bad_request.authorization_code.invalid");
  });
  it("are bound to the redirect URI used at the login page", async () => {
    const e = emulator();
    const code = (await authorize(e)).searchParams.get("code")!;
    await expectError(
      exchange(e, code, DEMO_CLIENT, DEMO_CLIENT.redirectUris[1]),
      400,
      "bad_request.bad_param.redirect_uri",
    );
  });
  it("are bound to the client", async () => {
    const e = emulator();
    const code = (await authorize(e)).searchParams.get("code")!;
    await expectError(exchange(e, code, DEMO_PUBLIC_CLIENT), 400, "bad_request.authorization_code.invalid");
  });
  it("expire after 10 minutes by default", async () => {
    const e = emulator();
    const code = (await authorize(e)).searchParams.get("code")!;
    e.control.advanceClock(10 * 60_000 + 1);
    await expectError(exchange(e, code), 400, "bad_request.authorization_code.invalid");
  });
  it("a wrong client secret is refused with invalid_client", async () => {
    const e = emulator();
    const code = (await authorize(e)).searchParams.get("code")!;
    const body = await expectError(
      exchange(e, code, { ...DEMO_CLIENT, secret: "mnzconf.wrong" }),
      400,
      "bad_request.could_not_authenticate",
    );
    expect(body["error"]).toBe("invalid_client");
  });
  it("the login page never redirects to an unregistered redirect URI", async () => {
    const e = emulator();
    const q = new URLSearchParams({
      client_id: DEMO_CLIENT.id,
      redirect_uri: "https://evil.example/cb",
      response_type: "code",
      state: "x",
    });
    const res = await e.app.request(`/auth/?${q}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("Redirect URL not registered");
  });
  it("an unknown client shows an error page", async () => {
    const e = emulator();
    const res = await e.app.request(
      `/auth/?client_id=oauth2client_nope&redirect_uri=${encodeURIComponent(DEMO_CLIENT.redirectUris[0]!)}&response_type=code`,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Unknown app");
  });
});

describe("§13.3 state", () => {
  it("is echoed unchanged on the redirect, also on denial (error=access_denied)", async () => {
    const e = emulator();
    const state = "ünïcödé & spaces/=?";
    expect((await authorize(e, { state })).searchParams.get("state")).toBe(state);
    const denied = await authorize(e, { state, decision: "deny" });
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe(state);
    expect(denied.searchParams.get("code")).toBeNull();
  });
});

describe("§13.4 confidentiality", () => {
  it("confidential clients get a refresh token, non-confidential never do", async () => {
    const e = emulator();
    expect((await login(e, { approve: false })).refresh_token).toMatch(/^ey/);
    const pub = await login(e, { client: DEMO_PUBLIC_CLIENT, approve: false });
    expect(pub).not.toHaveProperty("refresh_token");
  });
});

describe("§13.5 scope", () => {
  it("is pre_verification before approval and verified.ext on a token refreshed after it", async () => {
    const e = emulator();
    const first = await login(e, { approve: false });
    expect(first.scope).toBe("third_party_developer_app.pre_verification");
    expect(first.token_type).toBe("Bearer");
    expect(first.expires_in).toBe(107999);
    const beforeApproval = await json<Tokens>(refresh(e, first.refresh_token!));
    expect(beforeApproval.scope).toBe("third_party_developer_app.pre_verification");
    e.control.approve();
    const after = await json<Tokens>(refresh(e, beforeApproval.refresh_token!));
    expect(after.scope).toBe("third_party_developer_app.verified.ext");
  });
});

describe("§13.6 expiry", () => {
  it("an access token dies after expires_in with unauthorized.bad_access_token.expired", async () => {
    const e = emulator({ accessTokenTtlSeconds: 21600 });
    const t = await login(e);
    expect(t.expires_in).toBe(21600);
    e.control.advanceClock(21600 * 1000 - 1);
    expect((await api(e, t.access_token, "/ping/whoami")).status).toBe(200);
    e.control.advanceClock(1);
    const body = await expectError(
      api(e, t.access_token, "/ping/whoami"),
      401,
      "unauthorized.bad_access_token.expired",
    );
    expect(body["error"]).toBe("invalid_token");
  });
});

describe("§13.7 refresh rotation", () => {
  it("rotates both tokens; the old refresh token and old access token stop working", async () => {
    const e = emulator();
    const t = await login(e);
    const next = await json<Tokens>(refresh(e, t.refresh_token!));
    expect(next.access_token).not.toBe(t.access_token);
    expect(next.refresh_token).not.toBe(t.refresh_token);
    const again = await expectError(refresh(e, t.refresh_token!), 401, "unauthorized.bad_refresh_token");
    expect(again["message"]).toBe("Bad refresh token");
    await expectError(api(e, t.access_token, "/ping/whoami"), 401, "unauthorized.bad_access_token");
    expect((await api(e, next.access_token, "/accounts")).status).toBe(200);
  });
});

describe("§13.8 concurrent refreshes", () => {
  it("with one refresh token, exactly one of twenty racing requests wins", async () => {
    const e = emulator();
    const t = await login(e);
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(e, t.refresh_token!)));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(401)]);
    const counters = await json(e.app.request("/_emulator/counters"));
    expect(counters["refreshes"]).toBe(1);
    expect(counters["refresh_failures"]).toBe(19);
  });
});

describe("§13.9 one live token per client and user", () => {
  it("a new login evicts the older access and refresh tokens with .evicted codes", async () => {
    const e = emulator();
    const old = await login(e);
    const fresh = await login(e);
    await expectError(api(e, old.access_token, "/accounts"), 401, "unauthorized.bad_access_token.evicted");
    await expectError(refresh(e, old.refresh_token!), 401, "unauthorized.bad_refresh_token.evicted");
    expect((await api(e, fresh.access_token, "/accounts")).status).toBe(200);
  });
  it("another user's login, or another client's, evicts nothing", async () => {
    const e = emulator();
    const alex = await login(e);
    await login(e, { userIndex: 1 });
    await login(e, { client: DEMO_PUBLIC_CLIENT });
    expect((await api(e, alex.access_token, "/accounts")).status).toBe(200);
  });
});

describe("§13.10 logout", () => {
  it("kills the access token and its refresh chain at once", async () => {
    const e = emulator();
    const t = await login(e);
    const out = await api(e, t.access_token, "/oauth2/logout", { method: "POST" });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({});
    await expectError(api(e, t.access_token, "/ping/whoami"), 401, "unauthorized.bad_access_token");
    await expectError(refresh(e, t.refresh_token!), 401, "unauthorized.bad_refresh_token");
  });
});

describe("§13.11 SCA gate", () => {
  it("data endpoints are 403 insufficient_permissions with client and user until approval; whoami works; then the same token works", async () => {
    const e = emulator();
    const t = await login(e, { approve: false });
    const account = await mainAccount(e);
    for (const path of [
      "/accounts",
      `/balance?account_id=${account}`,
      `/pots?current_account_id=${account}`,
      `/transactions?account_id=${account}`,
    ]) {
      const body = await expectError(api(e, t.access_token, path), 403, "forbidden.insufficient_permissions");
      expect(body["params"]).toEqual({ client_id: DEMO_CLIENT.id, user_id: t.user_id });
    }
    expect(await json(api(e, t.access_token, "/ping/whoami"))).toEqual({
      authenticated: true,
      client_id: DEMO_CLIENT.id,
      user_id: t.user_id,
    });
    expect(e.control.approve()).toBe(1);
    expect((await api(e, t.access_token, "/accounts")).status).toBe(200);
  });
  it("whoami can be made to refuse before approval (the third-party variant)", async () => {
    const e = emulator({ quirks: { whoamiBeforeApproval: "forbidden" } });
    const t = await login(e, { approve: false });
    await expectError(api(e, t.access_token, "/ping/whoami"), 403, "forbidden.verification_required");
  });
  it("declining in the app revokes the login", async () => {
    const e = emulator();
    const t = await login(e, { approve: false });
    expect(e.control.decline()).toBe(1);
    await expectError(api(e, t.access_token, "/ping/whoami"), 401, "unauthorized.bad_access_token");
  });
  it("auto-approve after a delay of emulator time", async () => {
    const e = emulator({ autoApprove: 30_000 });
    const t = await login(e, { approve: false });
    await expectError(api(e, t.access_token, "/accounts"), 403, "forbidden.insufficient_permissions");
    e.control.advanceClock(30_000);
    expect((await api(e, t.access_token, "/accounts")).status).toBe(200);
  });
  it("the control API approves by user or client", async () => {
    const e = emulator();
    const t = await login(e, { approve: false });
    expect(
      await json(
        e.app.request("/_emulator/approve", {
          method: "POST",
          body: JSON.stringify({ user_id: "user_other" }),
        }),
      ),
    ).toEqual({ approved: 0 });
    expect(
      await json(
        e.app.request("/_emulator/approve", { method: "POST", body: JSON.stringify({ user_id: t.user_id }) }),
      ),
    ).toEqual({ approved: 1 });
  });
});

describe("§13.12 five minutes of full history, then 90 days", () => {
  it("any since works within 5 minutes of approval; afterwards 90 days back or no since is refused", async () => {
    const e = emulator();
    const t = await login(e);
    const account = await mainAccount(e);
    const now = e.control.now();
    const ago = (days: number) => new Date(now - days * DAY).toISOString();
    const list = (q: string) => api(e, t.access_token, `/transactions?account_id=${account}${q}`);
    expect((await list(`&since=${ago(300)}`)).status).toBe(200);
    expect((await list("")).status).toBe(200);
    e.control.advanceClock(5 * 60_000 + 1);
    await expectError(list(""), 403, "forbidden.verification_required");
    await expectError(list(`&since=${ago(90)}`), 403, "forbidden.verification_required");
    expect((await list(`&since=${ago(89)}`)).status).toBe(200);
    // Balance, accounts and pots are unaffected.
    expect((await api(e, t.access_token, `/balance?account_id=${account}`)).status).toBe(200);
    expect((await api(e, t.access_token, `/pots?current_account_id=${account}`)).status).toBe(200);
    expect((await api(e, t.access_token, "/accounts")).status).toBe(200);
  });
  it("a refresh does not reopen the window; a new login and approval does", async () => {
    const e = emulator();
    const t = await login(e);
    const account = await mainAccount(e);
    e.control.advanceClock(6 * 60_000);
    const refreshed = await json<Tokens>(refresh(e, t.refresh_token!));
    await expectError(
      api(e, refreshed.access_token, `/transactions?account_id=${account}`),
      403,
      "forbidden.verification_required",
    );
    const again = await login(e);
    expect((await api(e, again.access_token, `/transactions?account_id=${account}`)).status).toBe(200);
  });
  it("an old transaction fetched by id after the window is refused too", async () => {
    const e = emulator();
    const t = await login(e);
    const account = await mainAccount(e);
    const first = (
      await json<{ transactions: { id: string }[] }>(
        api(
          e,
          t.access_token,
          `/transactions?account_id=${account}&since=2000-01-01T00:00:00Z&before=2000-12-01T00:00:00Z`,
        ),
      )
    ).transactions;
    expect(first).toEqual([]);
    const oldest = (
      await json<{ transactions: { id: string }[] }>(
        api(
          e,
          t.access_token,
          `/transactions?account_id=${account}&since=${new Date(e.control.now() - 300 * DAY).toISOString()}&limit=1`,
        ),
      )
    ).transactions[0]!;
    expect((await api(e, t.access_token, `/transactions/${oldest.id}`)).status).toBe(200);
    e.control.advanceClock(5 * 60_000 + 1);
    await expectError(
      api(e, t.access_token, `/transactions/${oldest.id}`),
      403,
      "forbidden.verification_required",
    );
  });
  it("the window can be made to start at login instead of approval", async () => {
    const e = emulator({ quirks: { historyWindowStartsAt: "login" } });
    const t = await login(e, { approve: false });
    const account = await mainAccount(e);
    e.control.advanceClock(4 * 60_000);
    e.control.approve();
    e.control.advanceClock(2 * 60_000);
    await expectError(
      api(e, t.access_token, `/transactions?account_id=${account}`),
      403,
      "forbidden.verification_required",
    );
  });
});
