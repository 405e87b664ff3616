import { describe, expect, it } from "vitest";
import { ruleMatches } from "../../src/http/faults.js";
import { api, emulator, expectError, json, login } from "../helpers.js";

describe("fault rules", () => {
  it("match by method, path and wildcard", () => {
    expect(ruleMatches({ kind: 503 }, "GET", "/balance")).toBe(true);
    expect(ruleMatches({ kind: 503, route: "GET /balance" }, "GET", "/balance")).toBe(true);
    expect(ruleMatches({ kind: 503, route: "PUT /balance" }, "GET", "/balance")).toBe(false);
    expect(ruleMatches({ kind: 503, route: "/pots/*" }, "PUT", "/pots/pot_1/deposit")).toBe(true);
    expect(ruleMatches({ kind: 503, route: "/pots/*" }, "GET", "/pots")).toBe(false);
    expect(ruleMatches({ kind: 503, route: "/a.b" }, "GET", "/aXb")).toBe(false);
  });

  it("inject 5xx with Monzo's error shape, for a fixed count", async () => {
    const e = emulator({ faults: { rules: [{ kind: 503, route: "/ping/whoami", count: 2 }] } });
    const t = await login(e);
    await expectError(api(e, t.access_token, "/ping/whoami"), 503, "internal_service");
    await expectError(api(e, t.access_token, "/ping/whoami"), 503, "internal_service");
    expect((await api(e, t.access_token, "/ping/whoami")).status).toBe(200);
    expect((await json(e.app.request("/_emulator/counters")))["faults_fired"]).toBe(2);
  });

  it("inject 429 with Retry-After", async () => {
    const e = emulator();
    const t = await login(e);
    await e.app.request("/_emulator/faults", {
      method: "POST",
      body: JSON.stringify({ rules: [{ kind: 429, retry_after: 7, count: 1 }] }),
    });
    const res = await api(e, t.access_token, "/accounts");
    expect(res.headers.get("retry-after")).toBe("7");
    await expectError(res, 429, "rate_limited");
  });

  it("fire at a seeded rate: the same seed gives the same faults", async () => {
    const run = async () => {
      const e = emulator({ faults: { rules: [{ kind: 500, rate: 0.3 }] } });
      const t = await login(e);
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await api(e, t.access_token, "/ping/whoami")).status);
      return statuses;
    };
    const a = await run();
    expect(a).toEqual(await run());
    const failures = a.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
  });

  it("a dropped connection makes the in-process fetch reject like a real one", async () => {
    const e = emulator({ faults: { rules: [{ kind: "reset", route: "/accounts", count: 1 }] } });
    const t = await login(e);
    const call = () =>
      e.fetch("http://emulator.test/accounts", { headers: { authorization: `Bearer ${t.access_token}` } });
    await expect(call()).rejects.toThrow(TypeError);
    expect((await call()).status).toBe(200);
  });

  it("control API validates fault rules and clears them", async () => {
    const e = emulator();
    const bad = await e.app.request("/_emulator/faults", {
      method: "POST",
      body: JSON.stringify({ rules: [{ kind: 418 }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain("kind");
    await e.app.request("/_emulator/faults", {
      method: "POST",
      body: JSON.stringify({ rules: [{ kind: 500 }] }),
    });
    expect((await e.app.request("/ping/whoami")).status).toBe(500);
    await e.app.request("/_emulator/faults", { method: "DELETE" });
    expect((await e.app.request("/ping/whoami")).status).toBe(401);
  });

  it("a status written as a string, as a shell or a flag writes it, is that status; other strings are refused", async () => {
    const e = emulator();
    const post = (kind: unknown) =>
      e.app.request("/_emulator/faults", { method: "POST", body: JSON.stringify({ rules: [{ kind }] }) });
    expect((await post("503")).status).toBe(200);
    expect(((await (await e.app.request("/_emulator/faults")).json()) as { rules: unknown[] }).rules).toEqual(
      [{ kind: 503 }],
    );
    expect((await e.app.request("/ping/whoami")).status).toBe(503);
    for (const kind of ["418", " 503", "5e2", "RESET", ""]) expect((await post(kind)).status).toBe(400);
  });
});
