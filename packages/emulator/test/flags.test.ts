import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EMULATOR_FLAGS,
  EmulatorUsageError,
  emulatorHelp,
  emulatorSettings,
  parseEmulatorArgs,
  parseFault,
  startEmulatorFromFlags,
} from "../src/flags.js";

const usageError = (values: Parameters<typeof emulatorSettings>[0], read?: (path: string) => string) => {
  try {
    emulatorSettings(values, read);
  } catch (e) {
    expect(e).toBeInstanceOf(EmulatorUsageError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("emulatorSettings", () => {
  it("gives the documented defaults for no flags", () => {
    expect(emulatorSettings({})).toEqual({
      options: { seed: "monzokit", transactions: 2000, faults: { latencyMs: 0, jitterMs: 0, rules: [] } },
      serve: { port: 6601, host: "127.0.0.1", allowRemoteControl: false },
      json: false,
    });
  });

  it("maps every flag to its option", () => {
    const clients = [{ id: "oauth2client_x", secret: "s", redirectUris: ["http://localhost:1/cb"] }];
    const every = {
      port: "0",
      host: "::1",
      seed: "s1",
      transactions: "50",
      years: "1.5",
      "settle-after": "90",
      latency: "30",
      jitter: "5",
      fault: ["503@0.2", "429:/balance", "reset@0.05:GET /transactions"],
      "auto-consent": "user_1",
      "auto-approve": "3000",
      clients: "clients.json",
      "access-ttl": "60",
      control: false,
      cors: ["http://localhost:5173,https://app.example", "http://127.0.0.1:8080"],
      "allow-remote-control": true,
      json: true,
    };
    // A flag added to EMULATOR_FLAGS without a line here (and in emulatorSettings) fails this test.
    expect(Object.keys(every).sort()).toEqual(EMULATOR_FLAGS.map((f) => f.name).sort());
    const s = emulatorSettings(every, (path) => (path === "clients.json" ? JSON.stringify(clients) : ""));
    expect(s).toEqual({
      options: {
        seed: "s1",
        transactions: 50,
        years: 1.5,
        settleAfterMs: 90_000,
        faults: {
          latencyMs: 30,
          jitterMs: 5,
          rules: [
            { kind: 503, rate: 0.2 },
            { kind: 429, route: "/balance" },
            { kind: "reset", rate: 0.05, route: "GET /transactions" },
          ],
        },
        autoConsent: "user_1",
        autoApprove: 3000,
        clients: [{ ...clients[0], confidential: true, name: "oauth2client_x" }],
        accessTokenTtlSeconds: 60,
        control: false,
        cors: { origins: ["http://localhost:5173", "https://app.example", "http://127.0.0.1:8080"] },
      },
      serve: { port: 0, host: "::1", allowRemoteControl: true },
      json: true,
    });
  });

  it("takes the optional-value flags alone, as a parser without optional values gives them", () => {
    const alone = emulatorSettings({ "auto-consent": true, "auto-approve": true });
    expect(alone.options).toMatchObject({ autoConsent: true, autoApprove: 0 });
    // citty-style parsers give an empty string for a string flag without a value.
    expect(emulatorSettings({ "auto-approve": "" }).options.autoApprove).toBe(0);
    expect(emulatorSettings({ "auto-consent": "" }).options.autoConsent).toBeUndefined();
    expect(emulatorSettings({ fault: "500" }).options.faults?.rules).toEqual([{ kind: 500 }]);
  });

  it("refuses bad values with a message naming the flag", () => {
    expect(usageError({ port: "http" })).toBe('--port must be a whole number from 0 to 65535, not "http"');
    expect(usageError({ port: "65536" })).toContain("--port");
    expect(usageError({ transactions: "0" })).toContain("--transactions");
    expect(usageError({ years: "21" })).toContain("--years");
    expect(usageError({ "auto-approve": "soon" })).toContain("--auto-approve");
    expect(usageError({ cors: ["*"] })).toMatch(/^--cors: cors origin "\*" is refused/);
    expect(usageError({ cors: "http://localhost:5173/app" })).toContain("--cors: ");
    expect(usageError({ "settle-after": "soon" })).toBe('--settle-after must be a whole number, not "soon"');
    expect(usageError({ "access-ttl": "0" })).toBe(
      '--access-ttl must be a whole number of at least 1, not "0"',
    );
    expect(usageError({ seed: ["a", "b"] })).toBe("--seed was given 2 times; give it once");
    expect(usageError({ fault: ["418"] })).toContain('--fault "418" is not KIND[@RATE][:ROUTE]');
    expect(
      usageError({ clients: "c.json" }, () => {
        throw new Error("ENOENT: no such file");
      }),
    ).toBe("cannot read --clients c.json: ENOENT: no such file");
    expect(usageError({ clients: "c.json" }, () => "{}")).toContain("must hold a JSON array");
    expect(usageError({ clients: "c.json" }, () => '[{"id": "x"}]')).toContain("client 0 in c.json needs");
  });
});

describe("parseEmulatorArgs", () => {
  it("reads every kind of flag, optional values in both spellings", () => {
    const { values, help, version } = parseEmulatorArgs([
      "--port",
      "0",
      "--fault",
      "503",
      "--fault=429:/balance",
      "--auto-approve",
      "3000",
      "--auto-consent",
      "--no-control",
      "--json",
    ]);
    expect({ help, version }).toEqual({ help: false, version: false });
    expect(values).toMatchObject({
      port: "0",
      fault: ["503", "429:/balance"],
      "auto-approve": "3000",
      "auto-consent": true,
      control: false,
      json: true,
    });
    expect(parseEmulatorArgs(["--auto-approve=10"]).values["auto-approve"]).toBe("10");
    expect(parseEmulatorArgs(["--auto-consent", "--json"]).values).toMatchObject({
      "auto-consent": true,
      json: true,
    });
    expect(parseEmulatorArgs([]).values["control"]).toBeUndefined();
    expect(parseEmulatorArgs(["-h"]).help).toBe(true);
  });

  it("refuses unknown options, missing values and stray words", () => {
    for (const argv of [["--bogus"], ["--port"], ["stray"], ["--auto-approve", "1", "2"], ["--json=yes"]])
      expect(() => parseEmulatorArgs(argv), argv.join(" ")).toThrow(EmulatorUsageError);
  });
});

describe("parseFault", () => {
  it("reads every KIND[@RATE][:ROUTE]", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("429", "500", "502", "503", "504", "reset"),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        fc.option(fc.stringMatching(/^[A-Z]{0,6} ?\/[a-z/]{0,12}$/), { nil: undefined }),
        (kind, percent, route) => {
          const spec = `${kind}${percent === undefined ? "" : `@${percent / 100}`}${route ? `:${route}` : ""}`;
          const rule = parseFault(spec);
          expect(rule.kind).toBe(kind === "reset" ? "reset" : Number(kind));
          expect(rule.rate).toBe(percent === undefined ? undefined : percent / 100);
          expect(rule.route).toBe(route || undefined);
        },
      ),
    );
  });

  it("answers anything else with a usage error, never another error", () => {
    fc.assert(
      fc.property(fc.string(), (spec) => {
        try {
          parseFault(spec);
        } catch (e) {
          expect(e).toBeInstanceOf(EmulatorUsageError);
        }
      }),
    );
  });
});

describe("emulatorHelp", () => {
  it("lists every flag with its value and default", () => {
    const help = emulatorHelp("monzo-emulator");
    for (const f of EMULATOR_FLAGS) expect(help).toContain(f.negatable ? `--no-${f.name}` : `--${f.name}`);
    expect(help).toContain("--auto-approve [MS]");
    expect(help).toContain("--port N");
    expect(help).toContain("(default 6601)");
  });

  it("fits 80 columns, each description wrapped beside its flag with nothing lost", () => {
    const help = emulatorHelp("monzo-emulator");
    expect(Math.max(...help.split("\n").map((l) => [...l].length))).toBeLessThanOrEqual(80);
    const flat = help.replace(/\n {2,}(?!-)/g, " ");
    for (const f of EMULATOR_FLAGS) expect(flat).toContain(f.description);
    expect(flat).toContain("e.g. 503@0.2, 429:/balance, reset@0.05:GET /transactions");
  });
});

describe("startEmulatorFromFlags", () => {
  it("serves on a free port and describes it as one JSON line", async () => {
    const started = await startEmulatorFromFlags({ port: "0", transactions: "20", json: true });
    try {
      expect(started.text.endsWith("\n")).toBe(true);
      expect(JSON.parse(started.text)).toEqual(started.details);
      expect(started.details.control_url).toBe(`${started.details.api_url}/_emulator`);
      const res = await fetch(`${started.details.api_url}/ping/whoami`);
      expect(res.status).toBe(401);
    } finally {
      await started.running.close();
    }
  });

  it("turns a refused control exposure into a usage error", async () => {
    await expect(startEmulatorFromFlags({ port: "0", host: "0.0.0.0" })).rejects.toThrow(EmulatorUsageError);
  });
});
