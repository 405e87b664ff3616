import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorLogin } from "../../../test-support/emulator-login.js";
import { EXIT } from "../src/errors.js";
import { main } from "../src/main.js";
import { debugFetch } from "../src/session.js";
import { fakeIo, tempHome } from "./helpers.js";

describe("--debug output", () => {
  it("never shows a broker's collection handle or confirmation, nor a token in a body", async () => {
    const { io, stderr } = fakeIo();
    const id = "broker-poll-handle-0123456789abcdefghijklmn";
    const confirm = "broker-confirmation-0123456789abcdefghijkl";
    const inner = (async () => new Response("{}", { status: 202 })) as typeof fetch;
    const traced = debugFetch(io, inner);
    await traced(`https://broker.example/token?id=${id}&confirm=${confirm}&wait=25`);
    await traced(`https://broker.example/new?return_to=${encodeURIComponent("http://127.0.0.1:1/x")}`, {
      method: "POST",
    });
    await traced("https://api.monzo.com/balance?account_id=acc_0001");
    const inner2 = (async () => {
      throw new Error(`connect ECONNREFUSED for /token?id=${id}`);
    }) as typeof fetch;
    await debugFetch(io, inner2)(`https://broker.example/token?id=${id}`).catch(() => {});
    const text = stderr();
    expect(text).not.toContain(id);
    expect(text).not.toContain(confirm);
    expect(text).toContain("/token?id=[redacted]&confirm=[redacted]&wait=25");
    // Everything else stays readable.
    expect(text).toContain("account_id=acc_0001");
    expect(text).toContain("return_to=");
  });
});

describe("the configured client secret", () => {
  it("is masked in every output for the life of the process, though it does not look like a token", async () => {
    // Not `mnzconf.`-shaped and never after `client_secret=`: only registering it can mask it.
    const secret = "Plain-Configured-Secret-4f7c2a";
    // An API that echoes it back in its error text, as a misbehaving server or proxy might.
    const api = createServer((_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "bad_request.bad_param", message: `unknown client ${secret} here` }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    try {
      const home = await tempHome();
      await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
      await writeFile(
        join(home, "tokens", "default.json"),
        JSON.stringify({
          accessToken: "access-token-0001",
          expiresAt: Date.now() + 3_600_000,
          userId: "user_1",
          clientId: "oauth2client_0001",
        }),
        { mode: 0o600 },
      );
      const env = {
        MONZOKIT_HOME: home,
        MONZO_TOKEN_STORE: "file",
        MONZO_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        MONZO_CLIENT_ID: "oauth2client_0001",
        MONZO_CLIENT_SECRET: secret,
      };
      for (const argv of [["accounts"], ["accounts", "--debug"]]) {
        const t = fakeIo(env, { cwd: home });
        expect(await main(argv, t.io), t.stderr()).toBe(1);
        expect(t.stderr()).toContain("unknown client [redacted] here");
        expect(t.stderr()).not.toContain(secret);
      }
    } finally {
      api.close();
    }
  });
});

/**
 * A login's tokens go only to the API they were made at, and a broker in the environment that this run
 * never uses refuses nothing. The emulator is the person's Monzo; a loopback recorder — allowed by the host
 * rules, as any loopback URL is — relays to it and records everything it is sent, standing in for another
 * API set later (an emulator for other work, a proxy, another local user's listener).
 */
describe("a login is used only at the API it was made at", () => {
  const CLIENT = {
    id: "oauth2client_0000LoginApiSession001",
    secret: "mnzconf.login-api-session-secret",
  };
  const BROKER_CLIENT = {
    id: "oauth2client_0000LoginApiBroker0001",
    secret: "mnzconf.login-api-broker-secret",
  };
  let emu: import("@monzokit/emulator").RunningEmulator;
  let redirectUri: string;
  let recorder: import("node:http").Server;
  let recorderUrl: string;
  const seen: string[] = [];
  let broker: import("node:http").Server;
  let brokerUrl: string;
  const brokerSaw: string[] = [];

  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });

  beforeAll(async () => {
    const { serveEmulator } = await import("@monzokit/emulator");
    emu = await serveEmulator({ seed: "login-api", autoConsent: true, autoApprove: true }, { port: 0 });
    redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    emu.emulator.control.addClient({ ...CLIENT, redirectUris: [redirectUri], confidential: true });
    recorder = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""} ${body}`);
        const upstream = await fetch(`${emu.url}${req.url}`, {
          method: req.method ?? "GET",
          headers: Object.fromEntries(
            ["authorization", "content-type", "accept"]
              .filter((h) => typeof req.headers[h] === "string")
              .map((h) => [h, req.headers[h] as string]),
          ),
          ...(body ? { body } : {}),
        });
        res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
    recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    // A real broker (its own client and secret) on loopback, refreshing at the emulator.
    const { createBrokerApp, MemorySessionStore } = await import("@monzokit/broker");
    const { getRequestListener } = await import("@hono/node-server");
    const port = await freePort();
    brokerUrl = `http://127.0.0.1:${port}`;
    emu.emulator.control.addClient({
      ...BROKER_CLIENT,
      redirectUris: [`${brokerUrl}/callback`],
      confidential: true,
    });
    const app = createBrokerApp({
      config: {
        clientId: BROKER_CLIENT.id,
        clientSecret: BROKER_CLIENT.secret,
        publicUrl: brokerUrl,
        authUrl: emu.authUrl,
        apiUrl: emu.url,
        codeKey: crypto.getRandomValues(new Uint8Array(32)),
        sessionTtlMs: 600_000,
        maxWaitSeconds: 5,
        rateLimits: { new: 100, token: 1000, refresh: 100 },
        corsOrigins: [],
        trustProxy: false,
        allowInsecure: false,
      },
      store: new MemorySessionStore(),
    });
    const listener = getRequestListener((request) => {
      brokerSaw.push(`${request.method} ${new URL(request.url).pathname}`);
      return app.fetch(request);
    });
    broker = createServer((req, res) => void listener(req, res));
    await new Promise<void>((resolve) => broker.listen(port, "127.0.0.1", resolve));
  }, 60_000);

  afterAll(async () => {
    await new Promise((r) => recorder?.close(r));
    await new Promise((r) => broker?.close(r));
    await emu?.close();
  });

  beforeEach(() => {
    seen.length = 0;
    brokerSaw.length = 0;
  });

  /** The person's own setup: the emulator as their Monzo, saved in the profile with their client and secret. */
  const own = (home: string) => ({
    MONZOKIT_HOME: home,
    MONZO_TOKEN_STORE: "file",
    MONZO_DOTENV: "",
    TZ: "UTC",
  });

  async function run(home: string, argv: string[], extra: Record<string, string> = {}) {
    const f = fakeIo(
      { ...own(home), ...extra },
      {
        cwd: home,
        // "The browser": follows the auto-consent redirect to the login's callback.
        openBrowser: async (url) => {
          void fetch(url).then((r) => r.text());
          return { opened: true as const };
        },
      },
    );
    const code = await main(argv, f.io);
    return { code, out: f.stdout(), err: f.stderr() };
  }

  /** `monzo login` with this machine's client at `apiUrl` (the emulator); the access token then close to expiry. */
  async function clientLogin(apiUrl = emu.url) {
    const home = await tempHome();
    await mkdir(join(home, "profiles"), { recursive: true, mode: 0o700 });
    await writeFile(
      join(home, "profiles", "default.json"),
      JSON.stringify({
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
        redirectUri,
        apiUrl,
        authUrl: emu.authUrl,
      }),
      { mode: 0o600 },
    );
    const login = await run(home, ["login", "--no-wait", "--quiet"]);
    expect(login.code, login.err).toBe(0);
    const file = join(home, "tokens", "default.json");
    const tokens = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    // One minute left: the next command would refresh (refresh token and client secret on the wire).
    await writeFile(file, JSON.stringify({ ...tokens, expiresAt: Date.now() + 60_000 }), { mode: 0o600 });
    return { home, file, tokens: JSON.parse(await readFile(file, "utf8")) as Record<string, string> };
  }

  /** What the recorder must never have seen: the login's tokens and this machine's client secret. */
  function expectNothingSent(tokens: Record<string, string>) {
    const text = seen.join("\n");
    expect(text).not.toContain(tokens["accessToken"]);
    expect(text).not.toContain(tokens["refreshToken"]);
    expect(text).not.toContain(CLIENT.secret);
    expect(seen).toEqual([]);
  }

  it("--debug: the note naming an API that is not Monzo's comes before the first request to it", async () => {
    const home = await tempHome();
    const env = {
      MONZO_CLIENT_ID: CLIENT.id,
      MONZO_CLIENT_SECRET: CLIENT.secret,
      MONZO_REDIRECT_URI: redirectUri,
      MONZO_API_URL: emu.url,
      MONZO_AUTH_URL: emu.authUrl,
    };
    const login = await run(home, ["--debug", "login", "--no-wait"], env);
    expect(login.code, login.err).toBe(0);
    const lines = login.err.split("\n");
    const note = lines.findIndex((l) => l.startsWith(`note: the API is ${emu.url} (MONZO_API_URL`));
    const exchange = lines.findIndex((l) => /^→ POST http:\/\/127\.0\.0\.1:\d+\/oauth2\/token/.test(l));
    expect(note, login.err).toBeGreaterThanOrEqual(0);
    expect(exchange, login.err).toBeGreaterThan(note);
    // The first request to the API at all comes after it, and the note is said once.
    expect(
      lines.findIndex((l) => l.startsWith(`→ POST ${emu.url}`) || l.startsWith(`→ GET ${emu.url}`)),
    ).toBeGreaterThan(note);
    expect(lines.filter((l) => l.startsWith("note: the API is"))).toHaveLength(1);
  });

  it("a client login records its API, and no later run sends its tokens or the client secret to another", async () => {
    const { home, file, tokens } = await clientLogin();
    expect(tokens["obtainedVia"]).toEqual({ kind: "client", apiOrigin: new URL(emu.url).origin });

    // Another API from the environment (loopback: the host rules let it through): said, nothing sent.
    const env = await run(home, ["balance"], { MONZO_API_URL: recorderUrl });
    expect(env.code, env.err).toBe(EXIT.config);
    expect(env.err).toContain(
      `error: This login was made at the API ${new URL(emu.url).origin}, but this run's API is ${recorderUrl} (MONZO_API_URL in the environment)`,
    );
    expect(env.err).toContain(`→ Unset MONZO_API_URL to use this login at ${new URL(emu.url).origin}`);
    expect(env.err).toContain("monzo login");
    expect(env.err).toContain("--profile");
    expect(env.err.trim().split("\n")).toHaveLength(2);
    // Named on the command line: a usage error.
    const flag = await run(home, ["balance", "--api-url", recorderUrl]);
    expect(flag.code).toBe(EXIT.usage);
    expect(flag.err).toContain("(--api-url)");
    expect(flag.err).toContain("→ Drop --api-url");
    // The profile's apiUrl changed since the login: the way back is named.
    const set = await run(home, ["config", "set", "apiUrl", recorderUrl]);
    expect(set.code, set.err).toBe(0);
    const profile = await run(home, ["whoami"]);
    expect(profile.code).toBe(EXIT.config);
    expect(profile.err).toContain(`monzo config set apiUrl ${new URL(emu.url).origin}`);
    // status asks nothing either.
    const status = await run(home, ["status", "--json"]);
    expect(status.code).toBe(EXIT.config);
    expect(status.out).toBe("");
    // profiles lists it without asking.
    const profiles = await run(home, ["profiles", "--json"]);
    expect(profiles.code).toBe(0);
    expect(JSON.parse(profiles.out)).toEqual([
      expect.objectContaining({
        profile: "default",
        logged_in: true,
        token: "unknown",
        note: `not asked: made at ${new URL(emu.url).origin}; this profile uses ${recorderUrl} (its apiUrl)`,
      }),
    ]);
    for (const r of [env, flag, profile, status, profiles]) {
      expect(r.err + r.out).not.toContain(tokens["accessToken"]);
      expect(r.err + r.out).not.toContain(CLIENT.secret);
    }
    expectNothingSent(tokens);
    // Nothing was refreshed or rewritten.
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(tokens);

    // Back at its own API, it works, refreshes there, and keeps the API it was made at.
    const back = await run(home, ["config", "set", "apiUrl", emu.url]);
    expect(back.code).toBe(0);
    const ok = await run(home, ["balance", "--json"]);
    expect(ok.code, ok.err).toBe(0);
    const refreshed = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    expect(refreshed["refreshToken"]).not.toBe(tokens["refreshToken"]);
    expect(refreshed["obtainedVia"]).toEqual({ kind: "client", apiOrigin: new URL(emu.url).origin });
    // The same API spelled otherwise (localhost aside: another name may be another listener) is the same.
    const spelled = await run(home, ["balance"], { MONZO_API_URL: `${emu.url.toUpperCase()}/` });
    expect(spelled.code, spelled.err).toBe(0);
    expect(seen).toEqual([]);
  });

  it("monzo logout revokes at the login's own API, never at this run's other one", async () => {
    const { home, tokens } = await clientLogin();
    const out = await run(home, ["logout"], { MONZO_API_URL: recorderUrl });
    expect(out.code, out.err).toBe(0);
    expect(out.err).toContain(
      `note: this login was made at the API ${new URL(emu.url).origin}, so it is revoked there, not at ${recorderUrl} (MONZO_API_URL in the environment).`,
    );
    // Named after the server that answered, not "Monzo" (an edited login file could name any loopback one).
    expect(out.err).toContain(`Revoked at ${new URL(emu.url).origin} and deleted`);
    expect(out.err).not.toContain("Monzo");
    expectNothingSent(tokens);
    // Really revoked at its own API.
    const who = await fetch(`${emu.url}/ping/whoami`, {
      headers: { authorization: `Bearer ${tokens["accessToken"]}` },
    });
    expect(who.status).toBe(401);
    // --api-url naming another API is the person's explicit choice: a usage error, nothing sent or deleted.
    const again = await clientLogin();
    const flag = await run(again.home, ["logout", "--api-url", recorderUrl]);
    expect(flag.code).toBe(EXIT.usage);
    expect(JSON.parse(await readFile(again.file, "utf8"))).toEqual(again.tokens);
    expectNothingSent(again.tokens);
  });

  it("a token file from before the API was recorded works as before, and its next refresh records the API", async () => {
    const { home, file, tokens } = await clientLogin();
    const { obtainedVia: _, ...old } = tokens;
    await writeFile(file, JSON.stringify(old), { mode: 0o600 });
    const ok = await run(home, ["balance", "--json"]);
    expect(ok.code, ok.err).toBe(0);
    const saved = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    expect(saved["refreshToken"]).not.toBe(tokens["refreshToken"]);
    expect(saved["obtainedVia"]).toEqual({ kind: "client", apiOrigin: new URL(emu.url).origin });
    const refused = await run(home, ["balance"], { MONZO_API_URL: recorderUrl });
    expect(refused.code).toBe(EXIT.config);
    expect(seen).toEqual([]);
  });

  /** A broker login's token file: tokens of the broker's client, refreshed only through that broker. */
  async function brokerLogin(route: Record<string, unknown>) {
    const home = await tempHome();
    const t = await emulatorLogin(emu, {
      id: BROKER_CLIENT.id,
      secret: BROKER_CLIENT.secret,
      redirectUri: `${brokerUrl}/callback`,
    });
    await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
    const file = join(home, "tokens", "default.json");
    const tokens = {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      userId: t.userId,
      clientId: t.clientId,
      expiresAt: Date.now() - 1000,
      ...(Object.keys(route).length ? { obtainedVia: route } : {}),
    };
    await writeFile(file, JSON.stringify(tokens), { mode: 0o600 });
    return { home, file, tokens: tokens as unknown as Record<string, string> };
  }

  it("a broker login is used only at its API too; its refresh keeps the API", async () => {
    const origin = new URL(emu.url).origin;
    const { home, file, tokens } = await brokerLogin({ kind: "broker", brokerUrl, apiOrigin: origin });
    const refused = await run(home, ["balance"], { MONZO_API_URL: recorderUrl });
    expect(refused.code, refused.err).toBe(EXIT.config);
    expect(refused.err).toContain(`This login was made at the API ${origin}`);
    expectNothingSent(tokens);
    expect(brokerSaw).toEqual([]);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(tokens);
    const ok = await run(home, ["balance", "--json"], { MONZO_API_URL: emu.url });
    expect(ok.code, ok.err).toBe(0);
    expect(brokerSaw).toEqual(["POST /refresh"]);
    expect((JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>)["obtainedVia"]).toEqual({
      kind: "broker",
      brokerUrl,
      apiOrigin: origin,
    });
  });

  it("an untrusted MONZO_BROKER_URL blocks no login that would not use it", async () => {
    const foreign = { MONZO_BROKER_URL: "https://broker.evil.example" };
    // A client login with a live token and no client secret here (none is needed until it expires).
    const client = await clientLogin();
    const tokens = JSON.parse(await readFile(client.file, "utf8")) as Record<string, unknown>;
    await writeFile(client.file, JSON.stringify({ ...tokens, expiresAt: Date.now() + 3_600_000 }), {
      mode: 0o600,
    });
    await writeFile(
      join(client.home, "profiles", "default.json"),
      JSON.stringify({ clientId: CLIENT.id, apiUrl: emu.url, authUrl: emu.authUrl }),
      { mode: 0o600 },
    );
    const live = await run(client.home, ["balance", "--json"], foreign);
    expect(live.code, live.err).toBe(0);
    expect(JSON.parse(live.out)).toMatchObject({ currency: "GBP" });
    // A broker login with its own broker, expired: refreshed there, the environment's broker passed over.
    const own = await brokerLogin({ kind: "broker", brokerUrl, apiOrigin: new URL(emu.url).origin });
    const refreshed = await run(own.home, ["balance", "--json"], { ...foreign, MONZO_API_URL: emu.url });
    expect(refreshed.code, refreshed.err).toBe(0);
    expect(brokerSaw).toEqual(["POST /refresh"]);
    expect(refreshed.err).toContain(
      `note: this login came through the broker ${brokerUrl}, so it is refreshed there, not at https://broker.evil.example (MONZO_BROKER_URL in the environment).`,
    );
    // Fail-closed where it would be used: a file from before routes were saved, issued to a client this
    // machine does not have, would refresh through the environment's broker — refused, nothing spent.
    const old = await brokerLogin({});
    const blocked = await run(old.home, ["balance"], { ...foreign, MONZO_API_URL: emu.url });
    expect(blocked.code).toBe(EXIT.config);
    expect(blocked.err).toMatch(
      /^error: MONZO_BROKER_URL in the environment points the broker at broker\.evil\.example/m,
    );
    expect(blocked.err).not.toContain("outcome is unknown");
    expect(JSON.parse(await readFile(old.file, "utf8"))).toEqual(old.tokens);
    // And a login through it is refused before any request (as before).
    const login = await run(await tempHome(), ["login", "--no-wait"], { ...foreign, MONZO_API_URL: emu.url });
    expect(login.code).toBe(EXIT.config);
    expect(login.err).toContain("MONZO_BROKER_URL in the environment");
  });

  it("a pot move whose refresh is declined here is not sent: journaled as refused, exit 3, not an unknown outcome", async () => {
    const { lossyProxy } = await import("./helpers.js");
    const { journalPath } = await import("../src/money/journal.js");
    const proxy = await lossyProxy(emu.url);
    try {
      const { home, file } = await clientLogin(proxy.url);
      const tokens = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      await writeFile(file, JSON.stringify({ ...tokens, expiresAt: Date.now() + 3_600_000 }), {
        mode: 0o600,
      });
      // The client secret is not here (none is needed until a refresh), and Monzo refuses the token only
      // at the move: the refresh that would recover it is declined before anything is sent.
      await writeFile(
        join(home, "profiles", "default.json"),
        JSON.stringify({ clientId: CLIENT.id, apiUrl: proxy.url, authUrl: emu.authUrl }),
        { mode: 0o600 },
      );
      proxy.state.unauthorized = /^PUT \/pots\//;
      const savings = [...emu.emulator.state.bank.pots.values()].find((p) => p.json.name === "Savings")!;
      const before = savings.json.balance;
      proxy.state.seen.length = 0;
      const r = await run(home, ["pots", "deposit", "Savings", "1", "--dedupe-id", "declined-refresh"]);
      expect(r.code, r.err).toBe(EXIT.config);
      expect(r.err).toMatch(
        /^error: The access token has expired, and this login was made with this machine's client/m,
      );
      expect(r.err).not.toMatch(/outcome|did not confirm/);
      const moves = JSON.parse(await readFile(journalPath({ MONZOKIT_HOME: home }, "default"), "utf8"))
        .moves as {
        dedupe_id: string;
        outcome: string;
        note?: string;
      }[];
      expect(moves.find((m) => m.dedupe_id === "declined-refresh")).toMatchObject({
        outcome: "refused",
        note: expect.stringMatching(/^not sent: The access token has expired/),
      });
      expect(savings.json.balance).toBe(before);
      expect(proxy.state.seen.filter((l) => l.startsWith("POST /oauth2/token"))).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });
});
