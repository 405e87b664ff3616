import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
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
