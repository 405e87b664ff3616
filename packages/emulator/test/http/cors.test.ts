/**
 * Opt-in CORS (`--cors`): off by default as on real Monzo; with listed origins, preflights answered and
 * answers readable by those origins only, never with credentials, never on the login pages or the control
 * API. Checked over the emulator's HTTP answers and in real headless Chromium.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../../test-support/chromium.js";
import { corsPolicy } from "../../src/http/cors.js";
import { type RunningEmulator, serveEmulator } from "../../src/index.js";
import { emulator } from "../helpers.js";

const APP = "http://localhost:5173";

function preflight(e: ReturnType<typeof emulator>, path: string, origin: string) {
  return e.app.request(path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization",
    },
  });
}

describe("corsPolicy", () => {
  it("takes exact http(s) origins and refuses wildcards, null, paths and other schemes", () => {
    expect([...corsPolicy(["http://localhost:5173", "https://App.example:8443/"]).origins]).toEqual([
      "http://localhost:5173",
      "https://app.example:8443",
    ]);
    for (const bad of [
      "*",
      "null",
      "localhost:5173",
      "ftp://x.example",
      "http://x.example/app",
      "http://u:p@x.example",
      "http://x.example/?a",
    ])
      expect(() => corsPolicy([bad]), bad).toThrow(/cors origin/);
    expect(() => corsPolicy([])).toThrow(/at least one origin/);
  });
});

describe("CORS on the emulator's answers", () => {
  it("is off by default: a preflight gets 405 and answers carry no Access-Control header", async () => {
    const e = emulator();
    const res = await preflight(e, "/accounts", APP);
    expect(res.status).toBe(405);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const token = e.control.token();
    const get = await e.app.request("/accounts", {
      headers: { origin: APP, authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a listed origin's preflight and lets it read answers, errors included; never credentials", async () => {
    const e = emulator({ cors: { origins: [APP] } });
    const res = await preflight(e, "/accounts", APP);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    const token = e.control.token();
    for (const [path, status] of [
      ["/accounts", 200],
      ["/balance", 400],
      ["/transactions/tx_00009999999999999999zz", 404],
    ] as const) {
      const get = await e.app.request(path, { headers: { origin: APP, authorization: `Bearer ${token}` } });
      expect(get.status).toBe(status);
      expect(get.headers.get("access-control-allow-origin")).toBe(APP);
      expect(get.headers.get("access-control-expose-headers")).toBe("retry-after");
      expect(get.headers.get("access-control-allow-credentials")).toBeNull();
    }
    // Without a token, still readable: the app must see Monzo's 401 to know it must log in.
    const anonymous = await e.app.request("/accounts", { headers: { origin: APP } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("refuses other origins, and never opens the login pages or the control API", async () => {
    const e = emulator({ cors: { origins: [APP] } });
    const other = await preflight(e, "/accounts", "http://evil.example");
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const token = e.control.token();
    const get = await e.app.request("/accounts", {
      headers: { origin: "http://evil.example", authorization: `Bearer ${token}` },
    });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
    for (const path of ["/_emulator/approve", "/auth/app", "/auth/authorize", "/oauth2/token"]) {
      const res = await preflight(e, path, APP);
      expect(res.headers.get("access-control-allow-origin"), path).toBeNull();
      expect(res.status, path).not.toBe(204);
    }
    expect(
      (await e.app.request("/_emulator", { headers: { origin: APP } })).headers.get(
        "access-control-allow-origin",
      ),
    ).toBeNull();
  });

  it("also covers the file storage that attachment uploads go to", async () => {
    const e = emulator({ cors: { origins: [APP] } });
    const res = await e.app.request("/_storage/anything", {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "PUT" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  });
});

describe("CORS in a real browser", () => {
  let emu: RunningEmulator;
  let pages: Server;
  let listed: string;
  let unlisted: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    // Two origins serving the same page: one listed with --cors, one not (a different port is another origin).
    pages = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end("<!doctype html><title>app</title><p>app</p>");
    });
    await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
    const port = (pages.address() as AddressInfo).port;
    listed = `http://127.0.0.1:${port}`;
    unlisted = `http://localhost:${port}`;
    emu = await serveEmulator({ seed: "cors", transactions: 100, cors: { origins: [listed] } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => pages?.close(r));
    await emu?.close();
  });

  const callFrom = async (origin: string, token: string) => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    const result = await page.evaluate(
      async ([url, bearer]) => {
        try {
          const res = await fetch(`${url}/accounts`, { headers: { authorization: `Bearer ${bearer}` } });
          const body = (await res.json()) as { accounts: unknown[] };
          return { status: res.status, accounts: body.accounts.length };
        } catch (e) {
          return { error: String(e) };
        }
      },
      [emu.url, token] as const,
    );
    await page.close();
    return result;
  };

  it("a page on a listed origin reads the API with a bearer token (preflighted); another origin cannot", async () => {
    const token = emu.emulator.control.token();
    const ok = await callFrom(listed, token);
    expect(ok).toMatchObject({ status: 200 });
    expect((ok as { accounts: number }).accounts).toBeGreaterThan(0);
    const refused = await callFrom(unlisted, token);
    expect(refused).toEqual({ error: expect.stringContaining("Failed to fetch") });
    const counts = (await (await fetch(`${emu.url}/_emulator/counters`)).json()) as {
      requests: Record<string, number>;
    };
    expect(counts.requests["OPTIONS /accounts"] ?? counts.requests["OPTIONS (unmatched)"]).toBeGreaterThan(0);
  });

  it("a page cannot drive the control API, even from a listed origin", async () => {
    const before = emu.emulator.control.now();
    const page = await browser.context.newPage();
    await page.goto(`${listed}/`);
    const outcome = await page.evaluate(async (url) => {
      // A no-cors POST needs no preflight: the emulator must refuse it by its Origin.
      await fetch(`${url}/_emulator/clock`, {
        method: "POST",
        mode: "no-cors",
        body: '{"advance_seconds": 86400}',
      });
      return "sent";
    }, emu.url);
    await page.close();
    expect(outcome).toBe("sent");
    expect(emu.emulator.control.now() - before).toBeLessThan(60_000);
  });
});
