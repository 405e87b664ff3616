/**
 * The OS keychain token store against a real Secret Service: a private session D-Bus and an unlocked GNOME
 * Keyring started by the test (test-support/keyring.ts), reached through `secret-tool`.
 */
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TokenSet } from "@monzokit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keyring } from "../../../../test-support/keyring.js";
import { FileTokenStore } from "../../src/store/file-store.js";
import { KeychainTokenStore, keychainStatus } from "../../src/store/keychain.js";
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
    const noTool = await keychainStatus({ ...keyring.env, PATH: "/nonexistent" });
    expect(noTool).toMatchObject({ available: false, reason: expect.stringContaining("libsecret-tools") });
    const deadBus = await keychainStatus({
      ...keyring.env,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    });
    expect(deadBus.available).toBe(false);
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
    expect(JSON.parse(keyring.lookup({ service: "monzokit", home, profile: "default" })!)).toEqual(tokens(1));
    await store.save(tokens(2));
    expect(await store.load()).toEqual(tokens(2));
    await store.clear();
    expect(await store.load()).toBeUndefined();
    expect(keyring.lookup({ service: "monzokit", home, profile: "default" })).toBeUndefined();
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

  it("when the keychain goes away after holding the tokens, the rotated set lands in the file, with a warning, and wins", async () => {
    const { home, tokenPath, store } = await setup();
    await store.save(tokens(5));
    const fallbacks: string[] = [];
    const broken = new KeychainTokenStore({
      profile: "default",
      home,
      tokenPath,
      env: { ...keyring.env, DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" },
      onFallback: (reason) => void fallbacks.push(reason),
    });
    await broken.save(tokens(6));
    expect(fallbacks).toHaveLength(1);
    expect(await broken.load()).toEqual(tokens(6));
    // Back with the keychain: the file is newer than the keychain's copy, so it is what loads...
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
    keyring.store({ service: "monzokit", home, profile: "default" }, "{not json");
    await expect(store.load()).rejects.toThrow(/damaged/);
  });
});

describe("what secret-tool is handed", () => {
  it("runs without any MONZO_* variable in its environment (the client secret above all)", async () => {
    // A secret-tool first on PATH that records its environment, then runs the real one.
    const bin = await tempHome();
    const real = (process.env["PATH"] ?? "").split(":").map((d) => join(d, "secret-tool"));
    const found = (
      await Promise.all(
        real.map((p) =>
          stat(p).then(
            () => p,
            () => undefined,
          ),
        ),
      )
    ).find(Boolean)!;
    await writeFile(
      join(bin, "secret-tool"),
      `#!/bin/sh\nenv >> "${join(bin, "seen.env")}"\nexec ${found} "$@"\n`,
    );
    await chmod(join(bin, "secret-tool"), 0o755);
    const env = {
      ...keyring.env,
      PATH: `${bin}:${keyring.env["PATH"] ?? ""}`,
      MONZO_CLIENT_SECRET: "mnzconf.must-not-reach-children",
      MONZO_ACCESS_TOKEN: "playground-token-must-not-reach-children",
    };
    const { store } = await setup(env);
    await store.save(tokens(7));
    expect(await store.load()).toEqual(tokens(7));
    const seen = await readFile(join(bin, "seen.env"), "utf8");
    expect(seen).toContain("DBUS_SESSION_BUS_ADDRESS=");
    expect(seen).not.toMatch(/^MONZO_/m);
    expect(seen).not.toContain("must-not-reach-children");
  });
});
