/**
 * Web pages cannot drive the control API or post the login pages' forms (any page the person has open can
 * reach a loopback server). Tests, curl and the CLI send no Origin and pass.
 */
import { describe, expect, it } from "vitest";
import { isLoopbackName } from "../../src/http/same-origin.js";
import { emulator } from "../helpers.js";

const advance = (headers: Record<string, string>) => ({
  method: "POST",
  headers,
  body: JSON.stringify({ advance_seconds: 60 }),
});

describe("the control API refuses web pages", () => {
  it("from another origin, an opaque (null) origin, another site, or a rebound DNS name", async () => {
    const e = emulator();
    const start = e.control.now();
    for (const headers of [
      { origin: "http://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { host: "evil.example:6601", origin: "http://evil.example:6601" },
    ]) {
      const res = await e.app.request("http://localhost/_emulator/clock", advance(headers));
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe("forbidden.control");
    }
    expect(e.control.now()).toBe(start);
  });

  it("lets through clients that send no Origin, and the emulator's own pages", async () => {
    const e = emulator();
    const start = e.control.now();
    expect((await e.app.request("http://localhost/_emulator/clock", advance({}))).status).toBe(200);
    const own = advance({
      host: "127.0.0.1:6601",
      origin: "http://127.0.0.1:6601",
      "sec-fetch-site": "same-origin",
    });
    expect((await e.app.request("http://127.0.0.1:6601/_emulator/clock", own)).status).toBe(200);
    expect(e.control.now()).toBe(start + 120_000);
  });
});

describe("the login pages' forms refuse other sites", () => {
  it("a cross-site post to /auth/app/decision or /auth/authorize is refused before it is read", async () => {
    const e = emulator();
    e.control.token({ approved: false });
    const [grant] = e.state.authority.pendingGrants();
    for (const path of ["/auth/app/decision", "/auth/authorize"]) {
      const res = await e.app.request(`http://127.0.0.1:6601${path}`, {
        method: "POST",
        headers: {
          host: "127.0.0.1:6601",
          origin: "http://evil.example",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: `grant=${grant!.id}&decision=approve`,
      });
      expect(res.status, path).toBe(403);
    }
    expect(e.state.authority.pendingGrants()).toHaveLength(1);
    // The same post from the page itself goes through.
    const own = await e.app.request("http://127.0.0.1:6601/auth/app/decision", {
      method: "POST",
      headers: {
        host: "127.0.0.1:6601",
        origin: "http://127.0.0.1:6601",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: `grant=${grant!.id}&decision=approve`,
    });
    expect(own.status).toBe(303);
    expect(e.state.authority.pendingGrants()).toHaveLength(0);
  });
});

describe("isLoopbackName", () => {
  it("knows this machine's names and nothing else", () => {
    for (const name of ["localhost", "app.localhost", "127.0.0.1", "127.9.8.7", "::1"])
      expect(isLoopbackName(name)).toBe(true);
    for (const name of [
      "evil.example",
      "localhost.evil.example",
      "127.0.0.1.evil.example",
      "10.0.0.1",
      "0.0.0.0",
    ])
      expect(isLoopbackName(name)).toBe(false);
  });
});
