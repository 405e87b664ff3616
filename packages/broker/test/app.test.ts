import { redact } from "@monzokit/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, type PendingSession, type RateLimit } from "../src/index.js";
import { CLIENT, confirmationFrom, consent, NEW, RETURN_TO, setup } from "./helpers.js";

type Json = Record<string, unknown>;

async function start(app: ReturnType<typeof setup>["app"]) {
  const res = await app.request(NEW);
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; login_url: string; expires_at: string; poll_url: string };
}

/** The person presses Allow; returns the path the app then collects from, with its confirmation. */
async function allow(
  e: ReturnType<typeof setup>["e"],
  app: ReturnType<typeof setup>["app"],
  session: { id: string; login_url: string },
) {
  const callback = await app.request(await consent(e, session.login_url));
  return `/token?id=${session.id}&confirm=${confirmationFrom(callback)}`;
}

describe("broker protocol", () => {
  it("/new → login at Monzo → /callback → /token once: tokens with a refresh token; the second collect is 410", async () => {
    const { e, app } = setup();
    const session = await start(app);
    const state = new URL(session.login_url).searchParams.get("state")!;
    expect(state).not.toBe(session.id);
    expect(state.length).toBeGreaterThanOrEqual(43);
    expect(session.id.length).toBeGreaterThanOrEqual(43);
    expect(JSON.stringify(session)).not.toContain(`"state"`);
    expect(new URL(session.login_url).searchParams.get("redirect_uri")).toBe(
      "http://127.0.0.1:7700/callback",
    );

    expect(session).toMatchObject({ binding: "loopback" });
    expect((await app.request(`/token?id=${session.id}`)).status).toBe(202);
    const callback = await app.request(await consent(e, session.login_url));
    // Back to the app's own loopback address, with a one-time confirmation.
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toMatch(new RegExp(`^${RETURN_TO}\\?confirm=[\\w-]{43}$`));
    expect(callback.headers.get("referrer-policy")).toBe("no-referrer");
    const confirm = confirmationFrom(callback);
    expect(await (await app.request(`/token?id=${session.id}`)).json()).toMatchObject({
      status: "awaiting_confirmation",
    });

    const collected = await app.request(`/token?id=${session.id}&confirm=${confirm}`);
    expect(collected.status).toBe(200);
    const tokens = (await collected.json()) as Json;
    expect(tokens).toMatchObject({
      token_type: "Bearer",
      client_id: CLIENT.id,
      access_token: expect.stringMatching(/^ey/),
      refresh_token: expect.stringMatching(/^ey/),
    });
    // The original broker's names ride along.
    expect(tokens["token"]).toBe(tokens["access_token"]);
    expect(tokens["expires"]).toBe(tokens["expires_at"]);
    expect((await app.request(`/token?id=${session.id}&confirm=${confirm}`)).status).toBe(410);
  });

  it("a long-poll (wait=) returns as soon as the person comes back", async () => {
    const { e, app } = setup();
    const session = await start(app);
    const polling = app.request(`/token?id=${session.id}&wait=5`);
    const collect = await allow(e, app, session);
    // Without the confirmation the long-poll ends as soon as the person is back: the app fetches it next.
    expect(await (await polling).json()).toMatchObject({ status: "awaiting_confirmation" });
    expect((await app.request(`${collect}&wait=5`)).status).toBe(200);
  });

  it("two collectors racing: exactly one gets the tokens", async () => {
    const { e, app } = setup();
    const session = await start(app);
    const collect = await allow(e, app, session);
    const results = await Promise.all(Array.from({ length: 6 }, () => app.request(collect)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410, 410]);
  });

  it("denial is reported to the poller as 403 access_denied, once", async () => {
    const { e, app } = setup();
    const session = await start(app);
    const page = await app.request(await consent(e, session.login_url, "deny"));
    expect(await page.text()).toContain("Access denied");
    const res = await app.request(`/token?id=${session.id}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json)["error"]).toBe("access_denied");
    expect((await app.request(`/token?id=${session.id}`)).status).toBe(410);
  });

  it("unknown or expired state at /callback shows an error page and stores nothing", async () => {
    let now = Date.parse("2026-06-01T12:00:00Z");
    const { e, app } = setup({ now: () => now });
    const bad = await app.request(`/callback?code=stolen&state=${"x".repeat(43)}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("expired");
    const session = await start(app);
    const callbackPath = await consent(e, session.login_url);
    now += 11 * 60_000;
    expect((await app.request(callbackPath)).status).toBe(400);
    expect((await app.request(`/token?id=${session.id}`)).status).toBe(410);
  });

  it("unknown ids are 404, malformed ones 400", async () => {
    const { app } = setup();
    expect((await app.request(`/token?id=${"a".repeat(43)}`)).status).toBe(404);
    expect((await app.request("/token?id=short")).status).toBe(400);
    expect((await app.request("/token")).status).toBe(400);
  });

  it("Monzo refusing the exchange is a 502 with Monzo's code, never an empty token", async () => {
    const { e, app } = setup({ config: { clientSecret: "mnzconf.wrong-secret-for-test" } });
    const session = await start(app);
    const res = await app.request(await allow(e, app, session));
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      error: "monzo_error",
      code: "bad_request.could_not_authenticate",
    });
  });

  it("/refresh adds the secret and rotates; a spent refresh token passes Monzo's 401 through", async () => {
    const { e, app } = setup();
    const session = await start(app);
    const first = (await (await app.request(await allow(e, app, session))).json()) as Json;
    const refresh = (body: string, type = "application/json") =>
      app.request("/refresh", { method: "POST", headers: { "content-type": type }, body });
    const next = await refresh(JSON.stringify({ refresh_token: first["refresh_token"] }));
    expect(next.status).toBe(200);
    const rotated = (await next.json()) as Json;
    expect(rotated["refresh_token"]).not.toBe(first["refresh_token"]);
    const again = await refresh(
      `refresh_token=${encodeURIComponent(String(first["refresh_token"]))}`,
      "application/x-www-form-urlencoded",
    );
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: "unauthorized.bad_refresh_token" });
    expect((await refresh("{}")).status).toBe(400);
    expect((await refresh("{not json")).status).toBe(400);
  });

  it("rate limits per client on /new, security headers, no CORS unless configured", async () => {
    const { app } = setup({ config: { rateLimits: { new: 2, token: 1000, refresh: 1000 } } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.request(NEW)).status);
    expect(codes).toEqual([201, 201, 429]);
    const res = await app.request("/healthz", { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = setup({ config: { corsOrigins: ["https://app.example"] } });
    const ok = await allowed.app.request("/healthz", { headers: { origin: "https://app.example" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example");
    // The headers are shared by every response: CORS on one response must not leak into the next.
    const after = await allowed.app.request("/healthz");
    expect(after.headers.get("access-control-allow-origin")).toBeNull();
    expect(after.headers.get("x-frame-options")).toBe("DENY");
  });

  it("every kind of response is uncacheable and hardened; pages carry the browser set too", async () => {
    const { app } = setup({
      config: { publicUrl: "https://broker.example", rateLimits: { new: 1, token: 1000, refresh: 1000 } },
    });
    const responses = [
      await app.request(NEW),
      await app.request(NEW), // 429
      await app.request("/token?id=short"), // 400
      await app.request("/nowhere"), // 404
      await app.request("/callback?state=unknown-state-xxxxxxxxxxxxxxxx&code=c"), // page
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 429, 400, 404, 400]);
    for (const res of responses) {
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    }
    expect(responses[1]!.headers.get("retry-after")).toBe("60");
    expect(responses[0]!.headers.get("retry-after")).toBeNull();
    const page = responses[4]!;
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(responses[0]!.headers.get("referrer-policy")).toBeNull();
    // A broker on plain HTTP (local use) does not send HSTS, which browsers would ignore there anyway.
    const local = await setup().app.request("/healthz");
    expect(local.headers.get("strict-transport-security")).toBeNull();
    expect(local.headers.get("cache-control")).toBe("no-store");
  });

  it("logs one line per request: method, path without its query, status", async () => {
    const { app, logs } = setup();
    const id = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    await app.request(`/token?id=${id}`);
    await app.request("/refresh", { method: "POST", body: "refresh_token=short" });
    await app.request("http://broker.example");
    const lines = logs.filter((l) => l.message === "request").map((l) => l.fields);
    expect(lines).toMatchObject([
      { method: "GET", path: "/token", status: 404 },
      { method: "POST", path: "/refresh", status: 400 },
      { method: "GET", path: "/", status: 404 },
    ]);
    expect(lines.every((l) => typeof l["ms"] === "number")).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(id);
  });

  it("refuses bodies over 16 KiB", async () => {
    const { app } = setup();
    const res = await app.request("/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: "x".repeat(20_000) }),
    });
    expect(res.status).toBe(413);
  });

  it("random requests to every route never produce a 5xx or a secret (property)", async () => {
    const { e, app, logs } = setup();
    const session = await start(app);
    const tokens = (await (await app.request(await allow(e, app, session))).json()) as Json;
    const secrets = [CLIENT.secret, String(tokens["refresh_token"])];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS"),
        fc.constantFrom("/new", "/callback", "/token", "/refresh", "/healthz", "/nope", "/token/"),
        fc.array(
          fc.tuple(
            fc.constantFrom("id", "wait", "state", "code", "error", "confirm", "return_to", "x"),
            fc.oneof(fc.string(), fc.constant(session.id), fc.constant("999")),
          ),
          { maxLength: 4 },
        ),
        fc.oneof(
          fc.constant(undefined),
          fc.string({ maxLength: 300 }),
          fc.jsonValue().map((j) => JSON.stringify(j)),
        ),
        fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"),
        async (method, path, query, body, type) => {
          const q = new URLSearchParams(query).toString();
          const init: RequestInit = { method, headers: { "content-type": type } };
          if (body !== undefined && method !== "GET") init.body = body;
          const res = await app.request(`${path}${q ? `?${q}` : ""}`, init);
          expect(res.status).toBeLessThan(500);
          const text = await res.text();
          for (const s of secrets) expect(text).not.toContain(s);
        },
      ),
      { numRuns: 200 },
    );
    const logged = JSON.stringify(logs);
    for (const s of [...secrets, String(tokens["access_token"])]) expect(logged).not.toContain(s);
    expect(logged).not.toContain("code=");
  });

  it("with a store that answers at once, /new and a pending poll answer synchronously (the Node fast path)", async () => {
    const { app } = setup();
    const created = app.fetch(new Request(`http://broker.test${NEW}`, { method: "POST" }));
    expect(created).toBeInstanceOf(Response);
    const { id } = (await (created as Response).json()) as { id: string };
    const polled = app.fetch(new Request(`http://broker.test/token?id=${id}`));
    expect(polled).toBeInstanceOf(Response);
    expect((polled as Response).status).toBe(202);
    // Anything that needs more (a missing session, a long-poll) still answers, through the slow path.
    const missing = await app.fetch(new Request(`http://broker.test/token?id=${"x".repeat(43)}`));
    expect(missing.status).toBe(404);
  });

  it("a store that fails at once or later is a 503 with Retry-After, on every hot route", async () => {
    class Broken extends MemorySessionStore {
      constructor(private readonly later: boolean) {
        super();
      }
      #fail(): never {
        throw new Error("store went away");
      }
      override createIfAllowed(): "created" {
        if (this.later) return Promise.reject(new Error("store went away")) as never;
        return this.#fail();
      }
      override getCounting(): { allowed: boolean; session: undefined } {
        if (this.later) return Promise.reject(new Error("store went away")) as never;
        return this.#fail();
      }
    }
    for (const later of [false, true]) {
      const { app, logs } = setup({ store: new Broken(later) });
      for (const [method, path] of [
        ["POST", NEW],
        ["GET", `/token?id=${"x".repeat(43)}`],
      ] as const) {
        const res = await app.request(path, { method });
        expect({ later, path, status: res.status }).toEqual({ later, path, status: 503 });
        expect(res.headers.get("retry-after")).toBe("5");
      }
      expect(JSON.stringify(logs)).toContain("store failure");
    }
  });
});

describe("redaction is not a list a request can fill (F7)", () => {
  it("refresh tokens and codes sent by callers are not registered; the client secret stays masked after 300 refreshes", async () => {
    const secret = "broker-configured-secret-not-token-shaped";
    const { app } = setup({ config: { clientSecret: secret } });
    for (let i = 0; i < 300; i++)
      await app.request("/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: `caller-chosen-text-${i}` }),
      });
    const session = await start(app);
    const state = new URL(session.login_url).searchParams.get("state")!;
    const callback = await app.request(`/callback?state=${state}&code=attacker-chosen-code-text`);
    await app.request(`/token?id=${session.id}&confirm=${confirmationFrom(callback)}`);
    // Another user's error that happens to contain these words is shown as it is.
    expect(redact("caller-chosen-text-7 and attacker-chosen-code-text")).toBe(
      "caller-chosen-text-7 and attacker-chosen-code-text",
    );
    expect(redact(`leaked ${secret}`)).toBe("leaked [redacted]");
  });
});

describe("who the client is, and what a client can make the broker hold (F4)", () => {
  const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
  const statuses = async (responses: (Response | Promise<Response>)[]) =>
    (await Promise.all(responses)).map((r) => r.status);

  it("behind one proxy (BROKER_TRUST_PROXY=1) the hop the proxy appended is the client, not what the client wrote", async () => {
    const { app } = setup({ config: { trustProxy: 1, rateLimits: { new: 2, token: 1000, refresh: 1000 } } });
    const spoofed = (i: number) =>
      app.request(NEW, { headers: { "x-forwarded-for": `10.9.${i}.1, 198.51.100.7` } }, peer("10.0.0.2"));
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await spoofed(i)).status);
    expect(codes).toEqual([201, 201, 429, 429]);
    const other = await app.request(
      NEW,
      { headers: { "x-forwarded-for": "198.51.100.8" } },
      peer("10.0.0.2"),
    );
    expect(other.status).toBe(201);
  });

  it("with the proxies' addresses configured: the rightmost hop that is not one; a peer that is not a proxy is the client", async () => {
    const { app } = setup({
      config: { trustProxy: ["10.0.0.0/8", "::1"], rateLimits: { new: 1, token: 1000, refresh: 1000 } },
    });
    const via = (xff: string, from = "10.0.0.2") =>
      app.request(NEW, { headers: { "x-forwarded-for": xff } }, peer(from));
    expect(await statuses([via("1.1.1.1, 203.0.113.1, 10.0.0.7")])).toEqual([201]);
    // Same client behind the same proxies, whatever it wrote on the left.
    expect(await statuses([via("9.9.9.9, 203.0.113.1, 10.0.0.7")])).toEqual([429]);
    // Straight from the internet: the header is the client's own words and is ignored.
    expect(await statuses([via("203.0.113.50", "192.0.2.1"), via("203.0.113.51", "192.0.2.1")])).toEqual([
      201, 429,
    ]);
  });

  it("IPv6 callers are one client per /64; an IPv4-mapped address is its IPv4 address", async () => {
    const { app } = setup({ config: { rateLimits: { new: 2, token: 1000, refresh: 1000 } } });
    const from = (address: string) => app.request(NEW, {}, peer(address));
    const six = [];
    for (const a of ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:abcd:1:2:3"])
      six.push((await from(a)).status);
    expect(six).toEqual([201, 201, 429]);
    expect((await from("2001:db8:1:3::1")).status).toBe(201);
    const four = [];
    for (const a of ["203.0.113.5", "::ffff:203.0.113.5", "::ffff:cb00:7105"])
      four.push((await from(a)).status);
    expect(four).toEqual([201, 201, 429]);
  });

  it("pending sessions are capped: over the cap /new is 503 with Retry-After and holds nothing more", async () => {
    const { app, store } = setup({ config: { maxPendingSessions: 3 } });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await app.request(NEW, {}, peer(`203.0.113.${i}`)));
    expect(codes.map((r) => r.status)).toEqual([201, 201, 201, 503, 503]);
    expect(codes[3]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await codes[3]!.json()).toMatchObject({ error: "busy" });
    expect((store as MemorySessionStore).size).toBe(3);
  });

  it("a flood of /new from 5,000 addresses leaves the memory store bounded: sessions and rate-limit keys", async () => {
    const store = new MemorySessionStore(undefined, { maxRateLimitKeys: 1000 });
    const { app } = setup({
      store,
      config: { maxPendingSessions: 200, rateLimits: { new: 1, token: 1000, refresh: 1000 } },
    });
    for (let i = 0; i < 5000; i++)
      await app.request(NEW, {}, peer(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
    expect(store.size).toBe(200);
    expect(store.rateLimitKeys).toBeLessThanOrEqual(1000 + 3);
  });
});

describe("a login is bound to the app that started it (F2)", () => {
  it("a login URL opened by someone else does not give its sender that person's tokens", async () => {
    const { e, app } = setup();
    // The sender starts a login (naming a loopback address of their own machine) and sends the link.
    const sent = await start(app);
    // The person it was sent to logs in at Monzo; the broker sends *their* browser back to that address on
    // *their* machine, where the sender is not listening.
    const callback = await app.request(await consent(e, sent.login_url));
    expect(callback.status).toBe(303);
    expect(new URL(callback.headers.get("location")!).origin).toBe(new URL(RETURN_TO).origin);
    // The sender polls, long-polls, and guesses: never the tokens.
    const answers: Response[] = [
      await app.request(`/token?id=${sent.id}`),
      await app.request(`/token?id=${sent.id}&wait=1`),
    ];
    for (let i = 0; i < 20; i++)
      answers.push(
        await app.request(`/token?id=${sent.id}&confirm=${"A".repeat(42)}${"ABCDEFGHIJKLMNOPQRST"[i]}`),
      );
    for (const answer of answers) {
      expect(answer.status).not.toBe(200);
      expect(await answer.text()).not.toContain("access_token");
    }
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([202, 202]);
    expect(new Set(answers.slice(2).map((a) => a.status))).toEqual(new Set([403]));
    // Wrong guesses did not burn the login: the person's own app (holding the confirmation) still could.
    expect((await app.request(`/token?id=${sent.id}&confirm=${confirmationFrom(callback)}`)).status).toBe(
      200,
    );
  });

  it("the confirmation is useless without the poll id, and single-use with it", async () => {
    const { e, app } = setup();
    const one = await start(app);
    const two = await start(app);
    const confirm = confirmationFrom(await app.request(await consent(e, one.login_url)));
    await app.request(await consent(e, two.login_url));
    expect((await app.request(`/token?id=${two.id}&confirm=${confirm}`)).status).toBe(403);
    expect((await app.request(`/token?id=${one.id}&confirm=${confirm}`)).status).toBe(200);
    expect((await app.request(`/token?id=${one.id}&confirm=${confirm}`)).status).toBe(410);
  });

  it("return_to must be a loopback IP literal with a port and a plain path; anything else is refused", async () => {
    const { app } = setup();
    for (const bad of [
      "https://evil.example/cb",
      "http://evil.example:8080/cb",
      "http://localhost:45999/cb",
      "http://127.0.0.2:45999/cb",
      "http://127.0.0.1/cb",
      "http://127.0.0.1:0/cb",
      "http://127.0.0.1:70000/cb",
      "http://127.0.0.1:45999/cb?next=https://evil.example",
      "http://127.0.0.1:45999/cb#x",
      "http://user@127.0.0.1:45999/cb",
      "http://127.0.0.1:45999@evil.example/cb",
      "http://127.0.0.1:45999/%0d%0aSet-Cookie:x",
      "javascript:alert(1)",
      "",
    ]) {
      const res = await app.request(`/new?return_to=${encodeURIComponent(bad)}`);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    for (const good of ["http://127.0.0.1:1/", "http://[::1]:65535/monzokit/return-x_y.z~"])
      expect((await app.request(`/new?return_to=${encodeURIComponent(good)}`)).status).toBe(201);
  });

  it("without return_to /new is refused, unless the operator allows unbound logins (the original protocol)", async () => {
    const bound = setup();
    const refused = await bound.app.request("/new");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "return_to_required" });

    const { e, app } = setup({ config: { unboundLogins: true } });
    const session = (await (await app.request("/new")).json()) as { id: string; login_url: string };
    expect(session).toMatchObject({ binding: "none" });
    const page = await app.request(await consent(e, session.login_url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("return to your app");
    expect((await app.request(`/token?id=${session.id}`)).status).toBe(200);
    // A bound login on such a broker is still bound.
    const strict = await start(app);
    await app.request(await consent(e, strict.login_url));
    expect((await app.request(`/token?id=${strict.id}`)).status).toBe(202);
  });
});

describe("a parked code opens only with the confirmation it was parked for (N2)", () => {
  /**
   * A store that lies about the confirmation's hash, as a store without authenticated records could be made
   * to: it answers with the hash of a confirmation the sender of the link knows, or with none.
   */
  class LyingStore extends MemorySessionStore {
    constructor(readonly swap: string | undefined) {
      super();
    }
    #lie(session: PendingSession | undefined): PendingSession | undefined {
      if (session?.confirmHash === undefined) return session;
      const { confirmHash: _real, ...rest } = session;
      return this.swap === undefined ? rest : { ...rest, confirmHash: this.swap };
    }
    override async get(id: string) {
      return this.#lie(await super.get(id));
    }
    override async take(id: string) {
      return this.#lie(await super.take(id));
    }
    override getCounting(id: string, limit: RateLimit) {
      const { allowed, session } = super.getCounting(id, limit);
      return { allowed, session: this.#lie(session) };
    }
  }

  it("a code parked for one confirmation hash does not open when the store answers with another, or with none", async () => {
    const known = "K".repeat(43);
    const knownHash = Buffer.from(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(known)),
    ).toString("base64url");
    for (const swap of [knownHash, undefined]) {
      const { e, app, logs } = setup({ store: new LyingStore(swap) });
      const sent = await start(app);
      const callback = await app.request(await consent(e, sent.login_url));
      expect(callback.status).toBe(303);
      const stolen = await app.request(
        `/token?id=${sent.id}${swap === undefined ? "" : `&confirm=${known}`}`,
      );
      expect(stolen.status).toBe(500);
      expect(await stolen.text()).not.toContain("access_token");
      expect(logs.some((l) => /does not open/.test(l.message))).toBe(true);
    }
  });

  it("with an honest store, bound and unbound logins still collect (the memory store is unaffected)", async () => {
    const { e, app } = setup({ config: { unboundLogins: true } });
    const bound = await start(app);
    expect((await app.request(await allow(e, app, bound))).status).toBe(200);
    const unbound = (await (await app.request("/new")).json()) as { id: string; login_url: string };
    await app.request(await consent(e, unbound.login_url));
    // An unbound login's poller may send a confirm it does not need: it is ignored, as before.
    expect((await app.request(`/token?id=${unbound.id}&confirm=${"C".repeat(43)}`)).status).toBe(200);
  });
});
