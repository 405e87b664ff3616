/**
 * The config directory and its files must be the person's own and closed to other users: another local user
 * who can write there swaps in a profile whose API URL is theirs (this machine's loopback is allowed, so the
 * URL alone gives nothing away) and collects the tokens. When the tests run as root they play the other user
 * for real, with a child process running as `nobody` (uid 65534); otherwise the other user is root itself.
 */
import { spawnSync } from "node:child_process";
import {
  chmod,
  chown,
  copyFile,
  lchown,
  link,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TokenSet } from "@monzokit/core";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveSettings, writeProfile } from "../../src/config/settings.js";
import { checkPrivate, ensurePrivateDir } from "../../src/config/trust.js";
import { ConfigError, EXIT } from "../../src/errors.js";
import { main } from "../../src/main.js";
import { FileTokenStore } from "../../src/store/file-store.js";
import { fakeIo, tempHome } from "../helpers.js";

const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const STORE_JS = fileURLToPath(new URL("../../dist/store/file-store.js", import.meta.url));

const TOKENS = {
  accessToken: "access-token-of-the-person-0123456789",
  refreshToken: "refresh-token-of-the-person-0123456789",
  userId: "user_0000000000000000000001",
  clientId: "oauth2client_0000000000000000000001",
  expiresAt: Date.now() + 3600_000,
} as unknown as TokenSet;

/** Runs `code` in `node` as the other user (uid 65534) and returns its exit status and output. */
function asOtherUser(
  code: string,
  node = process.execPath,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(node, ["--input-type=module", "-e", code], {
    uid: NOBODY,
    gid: NOBODY,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

let reachableDir: string | undefined;
/**
 * A Node and the built file store that the other user can run. A checkout may sit under a directory only
 * its owner can enter (`mktemp -d`, a 0700 home), which uid 65534 cannot pass: then both are placed in a
 * temporary directory open to all (Node hard-linked, or copied across file systems; the store bundled).
 */
let reachable: Promise<{ node: string; storeJs: string }> | undefined;
function reachableByOtherUser(): Promise<{ node: string; storeJs: string }> {
  reachable ??= (async () => {
    if (asOtherUser(`await import(${JSON.stringify(STORE_JS)})`).status === 0)
      return { node: process.execPath, storeJs: STORE_JS };
    reachableDir = await mkdtemp(join(tmpdir(), "monzokit-other-user-"));
    await chmod(reachableDir, 0o755);
    const node = join(reachableDir, "node");
    const storeJs = join(reachableDir, "file-store.mjs");
    await link(process.execPath, node).catch(() => copyFile(process.execPath, node));
    await chmod(node, 0o755);
    await build({
      entryPoints: [STORE_JS],
      bundle: true,
      format: "esm",
      platform: "node",
      outfile: storeJs,
      logLevel: "silent",
    });
    await chmod(storeJs, 0o644);
    return { node, storeJs };
  })();
  return reachable;
}

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

let evil: Server;
let evilUrl: string;
const evilSaw: string[] = [];

beforeAll(async () => {
  evil = createServer((req, res) => {
    evilSaw.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"accounts":[]}');
  });
  await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => evil?.close(r));
  if (reachableDir) await rm(reachableDir, { recursive: true, force: true });
});

describe("the config directory and its files", () => {
  it("another local user swaps in a profile with their API URL: refused, and their server gets nothing", async () => {
    const home = await tempHome();
    const { io } = fakeIo({ MONZOKIT_HOME: home });
    await writeProfile(io, "default", { clientId: "oauth2client_0000000000000000000001" });
    await new FileTokenStore(join(home, "tokens", "default.json")).save(TOKENS);
    // A shared machine, a careless setup: the directory is open to everyone.
    await chmod(home, 0o777);
    await chmod(join(home, "profiles"), 0o777);
    const planted = join(home, "profiles", "default.json");
    const profile = JSON.stringify({ apiUrl: evilUrl });
    if (ROOT) {
      const r = asOtherUser(
        `import { rmSync, writeFileSync } from "node:fs"; rmSync(${JSON.stringify(planted)}); writeFileSync(${JSON.stringify(planted)}, ${JSON.stringify(profile)}, { mode: 0o644 });`,
        (await reachableByOtherUser()).node,
      );
      expect(r.status, r.stderr).toBe(0);
      expect((await stat(planted)).uid).toBe(NOBODY);
    } else {
      await writeFile(planted, profile);
      await chmod(planted, 0o666);
    }
    const f = fakeIo({ MONZOKIT_HOME: home });
    const code = await main(["balance"], f.io);
    expect(evilSaw).toEqual([]);
    expect(code).toBe(EXIT.config);
    expect(f.stderr()).toContain(
      `error: The config directory ${home} is writable by other users (mode 0777)`,
    );
    expect(f.stderr()).toContain(`→ chmod 700 ${home}`);
    // Fixed as told, the profile itself is still someone else's (or open to them): refused too.
    await chmod(home, 0o700);
    await chmod(join(home, "profiles"), 0o700);
    const again = fakeIo({ MONZOKIT_HOME: home });
    expect(await main(["balance"], again.io)).toBe(EXIT.config);
    expect(again.stderr()).toMatch(ROOT ? /belongs to another user \(uid 65534\)/ : /is open to other users/);
    expect(evilSaw).toEqual([]);
  });

  it("a directory other users can write is refused, naming chmod 700", async () => {
    for (const sub of ["", "profiles", "tokens"]) {
      for (const mode of [0o777, 0o775, 0o757, 0o1777]) {
        const home = await tempHome();
        const dir = join(home, sub);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, mode);
        const error = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: home }).io, {}));
        expect(error.message).toContain(`${dir} is writable by other users`);
        expect(error.hint).toContain(`chmod 700 ${dir}`);
      }
    }
  });

  it("a profile or token file other users can open is refused, naming chmod 600", async () => {
    for (const file of [join("profiles", "default.json"), join("tokens", "default.json")]) {
      for (const mode of [0o644, 0o640, 0o604, 0o666, 0o660]) {
        const home = await tempHome();
        await mkdir(join(home, "profiles"), { mode: 0o700 });
        await mkdir(join(home, "tokens"), { mode: 0o700 });
        await writeFile(join(home, file), "{}", { mode: 0o600 });
        await chmod(join(home, file), mode);
        const error = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: home }).io, {}));
        expect(error.message).toContain(
          `${join(home, file)} is open to other users (mode 0${mode.toString(8)})`,
        );
        expect(error.hint).toContain(`chmod 600 ${join(home, file)}`);
      }
    }
  });

  it("a directory or file that belongs to another user is refused, even closed to others", async () => {
    if (ROOT) {
      const home = await tempHome();
      await chown(home, NOBODY, NOBODY);
      const error = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: home }).io, {}));
      expect(error.message).toContain(`${home} belongs to another user (uid ${NOBODY})`);
      const mine = await tempHome();
      await mkdir(join(mine, "tokens"), { mode: 0o700 });
      await writeFile(join(mine, "tokens", "default.json"), "{}", { mode: 0o600 });
      await chown(join(mine, "tokens", "default.json"), NOBODY, NOBODY);
      expect((await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: mine }).io, {}))).message).toContain(
        "belongs to another user",
      );
    } else {
      // "/" is root's: a directory of another user that this one cannot even write.
      const error = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: "/" }).io, {}));
      expect(error.message).toMatch(/^The config directory \/ belongs to another user \(uid 0\)/);
    }
  });

  it("tokens are never saved into a directory that cannot be made private (chmod failing is an error, with the fix)", async () => {
    if (ROOT) {
      // Root's world-writable directory, as the other user sees it: writable, but chmod fails there.
      const shared = await mkdtemp(join(tmpdir(), "monzokit-shared-"));
      await chmod(shared, 0o777);
      const { node, storeJs } = await reachableByOtherUser();
      const r = asOtherUser(
        `import { FileTokenStore } from ${JSON.stringify(storeJs)};
         try { await new FileTokenStore(${JSON.stringify(join(shared, "default.json"))}).save(${JSON.stringify(TOKENS)}); console.log("saved"); }
         catch (e) { console.log(e.constructor.name, e.message, "|", e.hint); }`,
        node,
      );
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("ConfigError Cannot make");
      expect(r.stdout).toContain(`chmod 700 ${shared}`);
      expect(await readdir(shared)).toEqual([]);
    } else {
      // /tmp is root's and open to all: this user can write there, but not make it private.
      const path = join(tmpdir(), `monzokit-not-private-${process.pid}.json`);
      const error = await refusal(new FileTokenStore(path).save(TOKENS));
      expect(error.hint).toContain(`chmod 700 ${tmpdir()}`);
      await expect(stat(path)).rejects.toThrow();
    }
  });

  it.runIf(ROOT)(
    "a config directory reached through another user's symbolic link or directory is refused, wherever it points",
    async () => {
      // A sticky directory open to all, as /tmp is: the other user makes the name MONZOKIT_HOME points at.
      const tmp = await tempHome();
      await chmod(tmp, 0o1777);
      const mine = await tempHome();
      const { io } = fakeIo({ MONZOKIT_HOME: mine });
      await writeProfile(io, "default", { clientId: "oauth2client_0000000000000000000001" });
      await new FileTokenStore(join(mine, "tokens", "default.json")).save(TOKENS);
      // Their link points at the person's own private directory now; they can repoint it at any moment.
      const link = join(tmp, "home");
      await symlink(mine, link);
      await lchown(link, NOBODY, NOBODY);
      const error = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: link }).io, {}));
      expect(error.message).toContain(
        `reached through ${link}, a symbolic link of another user's (uid ${NOBODY})`,
      );
      expect(error.hint).toContain("MONZOKIT_HOME");
      // A directory of theirs on the real path: they could rename the person's directory away.
      const theirs = join(tmp, "theirs");
      await mkdir(theirs, { mode: 0o755 });
      await chown(theirs, NOBODY, NOBODY);
      await mkdir(join(theirs, "home"), { mode: 0o700 });
      const own = join(mine, "via");
      await symlink(join(theirs, "home"), own);
      const through = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: own }).io, {}));
      expect(through.message).toContain(`inside ${theirs}, which belongs to another user (uid ${NOBODY})`);
      // The person's own link to their own directory is fine.
      const fine = join(tmp, "my-home");
      await symlink(mine, fine);
      expect((await resolveSettings(fakeIo({ MONZOKIT_HOME: fine }).io, {})).clientId).toBe(
        "oauth2client_0000000000000000000001",
      );
    },
  );

  it("a config directory under a directory others can write, higher up, is refused (sticky ones of root's pass)", async () => {
    const top = await tempHome();
    const shared = join(top, "shared");
    await mkdir(shared, { mode: 0o700 });
    await chmod(shared, 0o775);
    const home = join(shared, "monzokit");
    await mkdir(home, { mode: 0o700 });
    const error = await refusal(resolveSettings(fakeIo({ MONZOKIT_HOME: home }).io, {}));
    expect(error.message).toContain(`inside ${shared}, which is writable by other users (mode 0775)`);
    expect(error.hint).toContain(`chmod go-w ${shared}`);
    // Not there yet: what is above it still counts.
    const later = await refusal(
      resolveSettings(fakeIo({ MONZOKIT_HOME: join(shared, "new", "home") }).io, {}),
    );
    expect(later.message).toContain(`inside ${shared}, which is writable by other users`);
    await chmod(shared, 0o1777);
    await resolveSettings(fakeIo({ MONZOKIT_HOME: home }).io, {});
  });

  it("the person's own 0700 directories and 0600 files pass, and missing ones are created so", async () => {
    const home = join(await tempHome(), "fresh", "monzokit");
    const old = process.umask(0);
    try {
      const { io } = fakeIo({ MONZOKIT_HOME: home });
      await resolveSettings(io, {});
      await writeProfile(io, "default", { clientId: "oauth2client_0000000000000000000001" });
      await new FileTokenStore(join(home, "tokens", "default.json")).save(TOKENS);
      expect((await stat(join(home, "profiles"))).mode & 0o777).toBe(0o700);
      expect((await stat(join(home, "profiles", "default.json"))).mode & 0o777).toBe(0o600);
      expect((await resolveSettings(io, {})).clientId).toBe("oauth2client_0000000000000000000001");
    } finally {
      process.umask(old);
    }
    // A directory readable by others (not writable) is only tightened when written to.
    const open = await tempHome();
    await chmod(open, 0o755);
    await checkPrivate(open, "directory", "the config directory");
    await ensurePrivateDir(open);
    expect((await stat(open)).mode & 0o777).toBe(0o700);
  });
});
