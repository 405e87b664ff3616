/**
 * End to end: the `monzo` binary as a subprocess, the emulator on a real loopback port, and headless
 * Chromium clicking through Monzo's login page and the in-app approval page.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAmount } from "@monzokit/core";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/chromium.js";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
const SECRET = "mnzconf.e2e-client-secret-value";
let emu: RunningEmulator;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let callbackPort: number;
const captured: string[] = [];
const secrets = new Set<string>();
const homes = new Set<string>();

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function env(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "",
    MONZOKIT_HOME: home,
    MONZO_API_URL: emu.url,
    MONZO_AUTH_URL: emu.authUrl,
    MONZO_CLIENT_ID: "oauth2client_0000E2eClient00000001",
    MONZO_CLIENT_SECRET: SECRET,
    MONZO_REDIRECT_URI: `http://127.0.0.1:${callbackPort}/callback`,
    NO_COLOR: "1",
    ...extra,
  };
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

function monzo(args: string[], environment: Record<string, string>): Run {
  const child = spawn(process.execPath, [BIN, ...args], { env: environment });
  let out = "";
  let err = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = err.match(w.pattern) ?? out.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on("data", (d: Buffer) => {
    out += d;
    check();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d;
    check();
  });
  const exit = new Promise<number>((resolve) =>
    child.once("exit", (code) => {
      captured.push(out, err);
      homes.add(environment["MONZOKIT_HOME"]!);
      // Every token set a run left behind joins the secrets the last test looks for everywhere.
      void readFile(join(environment["MONZOKIT_HOME"]!, "tokens", "default.json"), "utf8")
        .then((text) => {
          const t = JSON.parse(text) as { accessToken?: string; refreshToken?: string };
          for (const v of [t.accessToken, t.refreshToken]) if (v) secrets.add(v);
        })
        .catch(() => {})
        .finally(() => resolve(code ?? -1));
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${pattern}: ${err}`)), 50));
      }),
  };
}

async function counters(): Promise<Record<string, number>> {
  return (await (await fetch(`${emu.url}/_emulator/counters`)).json()) as Record<string, number>;
}

beforeAll(async () => {
  emu = await serveEmulator({ seed: "cli-e2e", transactions: 800 }, { port: 0 });
  callbackPort = await freePort();
  emu.emulator.control.addClient({
    id: "oauth2client_0000E2eClient00000001",
    secret: SECRET,
    redirectUris: [`http://127.0.0.1:${callbackPort}/callback`],
    confidential: true,
    name: "CLI e2e",
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await emu?.close();
});

describe("monzo login and data commands, end to end", () => {
  let home: string;

  it("logs in through a real browser, waits for approval in the app, and stores tokens 0600", async () => {
    home = await tempHome();
    const run = monzo(["login", "--no-browser", "--timeout", "60"], env(home));
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.click("#allow");
    await page.waitForSelector("#result");
    expect(await page.textContent("#result")).toContain("logged in");
    // Against the emulator, the login says where its stand-in for the Monzo app is.
    const [, approvals] = await run.waitFor(
      /Now approve the login on the emulator's stand-in for the Monzo app: (http:\/\/127\.0\.0\.1:\d+\/auth\/app)\n/,
    );
    expect(approvals).toBe(`${emu.authUrl}app`);
    await page.goto(approvals!);
    await page.click("button.approve");
    await page.waitForSelector("#notice");
    await page.close();
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toContain("Approved in the Monzo app");
    // stderr is a pipe here: no redrawn frames, no colour, and each milestone on a line of its own.
    expect(run.stderr()).not.toMatch(/[\r\u001b]/);
    expect(run.stderr()).not.toMatch(/Waiting for approval/);
    expect(run.stderr()).toMatch(/\n✓ Approved in the Monzo app\.\n$/);
    const file = join(home, "tokens", "default.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({
      clientId: "oauth2client_0000E2eClient00000001",
      refreshToken: expect.any(String),
    });
  });

  it("a short command loads neither Node's fetch stack (undici) nor child_process: both are start-up cost", async () => {
    // Each of these globals loads undici on first access; the trap reports any access and lets it through.
    const trap = join(home, "trap.mjs");
    await writeFile(
      trap,
      `for (const name of ["fetch", "Request", "Response", "Headers", "FormData"]) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { configurable: true, get() {
    process.stderr.write("undici loaded by " + name + "\\n");
    Object.defineProperty(globalThis, name, d);
    return globalThis[name];
  } });
}
process.on("exit", () => {
  if (process.moduleLoadList.includes("NativeModule child_process")) process.stderr.write("child_process loaded\\n");
});
`,
    );
    for (const args of [["balance", "--json"], ["accounts"], ["--help"], ["pots", "list"]]) {
      const child = spawn(process.execPath, ["--import", trap, BIN, ...args], { env: env(home) });
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d;
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect({ args, code, err: err.match(/undici loaded by \w+|child_process loaded/g) }).toEqual({
        args,
        code: 0,
        err: null,
      });
    }
  });

  it("then every data command answers in --json", async () => {
    const accounts = monzo(["accounts", "--json"], env(home));
    expect(await accounts.exit).toBe(0);
    const list = JSON.parse(accounts.stdout()) as { id: string; type: string }[];
    expect(list.some((a) => a.type === "uk_retail")).toBe(true);
    const balance = monzo(["balance", "--json"], env(home));
    expect(await balance.exit).toBe(0);
    // Money in every JSON output: the exact decimal string, with its currency.
    expect(JSON.parse(balance.stdout())).toMatchObject({
      currency: "GBP",
      balance: expect.stringMatching(/^-?\d+\.\d{2}$/),
    });
    const pots = monzo(["pots", "list", "--json"], env(home));
    expect(await pots.exit).toBe(0);
    const savings = (JSON.parse(pots.stdout()) as { name: string; balance: string }[]).find(
      (p) => p.name === "Savings",
    )!;
    const pence = (text: string) => parseAmount(text, "GBP");
    const deposit = monzo(
      ["pots", "deposit", "Savings", "1.23", "--dedupe-id", "e2e-1", "--json"],
      env(home),
    );
    expect(await deposit.exit).toBe(0);
    const moved = JSON.parse(deposit.stdout()) as { balance: string; dedupe_id: string };
    expect(moved.dedupe_id).toBe("e2e-1");
    expect(pence(moved.balance)).toBe(pence(savings.balance) + 123);
    const again = monzo(["pots", "deposit", "Savings", "1.23", "--dedupe-id", "e2e-1", "--json"], env(home));
    expect(await again.exit).toBe(0);
    expect(pence(JSON.parse(again.stdout()).balance)).toBe(pence(savings.balance) + 123);
    const txs = monzo(["transactions", "list", "--limit", "5", "--json"], env(home));
    expect(await txs.exit).toBe(0);
    expect(JSON.parse(txs.stdout())).toHaveLength(5);
    const first = (JSON.parse(txs.stdout()) as { id: string }[])[0]!.id;
    const annotated = monzo(
      ["transactions", "annotate", first, "notes=Team lunch", "project=alpha", "--json"],
      env(home),
    );
    expect(await annotated.exit).toBe(0);
    expect(JSON.parse(annotated.stdout())).toMatchObject({
      id: first,
      metadata: { notes: "Team lunch", project: "alpha" },
    });
    const who = monzo(["whoami", "--json"], env(home));
    expect(await who.exit).toBe(0);
    expect(JSON.parse(who.stdout())).toMatchObject({ authenticated: true });
  });

  it("eight monzo processes at once with an expired token refresh exactly once, and all succeed", async () => {
    const file = join(home, "tokens", "default.json");
    const tokens = JSON.parse(await readFile(file, "utf8")) as { expiresAt: number };
    await writeFile(file, JSON.stringify({ ...tokens, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const before = (await counters())["refreshes"]!;
    const runs = Array.from({ length: 8 }, () => monzo(["balance", "--json"], env(home)));
    expect(await Promise.all(runs.map((r) => r.exit))).toEqual(Array(8).fill(0));
    expect((await counters())["refreshes"]! - before).toBe(1);
    expect((await counters())["refresh_failures"]).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("--manual accepts the pasted redirect address", async () => {
    const manualHome = await tempHome();
    const run = monzo(["login", "--manual", "--no-wait"], env(manualHome));
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    // Walk the consent page over HTTP, as a browser on another machine would, and read the redirect.
    const html = await (await fetch(url)).text();
    const consent = /name="consent" value="([^"]+)"/.exec(html)![1]!;
    const user = /name="user_id" value="([^"]+)"/.exec(html)![1]!;
    const allow = await fetch(`${emu.authUrl}authorize`, {
      method: "POST",
      body: new URLSearchParams({ consent, user_id: user, decision: "allow" }),
      redirect: "manual",
    });
    run.child.stdin.write(`${allow.headers.get("location")}\n`);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toContain("Logged in as");
  });

  it("Deny in the browser ends the login with exit 10 and says so on both sides", async () => {
    const run = monzo(["login", "--no-browser", "--timeout", "60"], env(await tempHome()));
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.click("#deny");
    await page.waitForSelector("#result");
    expect(await page.textContent("#result")).toContain("Login failed");
    await page.close();
    expect(await run.exit).toBe(10);
    expect(run.stderr()).toMatch(/Access was denied/);
  });

  it("a callback with the wrong state is refused and never exchanged, and the real login still finishes", async () => {
    const before = (await counters())["token_exchanges"]!;
    const run = monzo(["login", "--no-browser", "--no-wait", "--timeout", "60"], env(await tempHome()));
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    for (const query of ["code=stolen-code&state=not-the-state", "code=stolen-code", "error=access_denied"]) {
      const res = await fetch(`http://127.0.0.1:${callbackPort}/callback?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
    expect((await counters())["token_exchanges"]).toBe(before);
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.click("#allow");
    await page.waitForSelector("#result");
    expect(await page.textContent("#result")).toContain("logged in");
    await page.close();
    expect(await run.exit).toBe(0);
    expect((await counters())["token_exchanges"]).toBe(before + 1);
  });

  it("secrets never go on the command line: a value after --client-secret, --access-token or config set clientSecret is refused, and nothing is saved", async () => {
    const home = await tempHome();
    for (const argv of [
      ["login", "--manual", "--client-secret", SECRET],
      ["login", "--manual", `--client-secret=${SECRET}`],
      ["login", "--access-token", "a-playground-token-0123456789"],
      ["config", "set", "clientSecret", SECRET],
    ]) {
      const run = monzo(argv, env(home));
      run.child.stdin.end();
      expect({ argv, code: await run.exit }).toEqual({ argv, code: 2 });
      expect(run.stderr()).toMatch(/^error: .* takes no value: a secret on the command line is visible/);
      expect(run.stderr()).toContain("printf %s");
      expect(run.stderr()).not.toContain(SECRET);
    }
    // Only Node's compile cache (compiled code of monzo itself, docs/security.md §9): no profile, no token.
    expect(await readdir(home)).toEqual(["cache"]);
    expect(await readdir(join(home, "cache"))).toEqual(["node-compile"]);
  });

  it("--client-secret reads the secret from stdin, and --manual then the pasted address", async () => {
    const home = await tempHome();
    const { MONZO_CLIENT_SECRET: _, ...withoutSecret } = env(home);
    const run = monzo(["login", "--client-secret", "--manual", "--no-wait"], withoutSecret);
    run.child.stdin.write(`${SECRET}\n`);
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    const html = await (await fetch(url)).text();
    const consent = /name="consent" value="([^"]+)"/.exec(html)![1]!;
    const user = /name="user_id" value="([^"]+)"/.exec(html)![1]!;
    const allow = await fetch(`${emu.authUrl}authorize`, {
      method: "POST",
      body: new URLSearchParams({ consent, user_id: user, decision: "allow" }),
      redirect: "manual",
    });
    run.child.stdin.write(`${allow.headers.get("location")}\n`);
    expect(await run.exit, run.stderr()).toBe(0);
    expect(run.stderr()).toContain("Logged in as");
  });

  it("config set clientSecret reads the secret from stdin into the 0600 profile", async () => {
    const home = await tempHome();
    const run = monzo(["config", "set", "clientSecret"], env(home));
    run.child.stdin.end(`${SECRET}\n`);
    expect(await run.exit, run.stderr()).toBe(0);
    const file = join(home, "profiles", "default.json");
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ clientSecret: SECRET });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const empty = monzo(["config", "set", "clientSecret"], env(await tempHome()));
    empty.child.stdin.end();
    expect(await empty.exit).toBe(2);
    expect(empty.stderr()).toMatch(/^error: No client secret was given/);
  });

  it("the browser monzo login starts inherits no MONZO_* variable (the client secret above all)", async () => {
    // The `open` package's xdg-open hands the URL to $BROWSER here: a script that records its environment.
    const dir = await tempHome();
    const recorder = join(dir, "browser.sh");
    await writeFile(
      recorder,
      `#!/bin/sh\nenv > "${recorder}.env"\nprintf '%s\\n' "$1" > "${recorder}.url"\n`,
    );
    await chmod(recorder, 0o755);
    const run = monzo(["login", "--no-wait", "--timeout", "60"], {
      ...env(await tempHome()),
      BROWSER: recorder,
      MONZO_ANY_OTHER_SETTING: "x",
    });
    await run.waitFor(/Open this page/);
    let url = "";
    while (!url) {
      url = (await readFile(`${recorder}.url`, "utf8").catch(() => "")).trim();
      if (!url) await new Promise((r) => setTimeout(r, 20));
    }
    const seen = await readFile(`${recorder}.env`, "utf8");
    expect(seen).toContain(`BROWSER=${recorder}`);
    expect(seen).not.toMatch(/^MONZO_/m);
    expect(seen).not.toContain(SECRET);
    // The login itself goes on as usual: finish it in the (real) browser.
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.click("#allow");
    await page.waitForSelector("#result");
    await page.close();
    expect(await run.exit, run.stderr()).toBe(0);
  });

  it("a port in use is named, with the fix", async () => {
    const blocker = createServer().listen(callbackPort, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const run = monzo(["login", "--no-browser"], env(await tempHome()));
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(`Port ${callbackPort}`);
    expect(run.stderr()).toContain("--port");
    await new Promise((r) => blocker.close(r));
  });

  it("missing configuration without a terminal fails at once, naming the setting", async () => {
    const { MONZO_CLIENT_SECRET: _, ...noSecret } = env(await tempHome());
    const run = monzo(["login"], noSecret);
    expect(await run.exit).toBe(3);
    expect(run.stderr()).toContain("MONZO_CLIENT_SECRET");
  });

  it("no token, code or client secret appears in any output of these runs, or in any file but the stores", async () => {
    secrets.add(SECRET);
    expect(secrets.size).toBeGreaterThan(4); // several logins and a refresh were captured
    const all = captured.join("\n");
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
    // Files the runs wrote (exports, configuration) other than the token and profile stores themselves.
    for (const dir of homes) {
      for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
        const path = String(name);
        if (/^(tokens|profiles)\//.test(path)) continue;
        const text = await readFile(join(dir, path), "utf8").catch(() => undefined);
        if (text === undefined) continue;
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    }
  });
});
