import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDotEnv, resolveSettings, writeProfile } from "../../src/config/settings.js";
import { fakeIo, tempHome } from "../helpers.js";

describe("settings", () => {
  it("flags beat env, env beats .env, .env beats the profile, the profile beats defaults", async () => {
    const home = await tempHome();
    const cwd = await tempHome();
    const { io } = fakeIo({ MONZOKIT_HOME: home, MONZO_CLIENT_ID: "from-env", PWD_OVERRIDE: cwd });
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
    expect((await resolveSettings(io, { clientId: "from-flag" })).clientId).toBe("from-flag");
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
