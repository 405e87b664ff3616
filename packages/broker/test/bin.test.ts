import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer } from "../../../test-support/redis.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const run = (args: string[], env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", ...env },
    // Nothing here may hang: a start that waits forever fails the test instead.
    timeout: 20_000,
    ...(input === undefined ? {} : { input }),
  });

const BASE = {
  MONZO_CLIENT_ID: "c",
  MONZO_CLIENT_SECRET: "mnzconf.s",
  BROKER_PUBLIC_URL: "https://b.example",
  PORT: "0",
  LOG_LEVEL: "silent",
};

/** Starts the broker, waits for "listening" on stderr, stops it; returns what it wrote. */
async function startAndStop(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [BIN], { env: { PATH: process.env["PATH"] ?? "", ...env } });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d;
      if (/listening on/.test(err)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const exit = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exit;
  return err;
}

describe("monzo-broker", () => {
  it("gen-key and encrypt-secret produce what the server reads", () => {
    const key = run(["gen-key"]).stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const sealed = run(["encrypt-secret"], { BROKER_KEY: key }, "mnzconf.from-stdin");
    expect(sealed.status).toBe(0);
    expect(sealed.stdout).toMatch(/^v1\./);
    expect(sealed.stdout).not.toContain("from-stdin");
    expect(run(["encrypt-secret"], {}, "x").status).toBe(2);
  });

  it("fails fast with one line per bad setting, no stack trace", () => {
    const r = run([], { PORT: "nope" });
    expect(r.status).toBe(2);
    for (const name of ["MONZO_CLIENT_ID", "MONZO_CLIENT_SECRET", "BROKER_PUBLIC_URL", "PORT"])
      expect(r.stderr).toContain(`${name}:`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("serves and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN], {
      env: {
        PATH: process.env["PATH"] ?? "",
        MONZO_CLIENT_ID: "c",
        MONZO_CLIENT_SECRET: "mnzconf.s",
        BROKER_PUBLIC_URL: "https://b.example",
        PORT: "0",
        LOG_LEVEL: "silent",
      },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d;
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const exit = new Promise<number | null>((r) => child.once("exit", r));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("gen-key --out writes the key readable only by its owner, whatever the umask, and never overwrites", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monzokit-broker-key-"));
    const file = join(dir, "broker.key");
    const made = spawnSync(
      "sh",
      ["-c", `umask 000; exec "${process.execPath}" "${BIN}" gen-key --out "${file}"`],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toBe("");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const key = await readFile(file, "utf8");
    expect(key.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = run(["gen-key", "--out", file]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("already exists");
    expect(await readFile(file, "utf8")).toBe(key);
    // The key file works for encrypt-secret and the server alike.
    const sealed = run(["encrypt-secret"], { BROKER_KEY_FILE: file }, "mnzconf.x");
    expect(sealed.status, sealed.stderr).toBe(0);
    expect(sealed.stderr).toBe("");
  });

  it("warns at start, and at encrypt-secret, when the key file is readable by others", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monzokit-broker-key-"));
    const file = join(dir, "broker.key");
    await writeFile(file, `${run(["gen-key"]).stdout}`);
    await chmod(file, 0o644);
    const err = await startAndStop({ ...BASE, BROKER_KEY_FILE: file });
    expect(err).toMatch(/warning: .*broker\.key is readable by other users.*chmod 600/);
    expect(run(["encrypt-secret"], { BROKER_KEY_FILE: file }, "mnzconf.x").stderr).toContain("chmod 600");
    await chmod(file, 0o600);
    expect(await startAndStop({ ...BASE, BROKER_KEY_FILE: file })).not.toContain("warning");
  });

  it("refuses an all-zero or low-entropy key, in encrypt-secret and the server alike", () => {
    for (const weak of ["0".repeat(64), "ab".repeat(32), "A".repeat(43)]) {
      const sealing = run(["encrypt-secret"], { BROKER_KEY: weak }, "mnzconf.x");
      expect(sealing.status).toBe(2);
      expect(sealing.stderr).toContain("gen-key");
      const serving = run([], { ...BASE, BROKER_KEY: weak });
      expect(serving.status).toBe(2);
      expect(serving.stderr).toMatch(/BROKER_KEY: .*random/);
    }
  });

  it("one rule for BROKER_KEY and BROKER_KEY_FILE: both set is refused by encrypt-secret and the server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monzokit-broker-key-"));
    const file = join(dir, "broker.key");
    await writeFile(file, run(["gen-key"]).stdout, { mode: 0o600 });
    const both = { BROKER_KEY: run(["gen-key"]).stdout.trim(), BROKER_KEY_FILE: file };
    const sealing = run(["encrypt-secret"], both, "mnzconf.x");
    expect(sealing.status).toBe(2);
    expect(sealing.stderr).toMatch(/BROKER_KEY.*BROKER_KEY_FILE|one of/);
    const serving = run([], { ...BASE, ...both });
    expect(serving.status).toBe(2);
    expect(serving.stderr).toContain("BROKER_KEY_FILE:");
  });
});

describe("monzo-broker with Redis it cannot use: fails fast with the reason, never hangs", () => {
  const guarded = new RedisServer({ password: "the-right-redis-password" });
  beforeAll(() => guarded.start(), 30_000);
  afterAll(() => guarded.dispose());
  const redisEnv = (url: string) => ({
    ...BASE,
    BROKER_STORE: "redis",
    REDIS_URL: url,
    BROKER_KEY: run(["gen-key"]).stdout.trim(),
  });

  it("a closed port", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const r = run([], redisEnv(`redis://127.0.0.1:${port}`));
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/REDIS_URL: .*refused the connection/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a wrong password, or none: named, and the password never printed", async () => {
    const wrong = run([], redisEnv(`redis://:not-the-password-123@127.0.0.1:${guarded.port}`));
    expect(wrong.signal).toBeNull();
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/REDIS_URL: .*refused the password/);
    expect(wrong.stderr).not.toContain("not-the-password-123");
    const none = run([], redisEnv(`redis://127.0.0.1:${guarded.port}`));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/REDIS_URL: .*needs a password/);
    // With the right one it starts.
    expect(await startAndStop(redisEnv(guarded.url))).toContain("store: redis");
  });
});
