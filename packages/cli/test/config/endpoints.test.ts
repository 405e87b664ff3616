import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  announcingFetch,
  hostKind,
  judgeEndpoint,
  parseAllowHosts,
  requireEndpoints,
  type SettingSource,
} from "../../src/config/endpoints.js";
import { ConfigError, EXIT } from "../../src/errors.js";
import { main } from "../../src/main.js";
import { fakeIo, tempHome } from "../helpers.js";

const where = { profile: "default", profilePath: "/home/me/profiles/default.json", dotenvPath: "/repo/.env" };
const context = (runAllowed: string[] = [], profileAllowed: string[] = []) => ({
  ...where,
  runAllowed,
  profileAllowed,
});

describe("hostKind", () => {
  it("knows Monzo's two hosts over https only, and this machine however it is spelled", () => {
    const cases: [string, string][] = [
      ["https://api.monzo.com", "monzo"],
      ["https://API.Monzo.COM/", "monzo"],
      ["https://auth.monzo.com/", "monzo"],
      ["http://api.monzo.com", "other"],
      ["https://api.monzo.com:8443", "other"],
      ["https://api.monzo.com.", "other"],
      ["https://api.monzo.com.evil.example", "other"],
      ["https://api.monzo.com@evil.example", "other"],
      ["https://evil.example#@api.monzo.com", "other"],
      ["https://evil.example\\@api.monzo.com", "other"],
      ["https://evil.example/?api.monzo.com", "other"],
      ["https://monzo.com", "other"],
      ["https://xapi.monzo.com", "other"],
      ["http://localhost:6601", "loopback"],
      ["http://LOCALHOST:6601", "loopback"],
      ["http://127.0.0.1:6601", "loopback"],
      ["http://127.1:6601", "loopback"],
      ["http://0x7f000001/", "loopback"],
      ["http://2130706433/", "loopback"],
      ["http://127.255.255.254/", "loopback"],
      ["http://[::1]:6601", "loopback"],
      ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
      ["http://localhost./", "other"],
      ["http://evil.localhost/", "other"],
      ["http://127.0.0.1.nip.io/", "other"],
      ["http://0.0.0.0/", "other"],
      ["http://[::ffff:127.0.0.1]/", "other"],
      ["http://128.0.0.1/", "other"],
    ];
    for (const [url, kind] of cases) expect({ url, kind: hostKind(new URL(url)) }).toEqual({ url, kind });
  });

  it("a trusted name inside another URL's user, path, query, fragment or subdomain makes it no less foreign (property)", () => {
    const trusted = fc.constantFrom("api.monzo.com", "auth.monzo.com", "127.0.0.1", "localhost", "[::1]");
    const shapes = fc.constantFrom(
      (t: string, d: string) => `https://${t}.${d}/`,
      (t: string, d: string) => `https://${t}@${d}/`,
      (t: string, d: string) => `https://${t}:443@${d}/`,
      (t: string, d: string) => `https://${d}#@${t}`,
      (t: string, d: string) => `https://${d}\\@${t}`,
      (t: string, d: string) => `https://${d}/${t}`,
      (t: string, d: string) => `https://${d}?u=https://${t}`,
      (t: string, d: string) => `http://${d}:80/${t}`,
    );
    fc.assert(
      fc.property(trusted, fc.domain(), shapes, (t, d, shape) => {
        // Some shapes are no URL at all for some names ("[::1].example"): nothing to judge there.
        fc.pre(URL.canParse(shape(t, d)));
        const url = new URL(shape(t, d));
        expect({ url: url.href, kind: hostKind(url) }).toEqual({ url: url.href, kind: "other" });
      }),
      { numRuns: 3000 },
    );
  });
});

describe("judgeEndpoint", () => {
  it("refuses a host that is neither Monzo nor this machine from the environment, a .env or an unconfirmed profile", () => {
    for (const source of ["env", ".env", "profile"] as SettingSource[]) {
      const e = judgeEndpoint("apiUrl", "https://evil.example", source, context());
      expect(e.refusal).toBeInstanceOf(ConfigError);
      expect(e.refusal?.message).toContain("evil.example");
      expect(e.refusal?.hint).toContain("--allow-host evil.example");
    }
    expect(judgeEndpoint("apiUrl", "https://evil.example", ".env", context()).refusal?.message).toMatch(
      /^MONZO_API_URL in \/repo\/\.env points the API at evil\.example/,
    );
    expect(judgeEndpoint("brokerUrl", "https://b.example", "env", context()).refusal?.message).toMatch(
      /^MONZO_BROKER_URL in the environment points the broker at b\.example.*your tokens/,
    );
    expect(judgeEndpoint("authUrl", "https://evil.example/", "profile", context()).refusal?.hint).toContain(
      '"allowHosts": ["evil.example"]',
    );
  });

  it("takes it when named on the command line, allowed with --allow-host, or confirmed in the profile", () => {
    expect(judgeEndpoint("apiUrl", "https://proxy.example", "flag", context()).refusal).toBeUndefined();
    expect(
      judgeEndpoint("apiUrl", "https://proxy.example", "env", context(["proxy.example"])).refusal,
    ).toBeUndefined();
    expect(
      judgeEndpoint("apiUrl", "https://proxy.example:8443", "env", context(["proxy.example:8443"])).refusal,
    ).toBeUndefined();
    expect(
      judgeEndpoint("apiUrl", "https://proxy.example:8443", "env", context(["proxy.example:9"])).refusal,
    ).toBeInstanceOf(ConfigError);
    expect(
      judgeEndpoint("brokerUrl", "https://b.example", "profile", context([], ["b.example"])).refusal,
    ).toBeUndefined();
    expect(judgeEndpoint("brokerUrl", "https://b.example", "env", context([], ["b.example"])).refusal).toBe(
      undefined,
    );
    // Allowing one host allows no look-alike.
    expect(
      judgeEndpoint("apiUrl", "https://proxy.example.evil", "env", context(["proxy.example"])).refusal,
    ).toBeInstanceOf(ConfigError);
  });

  it("takes Monzo's hosts and this machine from anywhere", () => {
    for (const source of ["flag", "env", ".env", "profile", "default"] as SettingSource[]) {
      expect(judgeEndpoint("apiUrl", "https://api.monzo.com", source, context()).refusal).toBeUndefined();
      expect(judgeEndpoint("apiUrl", "http://127.0.0.1:6601", source, context()).refusal).toBeUndefined();
      expect(judgeEndpoint("redirectUri", "http://localhost:6600/callback", source, context()).refusal).toBe(
        undefined,
      );
    }
  });

  it("refuses what is not an http(s) URL, and credentials inside a URL, from anywhere", () => {
    for (const value of [
      "not a url",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "https://u:p@api.monzo.com",
    ])
      expect(judgeEndpoint("apiUrl", value, "flag", context()).refusal).toBeInstanceOf(ConfigError);
  });

  it("refuses plain http to another host with the fix on the command line, even when the host is allowed", () => {
    const cases: [Parameters<typeof judgeEndpoint>[0], string, SettingSource, RegExp][] = [
      ["authUrl", "http://login.example.com/", "flag", /Give --auth-url its https address/],
      ["apiUrl", "http://api.example.com", "env", /Set MONZO_API_URL to its https address/],
      ["brokerUrl", "http://broker.example.com", "profile", /monzo config set brokerUrl https:/],
      ["apiUrl", "http://api.monzo.com", "flag", /Give --api-url its https address/],
    ];
    for (const [name, value, source, fix] of cases) {
      const host = new URL(value).hostname;
      const e = judgeEndpoint(name, value, source, context([host], [host]));
      expect(e.refusal, value).toBeInstanceOf(ConfigError);
      expect(e.refusal?.message).toMatch(
        / is plain http \(http:.*\): .* would cross the network to .* unencrypted$/,
      );
      expect(e.refusal?.hint).toMatch(fix);
      expect(e.refusal?.hint).toContain("ssh -L");
      expect(e.refusal?.hint).not.toMatch(/allowInsecure/);
    }
    // This machine may use plain http (the emulator), and a redirect URI only gets a warning elsewhere.
    expect(judgeEndpoint("apiUrl", "http://localhost:6601", "flag", context()).refusal).toBeUndefined();
    expect(
      judgeEndpoint("redirectUri", "http://app.example.com/cb", "flag", context()).refusal,
    ).toBeUndefined();
  });

  it("monzo login, balance and login --broker say what to do on the command line, never allowInsecure", async () => {
    const home = await tempHome();
    const env = {
      MONZOKIT_HOME: home,
      MONZO_TOKEN_STORE: "file",
      MONZO_CLIENT_ID: "oauth2client_0001",
      MONZO_CLIENT_SECRET: "client-secret-0123456789",
    };
    for (const argv of [
      [
        "login",
        "--auth-url",
        "http://login.example.com",
        "--allow-host",
        "login.example.com",
        "--no-browser",
      ],
      ["balance", "--api-url", "http://api.example.com"],
      ["login", "--broker", "http://broker.example.com", "--no-browser"],
    ]) {
      const t = fakeIo(env, { cwd: home });
      expect(await main(argv, t.io), argv.join(" ")).toBe(EXIT.config);
      expect(t.stderr()).toMatch(/^error: --(auth-url|api-url|broker) is plain http \(http:\/\/\S+\): /m);
      expect(t.stderr()).toMatch(/→ Give --(auth-url|api-url|broker) its https address/);
      expect(t.stderr()).not.toMatch(/allowInsecure|authUrl|apiUrl|brokerUrl/);
    }
  });

  it("requireEndpoints throws the first refusal among the names asked for, and ignores the rest", () => {
    const endpoints = {
      apiUrl: judgeEndpoint("apiUrl", "https://api.monzo.com", "default", context()),
      brokerUrl: judgeEndpoint("brokerUrl", "https://b.example", "env", context()),
    };
    expect(() => requireEndpoints(endpoints, ["apiUrl"])).not.toThrow();
    expect(() => requireEndpoints(endpoints, ["apiUrl", "brokerUrl"])).toThrow(/b\.example/);
  });

  it("parseAllowHosts takes commas and spaces", () => {
    expect(parseAllowHosts(" A.example,b.example  c.example:8443,")).toEqual([
      "a.example",
      "b.example",
      "c.example:8443",
    ]);
    expect(parseAllowHosts(undefined)).toEqual([]);
  });
});

describe("announcingFetch", () => {
  it("names each endpoint that is not Monzo's once per run, on stderr, at its first request", async () => {
    const f = fakeIo();
    const seen: string[] = [];
    const inner = (async (input: string | URL | Request) => {
      seen.push(String(input));
      return new Response("{}");
    }) as typeof fetch;
    const endpoints = [
      judgeEndpoint("apiUrl", "http://127.0.0.1:6601", "env", context()),
      judgeEndpoint("brokerUrl", "https://b.example", "flag", context()),
    ];
    const wrapped = announcingFetch(f.io, endpoints, where, inner, false);
    expect(f.stderr()).toBe("");
    await wrapped("http://127.0.0.1:6601/accounts");
    await wrapped("http://127.0.0.1:6601/balance");
    await wrapped("https://b.example/refresh", { method: "POST" });
    // A second session in the same run says nothing again.
    await announcingFetch(f.io, endpoints, where, inner, false)("http://127.0.0.1:6601/pots");
    expect(seen).toHaveLength(4);
    expect(f.stderr()).toBe(
      "note: the API is http://127.0.0.1:6601 (MONZO_API_URL in the environment): this machine, not Monzo.\n" +
        "note: the broker is https://b.example (--broker): another host, not Monzo.\n",
    );
    expect(f.stdout()).toBe("");
  });

  it("under --quiet leaves out this machine, never another host; Monzo is never named", async () => {
    const f = fakeIo();
    const inner = (async () => new Response("{}")) as unknown as typeof fetch;
    const wrapped = announcingFetch(
      f.io,
      [
        judgeEndpoint("apiUrl", "http://127.0.0.1:6601", "env", context()),
        judgeEndpoint("brokerUrl", "https://b.example", "flag", context()),
      ],
      where,
      inner,
      true,
    );
    await wrapped("http://127.0.0.1:6601/accounts");
    await wrapped("https://b.example/refresh");
    expect(f.stderr()).toBe("note: the broker is https://b.example (--broker): another host, not Monzo.\n");
    const monzo = fakeIo();
    await announcingFetch(
      monzo.io,
      [judgeEndpoint("apiUrl", "https://api.monzo.com", "default", context())],
      where,
      inner,
      false,
    )("https://api.monzo.com/accounts");
    expect(monzo.stderr()).toBe("");
  });
});
