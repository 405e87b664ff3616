/**
 * The broker login's return server under hostile input: any web page can reach 127.0.0.1, so random methods,
 * paths and queries go to it over a real socket. Only a GET of its exact random path with a well-formed
 * `confirm` is handed on; everything else is 404 or 400 and hands nothing on.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { startBrokerReturnServer } from "../../src/login/broker-return.js";
import { confirmationFromPaste } from "../../src/login/flow.js";

const CONFIRM = "c".repeat(43);

describe("the broker return server", () => {
  it("listens on 127.0.0.1 at a random path; hands on a well-formed confirmation and answers with the outcome", async () => {
    const server = await startBrokerReturnServer();
    const other = await startBrokerReturnServer();
    try {
      const url = new URL(server.returnTo);
      expect(url.hostname).toBe("127.0.0.1");
      expect(url.pathname).toMatch(/^\/monzokit\/broker\/[0-9a-f]{32}$/);
      expect(other.returnTo).not.toBe(server.returnTo);
      const answer = fetch(`${server.returnTo}?confirm=${CONFIRM}`);
      expect(await server.next(new AbortController().signal)).toBe(CONFIRM);
      server.finish({ ok: true });
      const page = await answer;
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("logged in");
    } finally {
      await server.close();
      await other.close();
    }
  });

  it("a refused confirmation's page says so, and the next one is waited for", async () => {
    const server = await startBrokerReturnServer();
    try {
      const first = fetch(`${server.returnTo}?confirm=${"f".repeat(43)}`);
      const signal = new AbortController().signal;
      expect(await server.next(signal)).toBe("f".repeat(43));
      const second = server.next(signal);
      expect((await first).status).toBe(400);
      const later = fetch(`${server.returnTo}?confirm=${CONFIRM}`);
      expect(await second).toBe(CONFIRM);
      server.finish({ ok: false, message: "no" });
      expect((await later).status).toBe(400);
      // Aborting a wait rejects it.
      const aborting = new AbortController();
      const waiting = server.next(aborting.signal);
      aborting.abort(new Error("gave up"));
      await expect(waiting).rejects.toThrow("gave up");
    } finally {
      await server.close();
    }
  });

  it("random requests never hand anything on (property, over HTTP)", async () => {
    const server = await startBrokerReturnServer();
    const { origin, pathname } = new URL(server.returnTo);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS"),
          fc.oneof(
            fc.constantFrom("/", "/monzokit/broker/", `${pathname}/`, `${pathname}x`, pathname.toUpperCase()),
            fc.webPath(),
            fc.constant(pathname),
          ),
          fc.oneof(
            fc.constant(""),
            fc.string({ maxLength: 80 }).map((q) => `?${q}`),
            fc.string({ maxLength: 60 }).map((c) => `?confirm=${encodeURIComponent(c)}`),
          ),
          async (method, path, query) => {
            const exact =
              method === "GET" && path === pathname && /^\?confirm=[A-Za-z0-9_-]{43}$/.test(query);
            fc.pre(!exact);
            const res = await fetch(`${origin}${path}${query}`, { method });
            expect([400, 404]).toContain(res.status);
            await res.body?.cancel();
          },
        ),
        { numRuns: 200 },
      );
      const aborting = new AbortController();
      const waiting = server.next(aborting.signal);
      aborting.abort(new Error("nothing came"));
      await expect(waiting).rejects.toThrow("nothing came");
    } finally {
      await server.close();
    }
  });

  it("a pasted return address, its query or the bare confirmation give the confirmation; anything else is a usage error", () => {
    expect(confirmationFromPaste(` http://127.0.0.1:4444/monzokit/broker/ab?confirm=${CONFIRM} `)).toBe(
      CONFIRM,
    );
    expect(confirmationFromPaste(`?confirm=${CONFIRM}`)).toBe(CONFIRM);
    expect(confirmationFromPaste(CONFIRM)).toBe(CONFIRM);
    for (const bad of ["", "http://127.0.0.1:1/x", "confirm=short", `http://x/?code=${CONFIRM}`])
      expect(() => confirmationFromPaste(bad)).toThrow(/address|pasted/);
  });
});
