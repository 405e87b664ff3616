import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import type { Io } from "../../src/io.js";
import { main } from "../../src/main.js";
import { fakeIo, tempHome } from "../helpers.js";

const BIN = fileURLToPath(new URL("../../dist/bundle/bin.js", import.meta.url));
const CLIENT = "oauth2client_0000StatusTest0000001";
const SECRET = "mnzconf.status-test";
let emu: RunningEmulator;
let redirectUri: string;

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  emu = await serveEmulator({ seed: "cli-status", transactions: 400, autoConsent: true }, { port: 0 });
  redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  emu.emulator.control.addClient({
    id: CLIENT,
    secret: SECRET,
    redirectUris: [redirectUri],
    confidential: true,
  });
}, 60_000);
afterAll(() => emu?.close());

function envOf(home: string): Record<string, string> {
  return {
    MONZOKIT_HOME: home,
    MONZO_API_URL: emu.url,
    MONZO_AUTH_URL: emu.authUrl,
    MONZO_CLIENT_ID: CLIENT,
    MONZO_CLIENT_SECRET: SECRET,
    MONZO_REDIRECT_URI: redirectUri,
    MONZO_TOKEN_STORE: "file",
    TZ: "UTC",
  };
}

async function run(
  home: string,
  argv: string[],
  extra: Record<string, string> = {},
  overrides: Partial<Io> = {},
) {
  const f = fakeIo(
    { ...envOf(home), ...extra },
    {
      // "The browser": follows the auto-consent redirect to the login's callback.
      openBrowser: async (url) => {
        void fetch(url).then((r) => r.text());
        return { opened: true as const };
      },
      ...overrides,
    },
  );
  const code = await main(argv, f.io);
  return { code, out: f.stdout(), err: f.stderr().replace(/^note: .*\n/gm, "") };
}

/** A login whose approval is still to come in the app. */
async function loginPending(home: string, profile = "default") {
  const r = await run(home, ["login", "--no-wait", "--profile", profile, "--quiet"]);
  expect(r.code, r.err).toBe(EXIT.ok);
}

const stored = async (home: string, profile = "default") =>
  JSON.parse(await readFile(join(home, "tokens", `${profile}.json`), "utf8")) as {
    accessToken: string;
    expiresAt: number;
  };

describe("monzo status tells the truth", () => {
  it("pending approval is exit 5; once approved, live (exit 0) with whether the whole history is readable now", async () => {
    const home = await tempHome();
    await loginPending(home);
    const pending = await run(home, ["status"]);
    expect(pending.code).toBe(EXIT.permission);
    expect(pending.err).toBe(
      "error: The login is waiting for approval in the Monzo app\n  → Open the Monzo app and tap Allow access to your data; then run monzo status again.\n",
    );
    expect(pending.out).toMatch(
      /^Token +live, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(refreshes automatically\)$/m,
    );
    expect(pending.out).toMatch(/^Approval +waiting: open the Monzo app/m);
    expect(pending.out).toMatch(/^History +none until approved; then the whole history for 5 minutes$/m);
    emu.emulator.control.approve();
    const live = await run(home, ["status", "--json"]);
    expect(live.code).toBe(EXIT.ok);
    expect(JSON.parse(live.out)).toMatchObject({
      token: "live",
      approval: "approved",
      full_history_now: true,
      full_history_until: null,
    });
    const human = await run(home, ["status"]);
    expect(human.out).toMatch(
      /^History +the whole history, now \(Monzo allows it for 5 minutes after a login's approval\)/m,
    );
    // Six minutes on (the emulator's clock), the window has closed: the last 89 days.
    emu.emulator.control.advanceClock(6 * 60_000);
    const closed = await run(home, ["status"]);
    expect(closed.code).toBe(EXIT.ok);
    expect(closed.out).toMatch(
      /^History +the last 89 days \(the whole history is readable only for 5 minutes after a new login is approved\)$/m,
    );
    expect(await run(home, ["status", "--quiet"])).toEqual({ code: EXIT.ok, out: "", err: "" });
  });

  it("a login approved while monzo login waited says for how long the whole history stays readable", async () => {
    const home = await tempHome();
    const login = run(home, ["login", "--timeout", "30"]);
    while (emu.emulator.control.approve() === 0) await new Promise((r) => setTimeout(r, 50));
    const done = await login;
    expect(done.code, done.err).toBe(EXIT.ok);
    expect(done.err).toMatch(
      /Now approve the login on the emulator's stand-in for the Monzo app: http:\/\/127\.0\.0\.1:\d+\/auth\/app\n/,
    );
    const status = await run(home, ["status"]);
    expect(status.out).toMatch(
      /^History +the whole history, for about [45] more minutes \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\): export it now/m,
    );
    expect(JSON.parse((await run(home, ["status", "--json"])).out).full_history_until).toEqual(
      expect.any(String),
    );
  });

  it("an eviction, a logout elsewhere and a decline each say so and exit 4", async () => {
    const home = await tempHome();
    await loginPending(home);
    emu.emulator.control.approve();
    // A newer login of the same app and user (here another profile) replaces this one.
    await loginPending(home, "newer");
    const evicted = await run(home, ["status"]);
    expect(evicted.code).toBe(EXIT.auth);
    expect(evicted.err).toBe(
      "error: The login of profile default is evicted\n  → Run monzo login to log in again.\n",
    );
    expect(evicted.out).toMatch(/^Token +evicted: a newer login with this app replaced it; log in again$/m);

    // Logged out elsewhere: the token Monzo knew is revoked, and so is its refresh.
    const { accessToken } = await stored(home, "newer");
    const out = await fetch(`${emu.url}/oauth2/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(out.status).toBe(200);
    const revoked = await run(home, ["status", "--profile", "newer"]);
    expect(revoked.code).toBe(EXIT.auth);
    expect(revoked.out).toMatch(
      /^Token +revoked \(logged out elsewhere, declined in the Monzo app, or its refresh refused\): log in again$/m,
    );

    await loginPending(home, "declined");
    expect(emu.emulator.control.decline()).toBe(1);
    const declined = await run(home, ["status", "--profile", "declined", "--json"]);
    expect(declined.code).toBe(EXIT.auth);
    expect(JSON.parse(declined.out)).toMatchObject({ token: "revoked" });
    // Any other command says the same of these logins, with the same exit code: Monzo refused the login (4).
    for (const profile of ["newer", "declined"]) {
      const balance = await run(home, ["balance", "--profile", profile]);
      expect({ profile, code: balance.code }).toEqual({ profile, code: EXIT.auth });
      expect(balance.err).toBe(
        `error: Monzo refused the refresh token: the login has ended\n  → Log in again (monzo login --profile ${profile}).\n`,
      );
    }

    // profiles: each one's state, side by side, without refreshing anything.
    const before = emu.emulator.state.authority.counters.refreshes;
    await loginPending(home, "fresh");
    // Each profile other than this run's is checked at its own saved API, never at MONZO_API_URL (N5).
    for (const profile of ["declined", "fresh", "newer"]) {
      const set = await run(home, ["config", "set", "apiUrl", emu.url, "--profile", profile]);
      expect(set.code, set.err).toBe(EXIT.ok);
    }
    const profiles = await run(home, ["profiles", "--json"]);
    expect(profiles.code).toBe(EXIT.ok);
    const byName = Object.fromEntries(
      (JSON.parse(profiles.out) as { profile: string; token: string }[]).map((p) => [p.profile, p.token]),
    );
    expect(byName).toEqual({ declined: "revoked", default: "evicted", fresh: "live", newer: "revoked" });
    expect(emu.emulator.state.authority.counters.refreshes).toBe(before);
    const table = await run(home, ["profiles"], {}, { columns: 100 });
    expect(table.out).toMatch(/^PROFILE +USER +TOKEN +EXPIRES\n/);
    expect(table.out).toMatch(/^fresh +user_\w+ +live +\d{4}-/m);
  });

  it("a profile whose API cannot be reached is unknown, and its note says where monzo asked and what happened", async () => {
    const home = await tempHome();
    // Logged in at an API that has gone away since (a login is asked only at the API it was made at).
    const gone = await serveEmulator({ seed: "cli-status-gone" }, { port: 0 });
    const token = gone.emulator.control.token({ ttlSeconds: 3600 });
    const at = { MONZO_API_URL: gone.url };
    expect((await run(home, ["login", "--quiet"], { ...at, MONZO_ACCESS_TOKEN: token })).code).toBe(EXIT.ok);
    await gone.close();
    const closed = new URL(gone.url).host;
    const listed = await run(home, ["profiles", "--json"], at);
    expect(listed.code).toBe(EXIT.ok);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({
        profile: "default",
        token: "unknown",
        note: `${closed}: the connection failed`,
      }),
    ]);
    // In the table too, whole, at 80 columns: on its own line under its profile.
    const table = await run(home, ["profiles"], at);
    expect(table.out).toContain(`\n  note: ${closed}: the connection failed\n`);
    expect(table.out.split("\n").every((line) => line.length <= 80)).toBe(true);
  });

  it("a login made at another API than its profile's: the note names both, whole, without saying the API changed", async () => {
    const home = await tempHome();
    const token = emu.emulator.control.token({ ttlSeconds: 3600 });
    // Logged in with only MONZO_API_URL set: the profile names no API, so it has been Monzo's all along.
    expect((await run(home, ["login", "--quiet"], { MONZO_ACCESS_TOKEN: token })).code).toBe(EXIT.ok);
    const made = new URL(emu.url).origin;
    const note = `not asked: made at ${made}; this profile uses https://api.monzo.com (the default)`;
    const unset = { MONZO_API_URL: "" };
    const listed = await run(home, ["profiles", "--json"], unset);
    expect(listed.code, listed.err).toBe(EXIT.ok);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ profile: "default", token: "unknown", note }),
    ]);
    const table = await run(home, ["profiles"], unset);
    const lines = table.out.split("\n");
    expect(lines[0]).toMatch(/^PROFILE +USER +TOKEN +EXPIRES$/);
    expect(lines[1]).toMatch(/^default +user_\w+ +unknown +\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(lines[2]).toMatch(/^ {2}note: not asked: made at http:\/\/127\.0\.0\.1:\d+; this profile uses/);
    expect(lines.every((line) => line.length <= 80)).toBe(true);
    expect(table.out.replace(/\s+/g, " ")).toContain(note);
    expect(table.out).not.toMatch(/\bnow\b|…/);
    // A profile whose saved apiUrl is another: said as its own setting.
    const other = await serveEmulator({ seed: "cli-status-other-api" }, { port: 0 });
    try {
      const set = await run(home, ["config", "set", "apiUrl", other.url], unset);
      expect(set.code, set.err).toBe(EXIT.ok);
      const saved = await run(home, ["profiles", "--json"], unset);
      expect(JSON.parse(saved.out)[0].note).toBe(
        `not asked: made at ${made}; this profile uses ${new URL(other.url).origin} (its apiUrl)`,
      );
      // This run's API from the environment: said as this run's, with where it came from.
      const fromEnv = await run(home, ["profiles", "--json"], { MONZO_API_URL: other.url });
      expect(JSON.parse(fromEnv.out)[0].note).toBe(
        `not asked: made at ${made}; this run uses ${new URL(other.url).origin} (MONZO_API_URL in the environment)`,
      );
    } finally {
      await other.close();
    }
  });

  it("a playground token Monzo refuses is rejected, not expired; one still accepted is live whatever expiry was guessed", async () => {
    const home = await tempHome();
    const token = emu.emulator.control.token({ ttlSeconds: 3600 });
    expect((await run(home, ["login", "--quiet"], { MONZO_ACCESS_TOKEN: token })).code).toBe(EXIT.ok);
    const file = join(home, "tokens", "default.json");
    const set = JSON.parse(await readFile(file, "utf8"));
    // The CLI guessed an expiry for it (playground tokens carry none); Monzo's answer is what counts.
    await writeFile(file, JSON.stringify({ ...set, expiresAt: Date.now() - 60_000 }), { mode: 0o600 });
    expect((await run(home, ["status", "--json"])).out).toMatch(/"token": "live"/);
    await fetch(`${emu.url}/oauth2/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    const rejected = await run(home, ["status"]);
    expect(rejected.code).toBe(EXIT.auth);
    expect(rejected.out).toMatch(
      /^Token +rejected: Monzo no longer accepts this token \(playground tokens last hours at most\); log in again$/m,
    );
    expect(rejected.out).not.toMatch(/expired/);
  });

  it("an expired login this machine cannot refresh (its client secret is not here) is exit 3 and says why, not 'Monzo could not be asked'", async () => {
    const home = await tempHome();
    await loginPending(home);
    emu.emulator.control.approve();
    const file = join(home, "tokens", "default.json");
    const set = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...set, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const before = emu.emulator.state.authority.counters.refreshes;
    const r = await run(home, ["status"], { MONZO_CLIENT_SECRET: "" });
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(
      /^error: The access token has expired, and this login was made with this machine's client \(oauth2client_\w+\): refreshing it needs that client's id and secret, which are not set\n {2}→ Set MONZO_CLIENT_ID and MONZO_CLIENT_SECRET/,
    );
    expect(r.err).not.toMatch(/unknown|could not be asked|outcome/);
    // What is known here is shown as for any other state, with the reason Monzo was not asked.
    const lines = r.out.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "Profile       default",
      `User          ${String(set["userId"])}`,
      `Login         with this machine's client ${CLIENT} (refreshes with its secret)`,
      `API           ${new URL(emu.url).origin}`,
    ]);
    expect(r.out).toMatch(
      /^Token +expired \d{4}-\d\d-\d\d \d\d:\d\d UTC: not refreshed here, so not checked with Monzo$/m,
    );
    expect(r.out).toMatch(/^Tokens in +.*default\.json$/m);
    expect(r.out).toMatch(
      /^Not checked +The access token has expired, and this login was made with this machine's client/m,
    );
    expect(r.out).not.toMatch(/could not be asked|outcome|Monzo said|revoked/);
    const json = await run(home, ["status", "--json"], { MONZO_CLIENT_SECRET: "" });
    expect(json.code).toBe(EXIT.config);
    expect(JSON.parse(json.out)).toMatchObject({
      profile: "default",
      logged_in: true,
      token: "expired",
      checked: false,
      login_route: "client",
      login_api: new URL(emu.url).origin,
      approval: "unknown",
      problem: expect.stringMatching(/^The access token has expired/),
    });
    // Nothing was sent: the refresh token is the one saved.
    expect(emu.emulator.state.authority.counters.refreshes).toBe(before);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ ...set, expiresAt: expect.any(Number) });
    // Once it can refresh here, the same login is checked with Monzo: live, through the same route.
    const live = await run(home, ["status", "--json"]);
    expect(live.code, live.err).toBe(EXIT.ok);
    expect(JSON.parse(live.out)).toMatchObject({ token: "live", checked: true, login_route: "client" });
  });

  it("a token that still works for a few minutes but is due a refresh this machine cannot make: said so, not called expired", async () => {
    const home = await tempHome();
    await loginPending(home);
    emu.emulator.control.approve();
    const file = join(home, "tokens", "default.json");
    const set = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    // One minute left: within the margin before expiry at which every command refreshes first.
    await writeFile(file, JSON.stringify({ ...set, expiresAt: Date.now() + 60_000 }), { mode: 0o600 });
    const r = await run(home, ["status"], { MONZO_CLIENT_SECRET: "" });
    expect(r.code).toBe(EXIT.config);
    expect(r.out).toMatch(
      /^Token +expires \d{4}-\d\d-\d\d \d\d:\d\d UTC: not refreshed here, so not checked with Monzo$/m,
    );
    expect(r.out).not.toMatch(/^Token +expired/m);
    const json = await run(home, ["status", "--json"], { MONZO_CLIENT_SECRET: "" });
    expect(JSON.parse(json.out)).toMatchObject({ token: "unknown", checked: false });
  });

  it("not logged in is exit 3", async () => {
    const r = await run(await tempHome(), ["status"]);
    expect(r).toEqual({
      code: EXIT.config,
      out: "",
      err: "error: Profile default is not logged in\n  → Run monzo login.\n",
    });
    const json = await run(await tempHome(), ["status", "--json"]);
    expect(JSON.parse(json.out)).toMatchObject({ logged_in: false });
  });
});

describe("monzo profiles sends each token only where its own profile says (N5)", () => {
  it("MONZO_API_URL reaches only this run's profile; every other profile is checked at its own saved API, under its own allowHosts", async () => {
    const { mkdir } = await import("node:fs/promises");
    const { createServer: createHttpServer } = await import("node:http");
    const other = await serveEmulator({ seed: "cli-status-other" }, { port: 0 });
    // What MONZO_API_URL names: a loopback listener recording every bearer token it is sent.
    const received: string[] = [];
    const recorder = createHttpServer((req, res) => {
      received.push(`${req.method} ${req.url} ${req.headers.authorization ?? "(no token)"}`);
      req.resume();
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"code":"unauthorized.bad_access_token","message":"recorded"}');
    });
    await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
    const recorderUrl = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
    try {
      const home = await tempHome();
      await mkdir(join(home, "profiles"), { mode: 0o700 });
      await mkdir(join(home, "tokens"), { mode: 0o700 });
      const save = async (profile: string, config: object, accessToken: string) => {
        await writeFile(join(home, "profiles", `${profile}.json`), JSON.stringify(config), { mode: 0o600 });
        await writeFile(
          join(home, "tokens", `${profile}.json`),
          JSON.stringify({
            accessToken,
            expiresAt: Date.now() + 3_600_000,
            userId: "user_x",
            clientId: "oauth2client_x",
          }),
          { mode: 0o600 },
        );
      };
      const alpha = emu.emulator.control.token();
      const beta = other.emulator.control.token();
      await save("alpha", { apiUrl: emu.url }, alpha);
      await save("beta", { apiUrl: other.url }, beta);
      // A profile saved by hand with a foreign API it never confirmed: refused for it, as for any command.
      await save("gamma", { apiUrl: "https://api.evil.example" }, "gamma-token-never-sent");
      // This run's profile, logged in where MONZO_API_URL names (the person's choice for this run).
      await save("default", {}, "default-token-for-the-recorder");
      const whoamis = (e: RunningEmulator) =>
        e.emulator.state.requestLog.entries().filter((r) => r.path === "/ping/whoami").length;
      const before = { alpha: whoamis(emu), beta: whoamis(other) };
      const env = { MONZOKIT_HOME: home, MONZO_API_URL: recorderUrl, MONZO_TOKEN_STORE: "file", TZ: "UTC" };
      const f = fakeIo(env);
      expect(await main(["profiles", "--json"], f.io), f.stderr()).toBe(EXIT.ok);
      const rows = JSON.parse(f.stdout()) as { profile: string; token: string; note: string }[];
      expect(Object.fromEntries(rows.map((r) => [r.profile, r.token]))).toEqual({
        alpha: "live",
        beta: "live",
        default: "rejected",
        gamma: "unknown",
      });
      expect(rows.find((r) => r.profile === "gamma")!.note).toMatch(/api\.evil\.example/);
      // The recorder got this run's profile's token and nothing else; each emulator exactly one check,
      // which it accepted: its own profile's token.
      expect(received).toEqual(["GET /ping/whoami Bearer default-token-for-the-recorder"]);
      expect({ alpha: whoamis(emu) - before.alpha, beta: whoamis(other) - before.beta }).toEqual({
        alpha: 1,
        beta: 1,
      });
      // Another profile named for the run gets the run's API instead; still no one else's token goes there.
      received.length = 0;
      const g = fakeIo(env);
      expect(await main(["--profile", "beta", "profiles", "--json"], g.io), g.stderr()).toBe(EXIT.ok);
      expect(received).toEqual([`GET /ping/whoami Bearer ${beta}`]);
      expect(f.stdout() + f.stderr() + g.stdout() + g.stderr()).not.toContain("gamma-token-never-sent");
    } finally {
      other.close();
      await new Promise<void>((resolve) => recorder.close(() => resolve()));
    }
  });
});

describe("Ctrl+C while monzo login waits for approval", () => {
  it("says the tokens are saved and how to check approval later (exit 130)", async () => {
    const home = await tempHome();
    const child = spawn(process.execPath, [BIN, "login", "--no-browser", "--timeout", "60"], {
      env: { PATH: process.env["PATH"] ?? "", ...envOf(home), NO_COLOR: "1" },
    });
    let err = "";
    const seen = new Promise<string>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d;
        const url = /http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/.exec(err)?.[0];
        if (url) resolve(url);
      });
    });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // The auto-consent page sends the browser (here fetch) on to the login's callback.
    await fetch(await seen).then((r) => r.text());
    while (!/stand-in for the Monzo app/.test(err)) await new Promise((r) => setTimeout(r, 25));
    child.kill("SIGINT");
    expect(await exit).toBe(EXIT.interrupted);
    expect(err).toMatch(
      /error: Stopped waiting for approval\. You are logged in: the tokens are saved in .*default\.json/,
    );
    expect(err).toMatch(
      /→ Approve in the Monzo app whenever you like \(Allow access to your data\); monzo status says whether it is approved\. No new login is needed\.\n$/,
    );
    const status = await run(home, ["status"]);
    expect(status.code).toBe(EXIT.permission);
    emu.emulator.control.approve();
    expect((await run(home, ["status"])).code).toBe(EXIT.ok);
  });
});

describe("Ctrl+C while monzo login waits for the login page", () => {
  it("says the login was cancelled and nothing was saved (exit 130)", async () => {
    const home = await tempHome();
    const child = spawn(process.execPath, [BIN, "login", "--no-browser", "--timeout", "60"], {
      env: { PATH: process.env["PATH"] ?? "", ...envOf(home), NO_COLOR: "1" },
    });
    let err = "";
    const seen = new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d;
        if (/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/.test(err)) resolve();
      });
    });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await seen;
    child.kill("SIGINT");
    expect(await exit, err).toBe(EXIT.interrupted);
    expect(err).toMatch(
      /\nerror: Login cancelled: no tokens reached this machine, and nothing was saved\n {2}→ Run monzo login again when you are ready; a login finished in the page already opened is not used\.\n$/,
    );
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(join(home, "tokens")).catch(() => [])).toEqual([]);
  });
});

describe("monzo logout", () => {
  it("says revoked only when Monzo revoked it; unreachable, it deletes here and says the token lives on (exit 8)", async () => {
    const home = await tempHome();
    // Logged in at an API that has gone away since: revoked only there, so not revoked at all.
    const gone = await serveEmulator({ seed: "cli-status-logout-gone" }, { port: 0 });
    const at = { MONZO_API_URL: gone.url };
    const token = gone.emulator.control.token({ ttlSeconds: 3600 });
    expect((await run(home, ["login", "--quiet"], { ...at, MONZO_ACCESS_TOKEN: token })).code).toBe(EXIT.ok);
    await gone.close();
    const unreachable = await run(home, ["logout"], at);
    expect(unreachable.code).toBe(EXIT.network);
    expect(unreachable.err).toMatch(
      /^error: Deleted from .*default\.json, but Monzo could not be asked to revoke the token \(.*\): it stays valid at Monzo until it expires\n/,
    );
    expect(unreachable.err).not.toMatch(/Revoked|already invalid/);
    await loginPending(home);
    expect(await run(home, ["logout", "--quiet"])).toEqual({ code: EXIT.ok, out: "", err: "" });
  });
});
