/**
 * The OS keychain token store against a real Secret Service: a private session D-Bus and an unlocked GNOME
 * Keyring started by the test (test-support/keyring.ts), reached over D-Bus by @napi-rs/keyring; the test
 * reads and plants items with `secret-tool`, independently of the code under test.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { TokenSet } from "@monzokit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keyring } from "../../../../test-support/keyring.js";
import { FileTokenStore } from "../../src/store/file-store.js";
import { KeychainTokenStore, keychainAccount, keychainStatus } from "../../src/store/keychain.js";
import { tempHome } from "../helpers.js";

const keyring = new Keyring();
beforeAll(async () => keyring.start(), 30_000);
afterAll(async () => keyring.dispose());

const tokens = (n: number): TokenSet => ({
  accessToken: `access-token-${n}-${"a".repeat(40)}`,
  refreshToken: `refresh-token-${n}-${"r".repeat(40)}`,
  expiresAt: 1_900_000_000_000 + n,
  userId: "user_0000Keychain" as never,
  clientId: "oauth2client_0000Keychain" as never,
});

async function setup(env: Record<string, string | undefined> = keyring.env, profile = "default") {
  const home = await tempHome();
  const tokenPath = join(home, "tokens", `${profile}.json`);
  const fallbacks: string[] = [];
  const store = new KeychainTokenStore({
    profile,
    home,
    tokenPath,
    env,
    onFallback: (reason) => void fallbacks.push(reason),
  });
  return { home, tokenPath, store, fallbacks };
}

/** Every file under `dir`, read whole: no secret may be in any of them. */
async function allText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true });
  const parts = await Promise.all(names.map((n) => readFile(join(dir, String(n)), "utf8").catch(() => "")));
  return parts.join("\n");
}

describe("keychain status", () => {
  it("is available with a Secret Service, and says why not without one", async () => {
    expect(await keychainStatus(keyring.env)).toEqual({ available: true });
    const noBus = await keychainStatus({ PATH: process.env["PATH"] });
    expect(noBus).toMatchObject({ available: false, reason: expect.stringContaining("D-Bus") });
    // The binding speaks D-Bus itself: no secret-tool needed.
    expect(await keychainStatus({ ...keyring.env, PATH: "/nonexistent" })).toEqual({ available: true });
    await keyring.stopService();
    try {
      const noService = await keychainStatus(keyring.env);
      expect(noService).toMatchObject({
        available: false,
        reason: expect.stringMatching(/^no Secret Service: /),
      });
    } finally {
      await keyring.startService();
    }
  });
});

describe("KeychainTokenStore", () => {
  it("keeps the set in the keychain only: no token in any file, a marker beside the token file", async () => {
    const { home, tokenPath, store } = await setup();
    expect(await store.load()).toBeUndefined();
    await store.save(tokens(1));
    expect(store.lastSave).toEqual({ to: "keychain" });
    expect(await store.load()).toEqual(tokens(1));
    await expect(stat(tokenPath)).rejects.toThrow();
    expect((await stat(store.markerPath)).mode & 0o777).toBe(0o600);
    const files = await allText(home);
    expect(files).not.toContain(tokens(1).accessToken);
    expect(files).not.toContain(tokens(1).refreshToken!);
    // What the keychain holds is the set, under this home and profile.
    expect(
      JSON.parse(keyring.lookup({ service: "monzokit", username: keychainAccount(home, "default") })!),
    ).toEqual(tokens(1));
    await store.save(tokens(2));
    expect(await store.load()).toEqual(tokens(2));
    await store.clear();
    expect(await store.load()).toBeUndefined();
    expect(
      keyring.lookup({ service: "monzokit", username: keychainAccount(home, "default") }),
    ).toBeUndefined();
    await expect(stat(store.markerPath)).rejects.toThrow();
  });

  it("profiles and homes never see each other's tokens", async () => {
    const a = await setup(keyring.env, "work");
    const b = await setup(keyring.env, "work");
    const c = new KeychainTokenStore({
      profile: "home",
      home: a.home,
      tokenPath: join(a.home, "tokens", "home.json"),
      env: keyring.env,
    });
    await a.store.save(tokens(3));
    expect(await b.store.load()).toBeUndefined();
    expect(await c.load()).toBeUndefined();
  });

  it("without a keychain the save goes to the 0600 file, quietly on a machine that never had one", async () => {
    const { tokenPath, store, fallbacks } = await setup({ PATH: process.env["PATH"] });
    await store.save(tokens(4));
    expect(store.lastSave).toMatchObject({ to: "file", reason: expect.stringContaining("D-Bus") });
    expect(fallbacks).toEqual([]);
    expect((await stat(tokenPath)).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual(tokens(4));
  });

  it("when the keychain fails in the middle of a save, the rotated set lands in the file, with a warning, and wins", async () => {
    const { tokenPath, store, fallbacks } = await setup();
    await store.save(tokens(5));
    expect(store.lastSave).toEqual({ to: "keychain" });
    // The keyring daemon dies after this store found it available: the next save fails at the keychain.
    await keyring.stopService();
    try {
      await store.save(tokens(6));
      expect(store.lastSave).toMatchObject({ to: "file" });
      expect(fallbacks).toHaveLength(1);
      expect((await stat(tokenPath)).mode & 0o777).toBe(0o600);
      expect(await store.load()).toEqual(tokens(6));
    } finally {
      await keyring.startService();
    }
    // Back with the keychain (still holding the older set): the file's set is newer, so it is what loads...
    expect(await store.load()).toEqual(tokens(6));
    // ...until the next save moves it into the keychain and removes the file.
    await store.save(tokens(7));
    await expect(stat(tokenPath)).rejects.toThrow();
    expect(await store.load()).toEqual(tokens(7));
  });

  it("a login kept in a file before the keychain existed is read, and moves to the keychain on its next save", async () => {
    const { tokenPath, store } = await setup();
    await new FileTokenStore(tokenPath).save(tokens(8));
    expect(await store.load()).toEqual(tokens(8));
    await store.save(tokens(9));
    expect(store.lastSave).toEqual({ to: "keychain" });
    await expect(stat(tokenPath)).rejects.toThrow();
    expect(await store.load()).toEqual(tokens(9));
  });

  it("damaged keychain contents are a clear error naming monzo login", async () => {
    const { home, store } = await setup();
    await store.save(tokens(10));
    keyring.store({ service: "monzokit", username: keychainAccount(home, "default") }, "{not json");
    await expect(store.load()).rejects.toThrow(/damaged/);
  });
});

describe("the newer set wins, wherever it is", () => {
  it("a save killed between writing the keychain and removing the file cannot bring back a spent refresh token", async () => {
    const { home, tokenPath, store } = await setup();
    await store.save(tokens(20));
    // What a kill leaves: the rotated set (later expiry) in the keychain, the older file not yet removed.
    await new FileTokenStore(tokenPath).save(tokens(19));
    keyring.store(
      { service: "monzokit", username: keychainAccount(home, "default") },
      JSON.stringify(tokens(21)),
    );
    expect(await store.load()).toEqual(tokens(21));
  });

  it("a file written while the keychain was unreadable is used when the keychain cannot be read", async () => {
    const { tokenPath, store } = await setup();
    await store.save(tokens(22));
    await new FileTokenStore(tokenPath).save(tokens(23));
    await keyring.stopService();
    try {
      expect(await store.load()).toEqual(tokens(23));
    } finally {
      await keyring.startService();
    }
  });
});

describe("logins kept by secret-tool (Monzokit 0.1)", () => {
  it("are read, then moved to the binding's item on the next save", async () => {
    const { home, store } = await setup();
    const legacy = { service: "monzokit", home, profile: "default" };
    keyring.store(legacy, JSON.stringify(tokens(30)));
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
    await writeFile(store.markerPath, '{"store":"keychain"}\n', { mode: 0o600 });
    expect(await store.load()).toEqual(tokens(30));
    await store.save(tokens(31));
    expect(keyring.lookup(legacy)).toBeUndefined();
    expect(
      JSON.parse(keyring.lookup({ service: "monzokit", username: keychainAccount(home, "default") })!),
    ).toEqual(tokens(31));
  });

  it("secret-tool runs without any MONZO_* variable in its environment (the client secret above all)", async () => {
    const { chmod, mkdir, writeFile } = await import("node:fs/promises");
    // A secret-tool first on PATH that records its environment, then runs the real one.
    const bin = await tempHome();
    const dirs = (keyring.env["PATH"] ?? "").split(":");
    const real = (
      await Promise.all(
        dirs.map((d) =>
          stat(join(d, "secret-tool")).then(
            () => join(d, "secret-tool"),
            () => "",
          ),
        ),
      )
    ).find(Boolean)!;
    await writeFile(
      join(bin, "secret-tool"),
      `#!/bin/sh\nenv >> "${join(bin, "seen.env")}"\nexec ${real} "$@"\n`,
    );
    await chmod(join(bin, "secret-tool"), 0o755);
    const { home, store } = await setup({
      ...keyring.env,
      PATH: `${bin}:${keyring.env["PATH"] ?? ""}`,
      MONZO_CLIENT_SECRET: "mnzconf.must-not-reach-children",
      MONZO_ACCESS_TOKEN: "playground-token-must-not-reach-children",
    });
    keyring.store({ service: "monzokit", home, profile: "default" }, JSON.stringify(tokens(32)));
    await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
    await writeFile(store.markerPath, '{"store":"keychain"}\n', { mode: 0o600 });
    expect(await store.load()).toEqual(tokens(32));
    const seen = await readFile(join(bin, "seen.env"), "utf8");
    expect(seen).toContain("DBUS_SESSION_BUS_ADDRESS=");
    expect(seen).not.toMatch(/^MONZO_/m);
    expect(seen).not.toContain("must-not-reach-children");
  });
});

describe("a killed save's temporary", () => {
  it("is swept by the next load even when there is no token file (found by the login crash suite)", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdir, writeFile } = await import("node:fs/promises");
    const { tokenPath, store } = await setup({});
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    await mkdir(join(tokenPath, ".."), { recursive: true });
    const temp = join(tokenPath, "..", `.default.json.${dead}.0123456789abcdef.tmp`);
    await writeFile(temp, JSON.stringify(tokens(9)), { mode: 0o600 });
    expect(await store.load()).toBeUndefined();
    expect(await readdir(join(tokenPath, ".."))).toEqual([]);
  });
});

describe("the secret-tool of the 0.1 migration", () => {
  it("is started without monzo's settings (MONZO_*) in its environment", async () => {
    const { chmod, mkdir, writeFile } = await import("node:fs/promises");
    const bin = await tempHome();
    const seen = join(bin, "env.txt");
    await writeFile(join(bin, "secret-tool"), `#!/bin/sh\nenv > "${seen}"\nexit 1\n`);
    await chmod(join(bin, "secret-tool"), 0o755);
    const { home, store } = await setup({
      ...keyring.env,
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      MONZO_CLIENT_SECRET: "mnzconf.must-not-travel",
      MONZO_ACCESS_TOKEN: "access-must-not-travel",
    });
    await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
    await writeFile(store.markerPath, '{"store":"keychain"}\n', { mode: 0o600 });
    expect(await store.load()).toBeUndefined();
    const env = await readFile(seen, "utf8");
    expect(env).toContain("DBUS_SESSION_BUS_ADDRESS=");
    expect(env).not.toMatch(/MONZO_/);
  });
});
