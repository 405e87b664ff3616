/**
 * `monzo` with its tokens in the OS keychain, end to end: the binary as a subprocess, a private Secret
 * Service (session D-Bus + GNOME Keyring started by the test), the emulator on a loopback port.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_CLIENT, type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorLogin } from "../../../test-support/emulator-login.js";
import { Keyring } from "../../../test-support/keyring.js";
import { keychainAccount } from "../src/store/keychain.js";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
const keyring = new Keyring();
let emu: RunningEmulator;

beforeAll(async () => {
  await keyring.start();
  emu = await serveEmulator(
    { seed: "keychain-e2e", transactions: 200, autoConsent: true, autoApprove: true },
    { port: 0 },
  );
}, 30_000);
afterAll(async () => {
  await emu?.close();
  await keyring.dispose();
});

function monzo(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    if (stdin !== undefined) child.stdin.end(stdin);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    child.once("exit", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const env = (home: string, extra: Record<string, string> = {}) => ({
  ...keyring.env,
  MONZOKIT_HOME: home,
  MONZO_API_URL: emu.url,
  MONZO_AUTH_URL: emu.authUrl,
  MONZO_CLIENT_ID: DEMO_CLIENT.id,
  MONZO_CLIENT_SECRET: DEMO_CLIENT.secret,
  NO_COLOR: "1",
  ...extra,
});

/** A refreshable token set through the auto-consenting emulator, as a login would get it, already expired. */
async function freshTokens() {
  const t = await emulatorLogin(emu, {
    id: DEMO_CLIENT.id,
    secret: DEMO_CLIENT.secret,
    redirectUri: DEMO_CLIENT.redirectUris[0]!,
  });
  return {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    expiresAt: Date.now() - 1000,
    userId: t.userId,
    clientId: t.clientId,
  };
}

async function everyFile(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true });
  return (await Promise.all(names.map((n) => readFile(join(dir, String(n)), "utf8").catch(() => "")))).join(
    "\n",
  );
}

describe("monzo with the OS keychain", () => {
  it("login, status, profiles and logout keep the tokens in the keychain and out of every file", async () => {
    const home = await tempHome();
    const playground = (await (
      await fetch(`${emu.url}/_emulator/tokens`, {
        method: "POST",
        body: JSON.stringify({ ttl_seconds: 3600 }),
      })
    ).json()) as { access_token: string };
    const login = await monzo(["login", "--access-token"], env(home), `${playground.access_token}\n`);
    expect(login.code).toBe(0);
    expect(login.err).toContain("in the OS keychain");
    const status = await monzo(["status", "--json"], env(home));
    expect(JSON.parse(status.out)).toMatchObject({ token_store: "keychain", logged_in: true });
    expect((await monzo(["balance", "--json"], env(home))).code).toBe(0);
    const profiles = await monzo(["profiles", "--json"], env(home));
    expect(JSON.parse(profiles.out)).toEqual([
      expect.objectContaining({ profile: "default", logged_in: true }),
    ]);
    await expect(stat(join(home, "tokens", "default.json"))).rejects.toThrow();
    expect(await everyFile(home)).not.toContain(playground.access_token);
    expect(keyring.lookup({ service: "monzokit", username: keychainAccount(home, "default") })).toContain(
      playground.access_token,
    );
    const logout = await monzo(["logout"], env(home));
    expect(logout.code).toBe(0);
    expect(logout.err).toContain("deleted from the OS keychain");
    expect(
      keyring.lookup({ service: "monzokit", username: keychainAccount(home, "default") }),
    ).toBeUndefined();
    expect((await monzo(["balance"], env(home))).code).toBe(3);
  });

  it("four processes with an expired token in the keychain refresh once, and the keychain holds the new set", async () => {
    const home = await tempHome();
    const tokens = await freshTokens();
    keyring.store(
      { service: "monzokit", username: keychainAccount(home, "default") },
      JSON.stringify(tokens),
    );
    // What a keychain login leaves beside the (absent) token file.
    await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
    await writeFile(join(home, "tokens", "default.in-keychain"), '{"store":"keychain"}\n', { mode: 0o600 });
    const counters = async () =>
      (await (await fetch(`${emu.url}/_emulator/counters`)).json()) as Record<string, number>;
    const before = (await counters())["refreshes"]!;
    const runs = await Promise.all(Array.from({ length: 4 }, () => monzo(["balance", "--json"], env(home))));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect((await counters())["refreshes"]! - before).toBe(1);
    const stored = JSON.parse(
      keyring.lookup({ service: "monzokit", username: keychainAccount(home, "default") })!,
    ) as {
      refreshToken: string;
      expiresAt: number;
    };
    expect(stored.refreshToken).not.toBe(tokens.refreshToken);
    expect(stored.expiresAt).toBeGreaterThan(Date.now());
    await expect(stat(join(home, "tokens", "default.json"))).rejects.toThrow();
  });

  it("a login in the keychain carries the API it was made at, as the file does: another API gets nothing", async () => {
    const { createServer } = await import("node:http");
    const received: string[] = [];
    const recorder = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c;
      });
      req.on("end", () => {
        received.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""} ${body}`);
        res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
    const recorderUrl = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
    try {
      const home = await tempHome();
      const account = { service: "monzokit", username: keychainAccount(home, "default") };
      // A set saved before the API was recorded: its refresh (at the run's API) records it, in the keychain.
      const tokens = await freshTokens();
      keyring.store(account, JSON.stringify(tokens));
      await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
      await writeFile(join(home, "tokens", "default.in-keychain"), '{"store":"keychain"}\n', { mode: 0o600 });
      expect((await monzo(["balance", "--json"], env(home))).code).toBe(0);
      const refreshed = JSON.parse(keyring.lookup(account)!) as Record<string, string> & {
        obtainedVia: unknown;
      };
      expect(refreshed.obtainedVia).toEqual({ kind: "client", apiOrigin: new URL(emu.url).origin });
      // Near expiry again, and another API in the environment: refused, nothing sent, the keychain untouched.
      const near = { ...refreshed, expiresAt: Date.now() + 60_000 };
      keyring.store(account, JSON.stringify(near));
      const other = await monzo(["balance"], env(home, { MONZO_API_URL: recorderUrl }));
      expect(other.code, other.err).toBe(3);
      expect(other.err).toContain(`This login was made at the API ${new URL(emu.url).origin}`);
      expect(received).toEqual([]);
      expect(JSON.parse(keyring.lookup(account)!)).toEqual(near);
      await expect(stat(join(home, "tokens", "default.json"))).rejects.toThrow();
      // A playground login records it too.
      const playground = (await (
        await fetch(`${emu.url}/_emulator/tokens`, {
          method: "POST",
          body: JSON.stringify({ ttl_seconds: 3600 }),
        })
      ).json()) as { access_token: string };
      expect((await monzo(["login", "--access-token"], env(home), `${playground.access_token}\n`)).code).toBe(
        0,
      );
      expect(JSON.parse(keyring.lookup(account)!)).toMatchObject({
        accessToken: playground.access_token,
        obtainedVia: { kind: "playground", apiOrigin: new URL(emu.url).origin },
      });
      const status = await monzo(["status"], env(home, { MONZO_API_URL: recorderUrl }));
      expect(status.code).toBe(3);
      expect(received).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => recorder.close(() => resolve()));
    }
  });

  it("MONZO_TOKEN_STORE=keychain with no keychain refuses to log in, and says why", async () => {
    const home = await tempHome();
    const run = await monzo(
      ["login", "--access-token"],
      {
        PATH: process.env["PATH"] ?? "",
        MONZOKIT_HOME: home,
        MONZO_API_URL: emu.url,
        MONZO_TOKEN_STORE: "keychain",
        NO_COLOR: "1",
      },
      "whatever\n",
    );
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/no OS keychain to use: no D-Bus session/);
    expect(run.err).toContain("MONZO_TOKEN_STORE=auto");
  });

  it("without a keychain (the default, auto) login says the tokens went to the file and why", async () => {
    const home = await tempHome();
    const playground = (await (
      await fetch(`${emu.url}/_emulator/tokens`, { method: "POST", body: "{}" })
    ).json()) as { access_token: string };
    const run = await monzo(
      ["login", "--access-token"],
      { PATH: process.env["PATH"] ?? "", MONZOKIT_HOME: home, MONZO_API_URL: emu.url, NO_COLOR: "1" },
      `${playground.access_token}\n`,
    );
    expect(run.code).toBe(0);
    expect(run.err).toContain(
      `${join(home, "tokens", "default.json")} (readable only by you; no OS keychain: no D-Bus session`,
    );
    expect((await stat(join(home, "tokens", "default.json"))).mode & 0o777).toBe(0o600);
  });
});
