import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TokenSet } from "@monzokit/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apiOrigin,
  loginApiOf,
  planRefresh,
  requireLoginApi,
  routeOf,
  withRoute,
} from "../../src/config/login-route.js";
import { resolveSettings, type SettingFlags } from "../../src/config/settings.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { main } from "../../src/main.js";
import { fakeIo, tempHome } from "../helpers.js";

const BROKER = "http://127.0.0.1:8080";
const base: TokenSet = {
  accessToken: "access-1",
  refreshToken: "refresh-1",
  expiresAt: 0,
  userId: "user_1" as TokenSet["userId"],
  clientId: "oauth2client_broker" as TokenSet["clientId"],
};
const ENV_CLIENT = { MONZO_CLIENT_ID: "oauth2client_env", MONZO_CLIENT_SECRET: "env-secret" };

async function settingsFor(
  env: Record<string, string> = {},
  flags: SettingFlags = {},
  profile?: Record<string, unknown>,
) {
  const home = await tempHome();
  if (profile) {
    await mkdir(join(home, "profiles"), { recursive: true, mode: 0o700 });
    await writeFile(join(home, "profiles", "default.json"), JSON.stringify(profile), { mode: 0o600 });
  }
  return resolveSettings(fakeIo({ MONZOKIT_HOME: home, ...env }).io, flags);
}

/** The plan, or the error it throws. */
function plan(tokens: TokenSet, settings: Awaited<ReturnType<typeof settingsFor>>) {
  const notes: string[] = [];
  try {
    return { plan: planRefresh(tokens, settings, (t) => notes.push(t)), notes };
  } catch (error) {
    return { error, notes };
  }
}

describe("a broker login", () => {
  const tokens = withRoute(base, { kind: "broker", brokerUrl: BROKER });

  it("refreshes through its broker, whatever client id and secret the environment has", async () => {
    const r = plan(tokens, await settingsFor(ENV_CLIENT));
    expect(r.plan).toMatchObject({ kind: "broker", brokerUrl: BROKER });
    expect(JSON.stringify(r.plan)).not.toContain("env-secret");
    expect(r.notes).toEqual([]);
  });

  it("is refreshed through its own broker when another is in the environment or the profile, with a note", async () => {
    for (const settings of [
      await settingsFor({ MONZO_BROKER_URL: "http://127.0.0.1:9" }),
      await settingsFor({}, {}, { brokerUrl: "http://127.0.0.1:9" }),
    ]) {
      const r = plan(tokens, settings);
      expect(r.plan).toMatchObject({ kind: "broker", brokerUrl: BROKER });
      expect(r.notes.join("")).toContain(`this login came through the broker ${BROKER}`);
    }
    // The same broker spelled with a trailing slash is the same broker: no note.
    const same = plan(tokens, await settingsFor({ MONZO_BROKER_URL: `${BROKER}/` }));
    expect(same.plan).toMatchObject({ kind: "broker" });
    expect(same.notes).toEqual([]);
  });

  it("its note shows control characters in either broker URL as escapes, never raw", async () => {
    const hostile = withRoute(base, { kind: "broker", brokerUrl: `${BROKER}/\u001b]0;PWNED\u0007x` });
    const r = plan(hostile, await settingsFor({ MONZO_BROKER_URL: "http://127.0.0.1:9/\u009b2J" }));
    const note = r.notes.join("");
    expect(note).toContain("\\x1b]0;PWNED\\x07x");
    expect(note).toContain("\\x9b2J");
    expect(note.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it("--broker naming another broker is a usage error", async () => {
    const r = plan(tokens, await settingsFor({}, { broker: "http://127.0.0.1:9" }));
    expect(r.error).toBeInstanceOf(UsageError);
    expect((r.error as Error).message).toContain(`This login came through the broker ${BROKER}`);
  });

  it("a saved broker on another host follows the host rules: confirmed in the profile, or refused", async () => {
    const remote = withRoute(base, { kind: "broker", brokerUrl: "https://broker.example.com" });
    const refused = plan(remote, await settingsFor());
    expect(refused.error).toBeInstanceOf(ConfigError);
    expect((refused.error as Error).message).toContain("the broker this login came through");
    expect((refused.error as Error).message).toContain("neither Monzo nor this machine");
    const allowed = plan(remote, await settingsFor({}, {}, { allowHosts: ["broker.example.com"] }));
    expect(allowed.plan).toMatchObject({ kind: "broker", brokerUrl: "https://broker.example.com" });
    const once = plan(remote, await settingsFor({}, { allowHost: "broker.example.com" }));
    expect(once.plan).toMatchObject({ kind: "broker" });
    // Plain http to another host never, confirmed or not.
    const plain = withRoute(base, { kind: "broker", brokerUrl: "http://broker.example.com" });
    const r = plan(plain, await settingsFor({}, {}, { allowHosts: ["broker.example.com"] }));
    expect((r.error as Error).message).toContain("plain http");
  });
});

describe("a login made with this machine's client", () => {
  const tokens = withRoute(
    { ...base, clientId: "oauth2client_env" as TokenSet["clientId"] },
    { kind: "client" },
  );

  it("refreshes at Monzo with that client, even with a broker in the environment", async () => {
    const r = plan(tokens, await settingsFor({ ...ENV_CLIENT, MONZO_BROKER_URL: BROKER }));
    expect(r.plan).toEqual({ kind: "client", clientId: "oauth2client_env", clientSecret: "env-secret" });
  });

  it("without its secret is a config error, not a refresh through the broker", async () => {
    const r = plan(tokens, await settingsFor({ MONZO_BROKER_URL: BROKER }));
    expect(r.error).toBeInstanceOf(ConfigError);
    expect((r.error as Error).message).toContain("this login was made with this machine's client");
  });

  it("with another client id set is a config error naming both", async () => {
    const r = plan(
      tokens,
      await settingsFor({ MONZO_CLIENT_ID: "oauth2client_other", MONZO_CLIENT_SECRET: "x" }),
    );
    expect(r.error).toBeInstanceOf(ConfigError);
    expect((r.error as Error).message).toContain("oauth2client_other");
    expect((r.error as Error).message).toContain("oauth2client_env");
  });

  it("--broker is a usage error", async () => {
    const r = plan(tokens, await settingsFor(ENV_CLIENT, { broker: BROKER }));
    expect(r.error).toBeInstanceOf(UsageError);
  });
});

describe("a token file saved before the route was", () => {
  it("refreshes with this machine's client only when the tokens were issued to it", async () => {
    const own = { ...base, clientId: "oauth2client_env" as TokenSet["clientId"] };
    expect(plan(own, await settingsFor({ ...ENV_CLIENT, MONZO_BROKER_URL: BROKER })).plan).toMatchObject({
      kind: "client",
    });
    // Issued to another client (the broker's): the broker, not the environment's client.
    expect(plan(base, await settingsFor({ ...ENV_CLIENT, MONZO_BROKER_URL: BROKER })).plan).toMatchObject({
      kind: "broker",
      brokerUrl: BROKER,
    });
    expect(plan(base, await settingsFor({}, {}, { brokerUrl: BROKER })).plan).toMatchObject({
      kind: "broker",
    });
    // Another client's tokens and no broker: said, not sent.
    expect(plan(base, await settingsFor(ENV_CLIENT)).error).toBeInstanceOf(ConfigError);
    const none = plan(base, await settingsFor());
    expect(none.error).toBeInstanceOf(ConfigError);
    expect((none.error as Error).message).toContain("no way to refresh");
  });
});

describe("a token from the API playground", () => {
  it("is never refreshed: a config error naming the way back, nothing planned", async () => {
    const tokens = withRoute(base, { kind: "playground", apiOrigin: "https://api.monzo.com" });
    const r = plan(tokens, await settingsFor({ ...ENV_CLIENT, MONZO_BROKER_URL: BROKER }));
    expect(r.error).toBeInstanceOf(ConfigError);
    expect((r.error as Error).message).toContain("API playground");
  });
});

describe("the API a login was made at", () => {
  const EMU = "http://127.0.0.1:6601";
  const made = withRoute(base, { kind: "client", apiOrigin: EMU });

  it("apiOrigin normalises as the URL parser does: case, 127.1, a default port, any path", () => {
    expect(apiOrigin("HTTP://127.1:6601/some/path?x=1")).toBe(EMU);
    expect(apiOrigin("https://API.monzo.com:443/")).toBe("https://api.monzo.com");
    expect(apiOrigin("http://[::1]:80")).toBe("http://[::1]");
    // Another name for this machine may be another listener: not the same API.
    expect(apiOrigin("http://localhost:6601")).not.toBe(EMU);
    fc.assert(
      fc.property(fc.webPath(), fc.constantFrom("", "/", "?q=1", "#x"), (path, tail) => {
        expect(apiOrigin(`${EMU}${path}${tail}`)).toBe(EMU);
      }),
    );
  });

  it("the same API, however spelled, passes; a file without one passes (used as before)", async () => {
    for (const apiUrl of [EMU, `${EMU}/`, "http://127.1:6601", "HTTP://127.0.0.1:6601/x"]) {
      const same = await settingsFor({ MONZO_API_URL: apiUrl });
      expect(() => requireLoginApi(made, same)).not.toThrow();
    }
    const elsewhere = await settingsFor({ MONZO_API_URL: "http://127.0.0.1:9" });
    expect(() => requireLoginApi(withRoute(base, { kind: "client" }), elsewhere)).not.toThrow();
    expect(() => requireLoginApi(base, elsewhere)).not.toThrow();
  });

  it("another API is refused naming both and the fix: --api-url a usage error, any other source a config error", async () => {
    const other = "http://127.0.0.1:9";
    const cases = [
      // Without --api-url (or MONZO_API_URL) the run would go to Monzo's API, not the login's: not offered.
      [await settingsFor({}, { apiUrl: other }), UsageError, "(--api-url)", `Pass --api-url ${EMU} instead`],
      [
        await settingsFor({ MONZO_API_URL: other }),
        ConfigError,
        "(MONZO_API_URL in the environment)",
        `Set MONZO_API_URL to ${EMU} (or pass --api-url ${EMU})`,
      ],
      [
        await settingsFor({ MONZO_API_URL: EMU }, { apiUrl: other }),
        UsageError,
        "(--api-url)",
        `Drop --api-url to use this login at ${EMU}`,
      ],
      [
        await settingsFor({ MONZO_API_URL: other }, {}, { apiUrl: EMU }),
        ConfigError,
        "(MONZO_API_URL in the environment)",
        `Unset MONZO_API_URL to use this login at ${EMU}`,
      ],
      [
        await settingsFor({}, {}, { apiUrl: other }),
        ConfigError,
        "in the profile",
        `monzo config set apiUrl ${EMU}`,
      ],
      [await settingsFor(), ConfigError, "(the default)", `Pass --api-url ${EMU}`],
    ] as const;
    for (const [settings, type, from, fix] of cases) {
      let error: unknown;
      try {
        requireLoginApi(made, settings);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      const { message, hint } = error as ConfigError;
      expect(message).toContain(`This login was made at the API ${EMU}`);
      expect(message).toContain(
        `this run's API is ${settings.apiUrl === other ? other : "https://api.monzo.com"}`,
      );
      expect(message).toContain(from);
      expect(message).not.toContain("\n");
      expect(hint).toContain(fix);
      expect(hint).toContain("monzo login");
      expect(hint).toContain("--profile");
    }
  });

  it("loginApiOf reads it from client, broker and playground routes", () => {
    expect(loginApiOf(made, "t.json")).toBe(EMU);
    expect(loginApiOf(withRoute(base, { kind: "broker", brokerUrl: BROKER, apiOrigin: EMU }), "t.json")).toBe(
      EMU,
    );
    expect(loginApiOf(withRoute(base, { kind: "playground", apiOrigin: EMU }), "t.json")).toBe(EMU);
    expect(loginApiOf(base, "t.json")).toBeUndefined();
  });
});

describe("routeOf", () => {
  it("keeps the recorded API, and calls one that is not an http(s) origin damaged", () => {
    expect(
      routeOf(withRoute(base, { kind: "client", apiOrigin: "https://api.monzo.com" }), "t.json"),
    ).toEqual({
      kind: "client",
      apiOrigin: "https://api.monzo.com",
    });
    for (const bad of [
      "https://api.monzo.com/",
      "https://API.monzo.com",
      "file:///x",
      "ftp://a.b",
      "x",
      7,
      null,
    ])
      expect(() =>
        routeOf({ ...base, obtainedVia: { kind: "client", apiOrigin: bad } } as TokenSet, "t.json"),
      ).toThrow(ConfigError);
  });

  it("reads a saved route, nothing from an older file, and calls anything else damaged", () => {
    expect(routeOf(withRoute(base, { kind: "client" }), "t.json")).toEqual({ kind: "client" });
    expect(routeOf(withRoute(base, { kind: "broker", brokerUrl: BROKER }), "t.json")).toEqual({
      kind: "broker",
      brokerUrl: BROKER,
    });
    expect(routeOf(base, "t.json")).toBeUndefined();
    for (const bad of [null, "broker", { kind: "broker" }, { kind: "broker", brokerUrl: 7 }, { kind: "x" }])
      expect(() => routeOf({ ...base, obtainedVia: bad } as TokenSet, "t.json")).toThrow(ConfigError);
  });
});

describe("the way back to a login's API, followed to the letter", () => {
  const made = (api: string) => withRoute(base, { kind: "client", apiOrigin: api });
  // Where each login was made, and how the same API can be spelled differently in a setting.
  const APIS = [
    { api: "http://127.0.0.1:6601", same: "http://127.1:6601/" },
    { api: "https://api.monzo.com", same: "https://API.monzo.com/" },
    // Another host: usable from the profile only once it is confirmed there, from --api-url always.
    { api: "https://monzo.example.com", same: "https://monzo.example.com/" },
  ];
  // Another name for this machine: another API as far as a login is concerned.
  const OTHER = "http://localhost:6601";
  type Layer = "none" | "same" | "other";
  const LAYERS: Layer[] = ["none", "same", "other"];

  interface Case {
    api: string;
    same: string;
    flag: Layer;
    env: Layer;
    dotenv: Layer;
    profile: Layer;
    name: string;
  }

  /** The person's machine for one case: a config dir, a working directory, the environment, the flags. */
  async function machine(c: Case) {
    const home = await tempHome();
    const cwd = join(home, "project");
    await mkdir(cwd);
    const value = (layer: Layer) => (layer === "same" ? c.same : layer === "other" ? OTHER : undefined);
    const env: Record<string, string> = { MONZOKIT_HOME: home, PWD_OVERRIDE: cwd };
    if (value(c.env)) env["MONZO_API_URL"] = value(c.env)!;
    if (value(c.dotenv)) {
      env["MONZO_DOTENV"] = "1";
      await writeFile(join(cwd, ".env"), `MONZO_CLIENT_ID=x\nMONZO_API_URL=${value(c.dotenv)}\n`);
    }
    if (value(c.profile)) {
      await mkdir(join(home, "profiles"), { recursive: true, mode: 0o700 });
      // Saved with `monzo config set`: a host that is neither Monzo's nor this machine is confirmed then.
      const host = new URL(value(c.profile)!).hostname;
      const allowHosts = host === "monzo.example.com" ? [host] : undefined;
      await writeFile(
        join(home, "profiles", `${c.name}.json`),
        JSON.stringify({ apiUrl: value(c.profile), allowHosts }),
        { mode: 0o600 },
      );
    }
    const flags: SettingFlags = {};
    if (value(c.flag)) flags.apiUrl = value(c.flag)!;
    if (c.name !== "default") flags.profile = c.name;
    return { home, cwd, env, flags };
  }
  type Machine = Awaited<ReturnType<typeof machine>>;
  type Step = (m: Machine) => Promise<void>;

  /**
   * What the fix says to do, read as a person would do it: each way it offers, as the steps that carry it
   * out. A fix in words this reader does not know fails the test (it cannot pass by saying something new).
   */
  function waysOf(fix: string, m: Machine): Step[] {
    const setFlag =
      (url: string): Step =>
      async (again) => {
        again.flags.apiUrl = url;
      };
    const setEnv =
      (url: string): Step =>
      async (again) => {
        again.env["MONZO_API_URL"] = url;
      };
    const forms: [RegExp, (g: string[]) => Step[]][] = [
      [/^Drop --api-url to use this login at \S+/, () => [async (m) => void delete m.flags.apiUrl]],
      [
        /^Unset MONZO_API_URL to use this login at \S+/,
        () => [async (m) => void delete m.env["MONZO_API_URL"]],
      ],
      [
        /^Remove MONZO_API_URL from (.+) to use this login at \S+$/,
        ([path]) => [
          async (again) => {
            // The file this run read (the case is then laid out anew in another directory).
            expect(path).toBe(join(m.cwd, ".env"));
            const file = join(again.cwd, ".env");
            await writeFile(file, (await readFile(file, "utf8")).replace(/^MONZO_API_URL=.*\n/m, ""));
          },
        ],
      ],
      [
        /^Pass --api-url (\S+) \(or set MONZO_API_URL to it\) to use this login where it was made$/,
        ([url]) => [setFlag(url!), setEnv(url!)],
      ],
      [/^Pass --api-url (\S+)(?: instead)? to use this login where it was made$/, ([url]) => [setFlag(url!)]],
      [
        /^Set MONZO_API_URL to (\S+) \(or pass --api-url (\S+)\) to use this login where it was made$/,
        ([env, flag]) => [setEnv(env!), setFlag(flag!)],
      ],
      [
        /^Set the profile's apiUrl back \(monzo (config set apiUrl \S+(?: --profile \S+)?)\) to use this login$/,
        ([command]) => [
          async (m) => {
            // The command as printed, run as it is (with the same environment, none of this run's flags).
            const f = fakeIo(m.env);
            expect(await main(command!.split(" "), f.io), f.stderr()).toBe(0);
          },
        ],
      ],
    ];
    for (const [form, steps] of forms) {
      const found = form.exec(fix);
      if (found) return steps(found.slice(1));
    }
    expect.fail(`a fix in words the test cannot follow: ${fix} (${JSON.stringify(m.flags)})`);
  }

  const cases: Case[] = [];
  for (const { api, same } of APIS)
    for (const flag of LAYERS)
      for (const env of LAYERS)
        for (const dotenv of LAYERS)
          for (const profile of LAYERS)
            for (const name of ["default", "work"])
              cases.push({ api, same, flag, env, dotenv, profile, name });

  it("every source of another API (--api-url, MONZO_API_URL, .env, profile, default) is told a fix that reaches the login's", async () => {
    let refused = 0;
    let ways = 0;
    for (const c of cases) {
      const m = await machine(c);
      const settings = await resolveSettings(fakeIo(m.env).io, m.flags);
      // A run whose API itself is refused says so first (requireEndpoints), before any login is read.
      if (settings.endpoints.apiUrl?.refusal) continue;
      let error: unknown;
      try {
        requireLoginApi(made(c.api), settings);
      } catch (e) {
        error = e;
      }
      if (apiOrigin(settings.apiUrl) === c.api) {
        expect(error).toBeUndefined();
        continue;
      }
      refused++;
      expect(error, JSON.stringify(c)).toBeInstanceOf(c.flag === "none" ? ConfigError : UsageError);
      const hint = (error as ConfigError).hint ?? "";
      const [fix, rest] = hint.split(", or log in again for ");
      expect(rest, hint).toBeDefined();
      for (const step of waysOf(fix!, m)) {
        ways++;
        // Each way offered, alone, from the configuration as it was.
        const again = await machine(c);
        await step(again);
        const after = await resolveSettings(fakeIo(again.env).io, again.flags);
        expect({ c, fix, api: apiOrigin(after.apiUrl) }).toEqual({ c, fix, api: c.api });
        expect(after.endpoints.apiUrl?.refusal, fix).toBeUndefined();
        expect(() => requireLoginApi(made(c.api), after)).not.toThrow();
      }
    }
    // Most cases are refused, and every one with at least one way back.
    expect(refused).toBeGreaterThan(200);
    expect(ways).toBeGreaterThanOrEqual(refused);
  });

  it("the newcomer's case: MONZO_API_URL names another API and the profile none; unsetting it would lead to Monzo's", async () => {
    const home = await tempHome();
    const settings = await resolveSettings(fakeIo({ MONZOKIT_HOME: home, MONZO_API_URL: OTHER }).io, {});
    let error: unknown;
    try {
      requireLoginApi(made("http://127.0.0.1:6601"), settings);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { hint } = error as ConfigError;
    expect(hint).not.toContain("Unset MONZO_API_URL");
    expect(hint).toMatch(
      /^Set MONZO_API_URL to http:\/\/127\.0\.0\.1:6601 \(or pass --api-url http:\/\/127\.0\.0\.1:6601\)/,
    );
  });
});
