import { execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { requireEndpoints } from "../../src/config/endpoints.js";
import { readDotEnv, resolveSettings, writeProfile } from "../../src/config/settings.js";
import { ConfigError } from "../../src/errors.js";
import { fakeIo, tempHome } from "../helpers.js";

describe("settings", () => {
  it("flags beat env, env beats .env (when opted into), .env beats the profile, the profile beats defaults", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    const { io } = fakeIo({
      MONZOKIT_HOME: home,
      MONZO_CLIENT_ID: "from-env",
      MONZO_DOTENV: "1",
      PWD_OVERRIDE: cwd,
    });
    await writeFile(
      join(cwd, ".env"),
      'MONZO_CLIENT_ID=from-dotenv\nMONZO_CLIENT_SECRET="dot secret"\nexport MONZO_API_URL=http://localhost:1 # comment\n',
    );
    await writeProfile(io, "default", { clientId: "from-profile", redirectUri: "http://localhost:7000/cb" });
    const s = await resolveSettings(io, {});
    expect(s.clientId).toBe("from-env");
    expect(s.sources["clientId"]).toBe("env");
    expect(s.clientSecret).toBe("dot secret");
    expect(s.apiUrl).toBe("http://localhost:1");
    expect(s.redirectUri).toBe("http://localhost:7000/cb");
    expect(s.authUrl).toBe("https://auth.monzo.com/");
    expect(s.sources["authUrl"]).toBe("default");
    expect(s.dotenv).toEqual({ path: join(cwd, ".env"), read: true });
    expect((await resolveSettings(io, { clientId: "from-flag" })).clientId).toBe("from-flag");
  });

  it("the note about an ignored .env shows a working directory's control characters as escapes", async () => {
    const home = await tempHome();
    const cwd = join(await tempHome(), "repo\u001b]0;OWNED\u0007");
    await mkdir(cwd);
    await writeFile(join(cwd, ".env"), "MONZO_CLIENT_ID=x\n");
    const f = fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd });
    await resolveSettings(f.io, {});
    expect(f.stderr()).toContain("repo\\x1b]0;OWNED\\x07/.env sets MONZO_CLIENT_ID");
    expect(f.stderr()).not.toMatch(/[\u0007\u001b]/);
  });

  it("a .env is read only with MONZO_DOTENV=1 in the environment, never because the .env says so", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    await writeFile(
      join(cwd, ".env"),
      "MONZO_DOTENV=1\nMONZO_CLIENT_SECRET=planted\nMONZO_API_URL=http://127.0.0.1:1\nMONZO_PROFILE=planted\n",
    );
    for (const optIn of [undefined, "", "0", "false", "no", "on"]) {
      const f = fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd, MONZO_DOTENV: optIn });
      const s = await resolveSettings(f.io, {});
      expect({ optIn, read: s.dotenv.read }).toEqual({ optIn, read: false });
      expect(s.clientSecret).toBeUndefined();
      expect(s.apiUrl).toBe("https://api.monzo.com");
      expect(s.profile).toBe("default");
      // Said once, naming the keys (never their values) and the opt-in.
      expect(f.stderr()).toContain(`${join(cwd, ".env")} sets MONZO_DOTENV, MONZO_CLIENT_SECRET`);
      expect(f.stderr()).toContain("MONZO_DOTENV=1");
      expect(f.stderr()).not.toContain("planted");
      await resolveSettings(f.io, {});
      expect(f.stderr().match(/^note:/gm)).toHaveLength(1);
    }
    for (const optIn of ["1", "true", "YES"]) {
      const s = await resolveSettings(
        fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd, MONZO_DOTENV: optIn }).io,
        {},
      );
      expect(s.clientSecret).toBe("planted");
      expect(s.sources["clientSecret"]).toBe(".env");
    }
    const quiet = fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd });
    await resolveSettings(quiet.io, { quiet: true });
    expect(quiet.stderr()).toBe("");
  });

  it("writeProfile confirms the hosts of URLs it is asked to change, and no URL it merely keeps", async () => {
    const home = await tempHome();
    const { io } = fakeIo({ MONZOKIT_HOME: home });
    const read = async () => JSON.parse(await readFile(join(home, "profiles", "default.json"), "utf8"));
    // What an older monzo left: an API URL from someone's .env, never confirmed.
    await mkdir(join(home, "profiles"), { mode: 0o700 });
    await writeFile(
      join(home, "profiles", "default.json"),
      JSON.stringify({ apiUrl: "https://evil.example" }),
      {
        mode: 0o600,
      },
    );
    await writeProfile(io, "default", { ...(await read()), tokenStore: "file" });
    expect(await read()).toEqual({ apiUrl: "https://evil.example", tokenStore: "file" });
    // A URL this write changes is what the person asked to save (monzo config set, --broker URL).
    await writeProfile(io, "default", { ...(await read()), brokerUrl: "https://broker.example.com" });
    expect((await read()).allowHosts).toEqual(["broker.example.com"]);
    // Loopback and Monzo need no confirmation.
    await writeProfile(io, "default", { ...(await read()), authUrl: "http://127.0.0.1:6601/auth/" });
    expect((await read()).allowHosts).toEqual(["broker.example.com"]);
    // A kept URL is confirmed only when this command line allowed its host.
    await writeProfile(io, "default", await read(), { confirmHosts: ["evil.example"] });
    expect((await read()).allowHosts).toEqual(["broker.example.com", "evil.example"]);
  });

  it("a profile URL nobody confirmed is refused, naming the file and the fix; confirmed, it is taken", async () => {
    const home = await tempHome();
    const { io } = fakeIo({ MONZOKIT_HOME: home });
    await mkdir(join(home, "profiles"), { mode: 0o700 });
    await writeFile(
      join(home, "profiles", "default.json"),
      JSON.stringify({ apiUrl: "https://evil.example", brokerUrl: "https://broker.example.com" }),
      { mode: 0o600 },
    );
    const s = await resolveSettings(io, {});
    expect(s.endpoints.apiUrl?.refusal?.message).toMatch(
      /^apiUrl in the profile .*default\.json points the API/,
    );
    expect(s.endpoints.apiUrl?.refusal?.hint).toContain('"allowHosts": ["evil.example"]');
    expect(() => requireEndpoints(s.endpoints, ["apiUrl"])).toThrow(ConfigError);
    expect(
      (await resolveSettings(io, { allowHost: "evil.example" })).endpoints.apiUrl?.refusal,
    ).toBeUndefined();
    await writeFile(
      join(home, "profiles", "default.json"),
      JSON.stringify({ apiUrl: "https://evil.example", allowHosts: ["evil.example"] }),
    );
    expect((await resolveSettings(io, {})).endpoints.apiUrl?.refusal).toBeUndefined();
    await writeFile(join(home, "profiles", "default.json"), JSON.stringify({ allowHosts: "evil.example" }));
    await expect(resolveSettings(io, {})).rejects.toThrow(/allowHosts/);
  });
  it("profiles keep users apart and refuse unsafe names", async () => {
    const home = await tempHome();
    const { io } = fakeIo({ MONZOKIT_HOME: home });
    const a = await resolveSettings(io, { profile: "alex" });
    const b = await resolveSettings(io, { profile: "sam" });
    expect(a.tokenPath).not.toBe(b.tokenPath);
    await expect(resolveSettings(io, { profile: "../etc" })).rejects.toThrow(/profile name/);
  });
  it("reads .env lines leniently", async () => {
    const dir = await tempHome();
    await writeFile(join(dir, ".env"), "# c\nA=1\nB='two words'\nbad line\nC=3 # trailing\n");
    expect(await readDotEnv(join(dir, ".env"))).toEqual({ A: "1", B: "two words", C: "3" });
    expect(await readDotEnv(join(dir, "missing"))).toEqual({});
  });
});

const BIN = fileURLToPath(new URL("../../bin/monzo.js", import.meta.url));

/**
 * Runs the built `monzo` in `cwd`. The kill after 20 s is only a guard so a hang fails the test instead of
 * stalling the run; nothing here measures time.
 */
function monzoIn(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; hung: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env["PATH"] ?? "", NODE_DISABLE_COMPILE_CACHE: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, 20_000);
    child.once("close", (code) => {
      clearTimeout(guard);
      resolve({ code, hung, stdout, stderr });
    });
  });
}

describe("a .env that is not a small plain file (N6)", () => {
  it("a FIFO named .env: every command still runs without the opt-in, and is a clear exit 3 with it", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    execFileSync("mkfifo", [join(cwd, ".env")]);
    const plain = await monzoIn(cwd, ["config"], { MONZOKIT_HOME: home });
    expect(plain.hung).toBe(false);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("apiUrl");
    const optedIn = await monzoIn(cwd, ["config"], { MONZOKIT_HOME: home, MONZO_DOTENV: "1" });
    expect(optedIn.hung).toBe(false);
    expect(optedIn.code).toBe(3);
    expect(optedIn.stderr).toContain(`${join(cwd, ".env")} is not a plain file`);
    expect(optedIn.stderr).toContain("unset MONZO_DOTENV");
    expect(optedIn.stderr).not.toMatch(/\n\s+at /);
  });

  it("/dev/zero linked as .env is never read without bound", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    await symlink("/dev/zero", join(cwd, ".env"));
    const plain = await monzoIn(cwd, ["config"], { MONZOKIT_HOME: home });
    expect(plain.hung).toBe(false);
    expect(plain.code).toBe(0);
    const optedIn = await monzoIn(cwd, ["config"], { MONZOKIT_HOME: home, MONZO_DOTENV: "1" });
    expect(optedIn.hung).toBe(false);
    expect(optedIn.code).toBe(3);
    expect(optedIn.stderr).toContain(`${join(cwd, ".env")} is not a plain file`);
  });

  it("an oversized .env with the opt-in is a clear exit 3 naming the file; without it, it is not read", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    await writeFile(join(cwd, ".env"), `MONZO_CLIENT_ID=big\n# ${"x".repeat(70_000)}\n`);
    const optedIn = await monzoIn(cwd, ["config"], { MONZOKIT_HOME: home, MONZO_DOTENV: "1" });
    expect(optedIn.code).toBe(3);
    expect(optedIn.stderr).toContain(`${join(cwd, ".env")} is larger than 64 KiB`);
    const f = fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd });
    const s = await resolveSettings(f.io, {});
    expect(s.clientId).toBeUndefined();
    expect(f.stderr()).toBe("");
  });

  it("a .env linked to a plain file is read with the opt-in (a symlink to a shared one is common)", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    await writeFile(join(cwd, "shared.env"), "MONZO_CLIENT_ID=linked\n");
    await symlink(join(cwd, "shared.env"), join(cwd, ".env"));
    const s = await resolveSettings(
      fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd, MONZO_DOTENV: "1" }).io,
      {},
    );
    expect(s.clientId).toBe("linked");
  });

  it("a directory named .env with the opt-in is refused with the fix", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    await mkdir(join(cwd, ".env"));
    const f = fakeIo({ MONZOKIT_HOME: home, PWD_OVERRIDE: cwd, MONZO_DOTENV: "1" });
    await expect(resolveSettings(f.io, {})).rejects.toBeInstanceOf(ConfigError);
  });
});
