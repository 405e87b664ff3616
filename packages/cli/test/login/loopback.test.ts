/**
 * The login's callback server under hostile input: random methods, paths, queries and Host headers sent as
 * raw HTTP over a real loopback socket. Only an exact GET of the redirect path is taken, once; everything
 * else is a 404 (or 400 when it is not an origin-form target, or not HTTP at all); the server never dies.
 */
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, connect, createServer } from "node:net";
import { AccessDeniedError, OAuthError, StateMismatchError } from "@monzokit/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { launchChromium } from "../../../../test-support/chromium.js";
import { UsageError } from "../../src/errors.js";
import { startCallbackServer } from "../../src/login/loopback.js";

const STATE = "Zq3-the-state-monzo-login-sent-9xJ";

/** Whether `promise` has settled by the time every task already queued has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Sends `head` as raw bytes (so nothing is normalised on the way) and returns the status, or "closed". */
async function raw(port: number, head: string): Promise<number | "closed"> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setTimeout(5000, () => socket.destroy());
    socket.on("data", (d) => {
      data += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve("closed"));
    socket.write(head);
  });
}

const token = fc.stringMatching(/^[A-Za-z0-9._~-]{0,40}$/);
const anything = fc.string({ unit: "binary", maxLength: 60 });
const method = fc.constantFrom(
  "GET",
  "POST",
  "PUT",
  "HEAD",
  "OPTIONS",
  "DELETE",
  "PATCH",
  "CONNECT",
  "TRACE",
);
const path = fc.oneof(
  fc.constantFrom(
    "/",
    "/callback/",
    "/Callback",
    "/callback/..",
    "//",
    "//evil.example/callback",
    "/%2e%2e/callback",
    "*",
  ),
  fc.constant("/").chain(() => token.map((t) => `/${t}`)),
  anything.map((t) => `/${encodeURIComponent(t)}`),
  fc.webUrl().map((u) => u),
);
const host = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("evil.example", "a b", "[::1", "127.0.0.1:1", "", "ünïcode.example", "x:y:z"),
  token,
);

describe("callback server", () => {
  it("refuses redirect URIs that are not on this machine", async () => {
    for (const uri of [
      "https://localhost:6600/callback",
      "http://example.com:6600/callback",
      "http://10.0.0.1/cb",
    ]) {
      await expect(startCallbackServer({ redirectUri: uri, state: STATE })).rejects.toBeInstanceOf(
        UsageError,
      );
    }
  });

  it("random requests never take the callback or kill the server; the exact GET does, once (property)", async () => {
    const port = await freePort();
    const server = await startCallbackServer({
      redirectUri: `http://127.0.0.1:${port}/callback`,
      state: STATE,
      timeoutMs: 60_000,
    });
    let taken: URL | undefined;
    void server.callback.then((u) => {
      taken = u;
    });
    try {
      await fc.assert(
        fc.asyncProperty(method, path, fc.option(token), host, async (m, p, query, h) => {
          const target = query === null ? p : `${p}?${query}`;
          fc.pre(!(m === "GET" && p.replace(/[\r\n ]/g, "") === "/callback"));
          const head = `${m} ${target.replace(/[\r\n ]/g, "")} HTTP/1.1\r\n${h === undefined ? "" : `Host: ${h.replace(/[\r\n]/g, "")}\r\n`}Connection: close\r\n\r\n`;
          const status = await raw(port, head);
          // 404 for anything routable, 400 from Node's parser for what is not HTTP; nothing else.
          expect([400, 404, "closed"]).toContain(status);
          expect(taken).toBeUndefined();
        }),
        { numRuns: 300 },
      );
      // Still alive, and a Host header cannot move the callback elsewhere. The browser's request is held
      // open until the login is finished.
      const held = raw(
        port,
        `GET /callback?code=c0de&state=${STATE} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
      );
      const url = await server.callback;
      server.finish({ ok: true });
      expect(await held).toBe(200);
      expect(url.origin).toBe(`http://127.0.0.1:${port}`);
      expect(url.searchParams.get("code")).toBe("c0de");
    } finally {
      await server.close();
    }
  });

  it("a second visit to the callback is told 410 and does not replace the first", async () => {
    const port = await freePort();
    const server = await startCallbackServer({
      redirectUri: `http://localhost:${port}/callback`,
      state: STATE,
    });
    const first = fetch(`http://127.0.0.1:${port}/callback?code=one&state=${STATE}`);
    const url = await server.callback;
    const second = await fetch(`http://127.0.0.1:${port}/callback?code=two&state=${STATE}`);
    expect(second.status).toBe(410);
    server.finish({ ok: true });
    expect((await first).status).toBe(200);
    expect(url.searchParams.get("code")).toBe("one");
    await server.close();
  });
});

describe("only the login it waits for ends it", () => {
  it("without our state, or with another, the callback path answers 400 and the server keeps waiting", async () => {
    const port = await freePort();
    const server = await startCallbackServer({
      redirectUri: `http://localhost:${port}/callback`,
      state: STATE,
    });
    try {
      const base = `http://127.0.0.1:${port}/callback`;
      for (const query of [
        "",
        "?code=planted",
        "?error=access_denied&error_description=You%20were%20logged%20out",
        "?code=planted&state=",
        "?code=planted&state=not-the-state",
        `?code=planted&state=${STATE}x`,
        `?code=planted&state=${STATE.slice(0, -1)}`,
        `?code=planted&state=${STATE.toLowerCase()}`,
        `?code=planted&state=not-the-state&state=${STATE}`,
        `?code=planted&state=${STATE}&state=${STATE}`,
        `?state=${STATE}`,
      ]) {
        const res = await fetch(`${base}${query}`);
        expect({ query, status: res.status }).toEqual({ query, status: 400 });
        const page = await res.text();
        expect(page).not.toContain("logged out");
        expect(page).toContain("not the login");
        expect(await settled(server.callback)).toBe(false);
      }
      // The real redirect still gets through, with its own code.
      const real = fetch(`${base}?code=the-real-code&state=${STATE}`);
      const url = await server.callback;
      expect(url.searchParams.get("code")).toBe("the-real-code");
      server.finish({ ok: true });
      expect((await real).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("our state with Monzo's error ends the login, and the page shows only our own words", async () => {
    const port = await freePort();
    const server = await startCallbackServer({
      redirectUri: `http://127.0.0.1:${port}/callback`,
      state: STATE,
    });
    const description = "Call +44 0000 to restore access\u001b]8;;https://evil.example\u0007here";
    const held = fetch(
      `http://127.0.0.1:${port}/callback?error=access_denied&error_description=${encodeURIComponent(description)}&state=${STATE}`,
    );
    await server.callback;
    server.finish({ ok: false, error: new AccessDeniedError(description) });
    const res = await held;
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain("Login failed");
    expect(page).toContain("did not allow access");
    expect(page).not.toContain("+44");
    expect(page).not.toContain("evil.example");
    await server.close();
  });

  it("the page for each failure is ours: denied, another error, anything else", async () => {
    for (const [error, words] of [
      [new AccessDeniedError("attacker text"), "did not allow access"],
      [new StateMismatchError(), "terminal"],
      [new OAuthError(400, undefined, "invalid_request", "attacker text", "attacker hint"), "terminal"],
      [new Error("attacker text"), "terminal"],
      [undefined, "terminal"],
    ] as const) {
      const port = await freePort();
      const server = await startCallbackServer({
        redirectUri: `http://127.0.0.1:${port}/callback`,
        state: STATE,
      });
      const held = fetch(`http://127.0.0.1:${port}/callback?code=c&state=${STATE}`);
      await server.callback;
      server.finish({ ok: false, error });
      const page = await (await held).text();
      expect(page).toContain(words);
      expect(page).not.toContain("attacker");
      await server.close();
    }
  });

  it("a web page on another loopback origin embedding the callback in <img> tags does not end the login (Chromium)", async () => {
    const port = await freePort();
    const server = await startCallbackServer({
      redirectUri: `http://localhost:${port}/callback`,
      state: STATE,
    });
    const hits: string[] = [];
    const hostile = createHttpServer((req, res) => {
      hits.push(req.url ?? "");
      const cb = `http://localhost:${port}/callback`;
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>cat pictures</title>
        <img src="${cb}">
        <img src="${cb}?code=planted">
        <img src="${cb}?error=access_denied&amp;error_description=%1b%5b2J%1b%5b31mSession%20expired">
        <img src="${cb}?code=planted&amp;state=guess">
        <img src="http://127.0.0.1:${port}/callback?code=planted">
        <img src="http://[::1]:${port}/callback?code=planted">`);
    });
    await new Promise<void>((r) => hostile.listen(0, "127.0.0.1", r));
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      // How each image request ended: answered with a status, or the answer withheld from the page by
      // Chromium's opaque-response blocking (ORB) — which needs an answer: our 400 page is no image.
      const outcomes: string[] = [];
      const allAnswered = new Promise<void>((resolve) => {
        const record = (outcome: string) => {
          outcomes.push(outcome);
          if (outcomes.length === 6) resolve();
        };
        page.on("response", (r) => {
          if (new URL(r.url()).pathname === "/callback") record(String(r.status()));
        });
        page.on("requestfailed", (r) => {
          if (new URL(r.url()).pathname === "/callback") record(r.failure()?.errorText ?? "failed");
        });
      });
      await page.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
      await allAnswered;
      await page.waitForFunction(() => [...document.images].every((i) => i.complete));
      expect(await page.evaluate(() => document.images.length)).toBe(6);
      await page.close();
      for (const outcome of outcomes) expect(["400", "net::ERR_BLOCKED_BY_ORB"]).toContain(outcome);
      expect(await settled(server.callback)).toBe(false);
      // And the login it waits for still arrives.
      const real = fetch(`http://127.0.0.1:${port}/callback?code=the-real-code&state=${STATE}`);
      expect((await server.callback).searchParams.get("code")).toBe("the-real-code");
      server.finish({ ok: true });
      expect((await real).status).toBe(200);
    } finally {
      await browser.close();
      await new Promise((r) => hostile.close(r));
      await server.close();
    }
  }, 60_000);
});
