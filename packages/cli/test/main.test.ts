import { readFile } from "node:fs/promises";
import type { Command } from "@commander-js/extra-typings";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalOptions } from "../src/commands/define.js";
import { EXIT } from "../src/errors.js";
import { parsePasted } from "../src/login/flow.js";
import { createProgram, loadAllCommands, main } from "../src/main.js";
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
    const a = fakeIo();
    expect(await main(["transactions", "annotate", "--help"], a.io)).toBe(0);
    expect(a.stdout()).toContain("Usage: monzo transactions annotate [options] <id> <key=value...>");
    const g = fakeIo();
    expect(await main(["help", "pots", "deposit"], g.io)).toBe(0);
    expect(g.stdout()).toBe(h.stdout());
  });

  it("--help's exit codes are the README's: every code, and 3 names a login made at another API", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Exit codes"));
    const table = new Map(
      [...section.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((row) => [row[1]!, row[2]!] as const),
    );
    const f = fakeIo({}, { columns: 400 });
    expect(await main(["--help"], f.io)).toBe(0);
    const help = f.stdout().slice(f.stdout().indexOf("Exit codes"));
    const lines = new Map(
      [...help.matchAll(/^ +(\d+)(?:-(\d+))? +(.+)$/gm)].flatMap((line) => {
        const from = Number(line[1]);
        const to = Number(line[2] ?? line[1]);
        return Array.from({ length: to - from + 1 }, (_, i) => [String(from + i), line[3]!] as const);
      }),
    );
    expect([...lines.keys()].sort()).toEqual([...table.keys()].sort());
    expect(table.get("3")).toContain("a login made at another API");
    expect(lines.get("3")).toContain("a login made at another API");
  });

  it("turns mistakes into one line with a fix and exit 2, no stack trace", async () => {
    for (const argv of [
      ["nope"],
      ["pots"],
      ["pots", "nope"],
      ["toString"],
      ["pots", "constructor"],
      ["webhooks", "__proto__"],
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

  it("a word after -- is a plain argument, never an option", async () => {
    for (const [argv, code, said] of [
      [["transactions", "get", "--", "-tx_1"], EXIT.config, /monzo login/],
      [["transactions", "get", "--", "tx_1", "tx_2"], EXIT.usage, /^error: Unexpected argument "tx_2"/],
      [["pots", "--", "--", "list"], EXIT.usage, /^error: Unknown subcommand "--" for monzo pots/],
      [["webhooks", "remove", "--", "-5"], EXIT.config, /monzo login/],
    ] as const) {
      const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
      expect({ argv, code: await main([...argv], f.io) }).toEqual({ argv, code });
      expect(f.stderr()).toMatch(said);
    }
  });

  it("unknown commands, subcommands and options suggest the nearest name", async () => {
    for (const [argv, said] of [
      [["balnce"], /^error: Unknown command "balnce"\n {2}→ Did you mean balance\?/],
      [["pots", "lst"], /^error: Unknown subcommand "lst" for monzo pots\n {2}→ Did you mean list\?/],
      [
        ["balance", "--acount", "x"],
        /^error: Unknown option --acount for monzo balance\n {2}→ Did you mean --account\?/,
      ],
      [["pots", "list", "--jsn"], /→ Did you mean --json\?/],
    ] as const) {
      const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
      expect({ argv, code: await main([...argv], f.io) }).toEqual({ argv, code: EXIT.usage });
      expect(f.stderr()).toMatch(said);
    }
  });

  it("a string option needs its value, and a short option stands alone", async () => {
    for (const [argv, said] of [
      [["balance", "--account"], /^error: Option --account needs a value\n/],
      [["balance", "--account", "--json"], /^error: Option --account needs a value\n/],
      [["balance", "--account", "-q"], /^error: Option --account needs a value\n/],
      [["login", "-q=_"], /^error: Unknown option -q=_\n {2}→ A short option stands alone/],
      [["balance", "-qj"], /^error: Unknown option -qj\n {2}→ A short option stands alone/],
      [["--profile", "--json", "balance"], /^error: Option --profile needs a value\n/],
      [["webhooks", "remove", "-5"], /^error: Unknown option -5 for monzo webhooks remove\n.*goes after --/],
    ] as const) {
      const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
      expect({ argv, code: await main([...argv], f.io) }).toEqual({ argv, code: EXIT.usage });
      expect(f.stderr()).toMatch(said);
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

describe("options every command takes, before the command's or a subcommand's name", () => {
  let emu: RunningEmulator;
  let home: string;
  const env = () => ({ MONZOKIT_HOME: home, MONZO_API_URL: emu.url });
  beforeAll(async () => {
    emu = await serveEmulator({ seed: "main-globals" }, { port: 0 });
    home = await tempHome();
    for (const profile of ["default", "work"]) {
      const token = emu.emulator.control.token({ ttlSeconds: 3600 });
      const withToken = fakeIo({ ...env(), MONZO_ACCESS_TOKEN: token });
      expect(await main(["login", "--profile", profile], withToken.io)).toBe(EXIT.ok);
    }
  }, 30_000);
  afterAll(() => emu?.close());

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const f = fakeIo(env());
    const code = await main(argv, f.io);
    return { code, out: f.stdout(), err: f.stderr() };
  }

  it("are the same as after it: --json, --profile, --quiet, --debug", async () => {
    const after = await run(["pots", "list", "--json", "--profile", "work"]);
    expect(after.code).toBe(EXIT.ok);
    expect(JSON.parse(after.out)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "Savings" })]),
    );
    for (const argv of [
      ["--json", "--profile", "work", "pots", "list"],
      ["--profile=work", "pots", "--json", "list"],
      ["pots", "--json", "--profile", "work", "list"],
    ])
      expect({ argv, ...(await run(argv)) }).toEqual({ argv, ...after });
    const balance = await run(["--json", "balance"]);
    expect(JSON.parse(balance.out)).toMatchObject({ currency: "GBP" });
    const debug = await run(["--debug", "balance"]);
    expect(debug.code).toBe(EXIT.ok);
    expect(debug.err).toMatch(/GET .*\/balance/);
  });

  it("anything else there is a usage error that says where it goes", async () => {
    for (const [argv, said] of [
      [["--limit", "5", "transactions", "list"], /^error: Unknown option --limit before the command\n/],
      [
        ["pots", "--account", "acc_1", "list"],
        /^error: Unknown option --account before the subcommand of monzo pots/,
      ],
      [["--profile"], /^error: Option --profile needs a value/],
      [["--json"], /^error: No command given/],
      [["pots", "--dedupe-id", "k", "deposit"], /^error: Unknown option --dedupe-id before the subcommand/],
      [["-qj", "balance"], /^error: Unknown option -qj\n {2}→ A short option stands alone/],
    ] as const) {
      const r = await run([...argv]);
      expect({ argv, code: r.code }).toEqual({ argv, code: EXIT.usage });
      expect(r.err).toMatch(said);
    }
  });

  it("are declared once, on the program, and no command declares them again", async () => {
    const program = createProgram(fakeIo().io);
    await loadAllCommands(program);
    const names = globalOptions().map((o) => o.long);
    expect(program.options.map((o) => o.long)).toEqual(expect.arrayContaining(names));
    const walk = (cmd: Command): string[] =>
      cmd.commands.flatMap((sub) => [
        ...sub.options.filter((o) => names.includes(o.long)).map((o) => `${sub.name()} ${o.long}`),
        ...walk(sub as unknown as Command),
      ]);
    expect(walk(program)).toEqual([]);
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
    "toString",
    "__proto__",
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
    "constructor",
    "hasOwnProperty",
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
    .tuple(fc.array(arg, { maxLength: 2 }), fc.constantFrom(...commands), fc.array(arg, { maxLength: 7 }))
    .map(([before, c, rest]) => [...before, c, ...rest]);

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
      { numRuns: Number(process.env["FUZZ_RUNS"] ?? 400) },
    );
  }, 120_000);
});

describe("help a person reads at 80 columns", () => {
  async function everyCommandPath(): Promise<string[][]> {
    const program = createProgram(fakeIo().io);
    await loadAllCommands(program);
    const paths: string[][] = [[]];
    const walk = (cmd: Command, path: string[]) => {
      for (const sub of cmd.commands) {
        paths.push([...path, sub.name()]);
        walk(sub as unknown as Command, [...path, sub.name()]);
      }
    };
    walk(program, []);
    return paths;
  }

  it("every command's and subcommand's help fits 80 columns, starts its usage with monzo and has an example", async () => {
    const paths = await everyCommandPath();
    expect(paths.length).toBeGreaterThan(25);
    for (const path of paths) {
      const f = fakeIo();
      expect({ path, code: await main([...path, "--help"], f.io) }).toEqual({ path, code: EXIT.ok });
      const text = f.stdout();
      const widest = Math.max(...text.split("\n").map((line) => [...line].length));
      expect({ path, widest }).toEqual({ path, widest: expect.toSatisfy((w: number) => w <= 80) });
      expect(text).toMatch(new RegExp(`^Usage: monzo${path.map((p) => ` ${p}`).join("")}( |$)`, "m"));
      expect({ path, example: /\nExamples:\n( {2}# .*\n)* {2}monzo /.test(text) }).toEqual({
        path,
        example: true,
      });
    }
  });

  it("is wrapped to the terminal's width", async () => {
    const wide = fakeIo({}, { columns: 120 });
    const narrow = fakeIo({}, { columns: 60 });
    await main(["login", "--help"], wide.io);
    await main(["login", "--help"], narrow.io);
    const widest = (t: string) => Math.max(...t.split("\n").map((l) => l.length));
    expect(widest(narrow.stdout())).toBeLessThanOrEqual(60);
    expect(widest(wide.stdout())).toBeGreaterThan(80);
  });

  it("names the environment variable behind each option that has one", async () => {
    const behind: Record<string, string[]> = {
      login: [
        "--client-id <id>  *OAuth client id \\[env MONZO_CLIENT_ID\\]",
        "--client-secret  [^]*\\[env MONZO_CLIENT_SECRET\\]",
        "--redirect-uri <uri> [^]*\\[env\\s+MONZO_REDIRECT_URI\\]",
        "--auth-url <url> .*\\[env MONZO_AUTH_URL\\]",
        "--broker <url> [^]*\\[env MONZO_BROKER_URL\\]",
        "--access-token  [^]*\\[env\\s+MONZO_ACCESS_TOKEN\\]",
        "--profile <name> [^]*\\[env\\s+MONZO_PROFILE\\]",
        "--api-url <url> [^]*\\[env\\s+MONZO_API_URL\\]",
      ],
      balance: [
        "--profile <name> [^]*\\[env\\s+MONZO_PROFILE\\]",
        "--api-url <url> [^]*\\[env\\s+MONZO_API_URL\\]",
      ],
    };
    for (const [command, patterns] of Object.entries(behind)) {
      const f = fakeIo();
      await main([command, "--help"], f.io);
      for (const pattern of patterns) expect(f.stdout()).toMatch(new RegExp(pattern));
    }
  });

  it("config set --help lists every key with its values", async () => {
    const f = fakeIo();
    await main(["config", "set", "--help"], f.io);
    const text = f.stdout();
    for (const key of [
      "clientId",
      "clientSecret",
      "redirectUri",
      "apiUrl",
      "authUrl",
      "brokerUrl",
      "tokenStore",
    ])
      expect(text).toMatch(new RegExp(`^  ${key} +\\S`, "m"));
    expect(text).toContain("auto | keychain | file");
    expect(text).toContain("MONZO_TOKEN_STORE");
  });
});
