/** The in-process handle `createEmulator` returns: its control methods, over the emulator's own HTTP answers. */
import { describe, expect, it } from "vitest";
import { api, emulator, expectError, json } from "./helpers.js";

describe("control.token()", () => {
  it("mints an approved playground token that reads the first user's accounts, for an hour by default", async () => {
    const e = emulator();
    const token = e.control.token();
    const who = await json<{ authenticated: boolean; user_id: string }>(api(e, token, "/ping/whoami"));
    expect(who.authenticated).toBe(true);
    expect(who.user_id).toBe([...e.state.bank.users.keys()][0]);
    expect((await api(e, token, "/accounts")).status).toBe(200);
    e.control.advanceClock(3600 * 1000);
    await expectError(api(e, token, "/accounts"), 401, "unauthorized.bad_access_token.expired");
  });

  it("honours user, lifetime and a pending approval, and refuses an unknown user", async () => {
    const e = emulator();
    const [, second] = [...e.state.bank.users.keys()];
    const pending = e.control.token({ userId: second!, ttlSeconds: 60, approved: false });
    await expectError(api(e, pending, "/accounts"), 403, "forbidden.insufficient_permissions");
    expect(e.control.approve({ userId: second! })).toBe(1);
    expect((await api(e, pending, "/accounts")).status).toBe(200);
    e.control.advanceClock(60_000);
    expect((await api(e, pending, "/accounts")).status).toBe(401);
    expect(() => e.control.token({ userId: "user_nobody" })).toThrow(/unknown user/);
  });
});
