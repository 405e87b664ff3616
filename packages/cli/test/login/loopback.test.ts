/**
 * The login's callback server under hostile input: random methods, paths, queries and Host headers sent as
 * raw HTTP over a real loopback socket. Only an exact GET of the redirect path is taken, once; everything
 * else is a 404 (or 400 when it is not an origin-form target, or not HTTP at all); the server never dies.
 */
import { connect, createServer } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { startCallbackServer } from "../../src/login/loopback.js";

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
      await expect(startCallbackServer({ redirectUri: uri })).rejects.toBeInstanceOf(UsageError);
    }
  });

  it("random requests never take the callback or kill the server; the exact GET does, once (property)", async () => {
    const port = await freePort();
    const server = await startCallbackServer({
      redirectUri: `http://127.0.0.1:${port}/callback`,
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
        "GET /callback?code=c0de&state=st4te HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
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
    const server = await startCallbackServer({ redirectUri: `http://localhost:${port}/callback` });
    const first = fetch(`http://127.0.0.1:${port}/callback?code=one&state=s`);
    const url = await server.callback;
    const second = await fetch(`http://127.0.0.1:${port}/callback?code=two&state=s`);
    expect(second.status).toBe(410);
    server.finish({ ok: true });
    expect((await first).status).toBe(200);
    expect(url.searchParams.get("code")).toBe("one");
    await server.close();
  });
});
