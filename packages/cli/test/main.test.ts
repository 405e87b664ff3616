import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXIT } from "../src/errors.js";
import { parsePasted } from "../src/login/flow.js";
import { main } from "../src/main.js";
import { fakeIo, tempHome } from "./helpers.js";

describe("monzo (in-process)", () => {
  it("prints help and version", async () => {
    const f = fakeIo();
    expect(await main(["--help"], f.io)).toBe(0);
    expect(f.stdout()).toContain("transactions");
    const v = fakeIo();
    expect(await main(["--version"], v.io)).toBe(0);
    expect(v.stdout()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = fakeIo();
    expect(await main(["pots", "deposit", "--help"], h.io)).toBe(0);
    expect(h.stdout()).toContain("dedupe-id");
  });

  it("turns mistakes into one line with a fix and exit 2, no stack trace", async () => {
    for (const argv of [
      ["nope"],
      ["pots"],
      ["pots", "nope"],
      ["pots", "deposit"],
      ["balance", "--bogus"],
      ["transactions", "list", "--limit", "500"],
    ]) {
      const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
      const code = await main(argv, f.io);
      expect({ argv, code }).toEqual({ argv, code: EXIT.usage });
      expect(f.stderr()).toMatch(/^error: .+\n {2}→ .+\n$/);
    }
  });

  it("extra words are usage errors, except where a command takes them (annotate's key=value pairs)", async () => {
    for (const [argv, code] of [
      [["balance", "extra"], EXIT.usage],
      [["config", "list"], EXIT.usage],
      [["transactions", "get", "tx_1", "tx_2"], EXIT.usage],
      [["transactions", "annotate", "tx_1", "notes=Lunch", "project=alpha", "old="], EXIT.config],
      [["pots", "deposit", "Savings", "1.50"], EXIT.config],
    ] as const) {
      const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
      expect({ argv, code: await main([...argv], f.io) }).toEqual({ argv, code });
      if (code === EXIT.usage) expect(f.stderr()).toMatch(/^error: (Unexpected argument|Unknown subcommand)/);
    }
  });

  it("without a login, data commands name monzo login (exit 3)", async () => {
    const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
    expect(await main(["balance", "--profile", "work"], f.io)).toBe(EXIT.config);
    expect(f.stderr()).toContain("monzo login --profile work");
  });

  it("login without a terminal and without credentials fails fast naming the missing settings", async () => {
    const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
    expect(await main(["login", "--manual"], f.io)).toBe(EXIT.config);
    expect(f.stderr()).toContain("MONZO_CLIENT_ID");
    expect(f.stderr()).toContain("MONZO_CLIENT_SECRET");
  });

  it("accepts a pasted URL, query, or code and state", () => {
    expect(parsePasted("  http://localhost:6600/callback?code=a&state=b ")).toBe(
      "http://localhost:6600/callback?code=a&state=b",
    );
    expect(parsePasted("abc def")).toBe("?code=abc&state=def");
  });
});

describe("argument parsing under random input (property)", () => {
  // Every command but those that listen or reach out: `emulator` and `webhooks listen` serve until stopped,
  // and `--broker`, `--access-token`, `--api-url` and `--auth-url` would point the run at an address.
  const commands = [
    "login",
    "logout",
    "status",
    "whoami",
    "accounts",
    "balance",
    "pots",
    "transactions",
    "feed",
    "attachments",
    "receipts",
    "webhooks",
    "config",
    "profiles",
    "nope",
  ];
  const words = [
    "list",
    "get",
    "annotate",
    "export",
    "deposit",
    "withdraw",
    "push",
    "add",
    "remove",
    "put",
    "delete",
    "set",
    "show",
    "unset",
    "default",
    "pot_0000",
    "tx_0000",
    "100",
    "-5",
    "1e9",
    "99999999999999999999",
    "",
    " ",
    "=",
    "--",
    "-",
    "🙂",
    "é",
    "a\u0000b",
    "../../etc/passwd",
    "=cmd|' /C calc'!A0",
  ];
  const flags = [
    "--json",
    "--quiet",
    "-q",
    "--debug",
    "--profile",
    "--account",
    "--limit",
    "--since",
    "--before",
    "--all",
    "--csv",
    "--format",
    "--output",
    "--port",
    "--path",
    "--body",
    "--title",
    "--url",
    "--image",
    "--dedupe-id",
    "--timeout",
    "--manual",
    "--no-browser",
    "--redirect-uri",
    "--type",
    "--help",
    "-h",
    "--bogus",
    "---x",
    "-x",
  ];
  const arg = fc.oneof(
    fc.constantFrom(...words),
    fc.constantFrom(...flags),
    fc.tuple(fc.constantFrom(...flags), fc.string({ maxLength: 20 })).map(([f, v]) => `${f}=${v}`),
    fc.string({ unit: "binary", maxLength: 30 }),
  );
  const argv = fc
    .tuple(fc.constantFrom(...commands), fc.array(arg, { maxLength: 7 }))
    .map(([c, rest]) => [c, ...rest]);

  it("every argv ends in a known exit code with one clear line, never a stack trace or a request", async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        fc.pre(
          !args.some(
            (a) =>
              a === "listen" || /^--?(broker|access-token|api-url|auth-url|client-id|client-secret)/.test(a),
          ),
        );
        const f = fakeIo({
          MONZOKIT_HOME: await tempHome(),
          MONZO_API_URL: "http://127.0.0.1:9",
          MONZO_AUTH_URL: "http://127.0.0.1:9/",
        });
        const code = await main(args, f.io);
        // Never "unexpected" (1), and nothing reached the network (8, 9): there is no login to use.
        expect([EXIT.ok, EXIT.usage, EXIT.config, EXIT.notFound]).toContain(code);
        expect(f.stderr()).not.toMatch(/^\s+at /m);
        if (code !== EXIT.ok) expect(f.stderr()).toMatch(/^error: \S/);
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});
