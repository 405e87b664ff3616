import { readFile, stat } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { createBrokerApp, MemorySessionStore } from "@monzokit/broker";
import { MonzoError, validateCallback } from "@monzokit/core";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePasted } from "../../src/login/flow.js";
import { main } from "../../src/main.js";
import { fakeIo, tempHome } from "../helpers.js";

let emu: RunningEmulator;
let redirectUri: string;
let brokerUrl: string;
let broker: ReturnType<typeof serve>;

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  emu = await serveEmulator(
    { seed: "flow", transactions: 600, autoConsent: true, autoApprove: 1500 },
    { port: 0 },
  );
  redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  emu.emulator.control.addClient({
    id: "oauth2client_0000FlowTest000000001",
    secret: "mnzconf.flow",
    redirectUris: [redirectUri],
    confidential: true,
  });
  const brokerPort = await freePort();
  brokerUrl = `http://127.0.0.1:${brokerPort}`;
  emu.emulator.control.addClient({
    id: "oauth2client_0000FlowBroker0000001",
    secret: "mnzconf.flow-broker",
    redirectUris: [`${brokerUrl}/callback`],
    confidential: true,
  });
  const app = createBrokerApp({
    config: {
      clientId: "oauth2client_0000FlowBroker0000001",
      clientSecret: "mnzconf.flow-broker",
      publicUrl: brokerUrl,
      authUrl: emu.authUrl,
      apiUrl: emu.url,
      codeKey: crypto.getRandomValues(new Uint8Array(32)),
      sessionTtlMs: 600_000,
      maxWaitSeconds: 5,
      rateLimits: { new: 100, token: 1000, refresh: 100 },
      corsOrigins: [],
      trustProxy: false,
      allowInsecure: false,
    },
    store: new MemorySessionStore(),
  });
  broker = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: brokerPort, hostname: "127.0.0.1" }, () => resolve(s));
  });
});
afterAll(async () => {
  await new Promise((r) => broker?.close(r));
  await emu?.close();
});

/** "The browser": follows the auto-consent redirect to the callback (the CLI's or the broker's). */
const follow = async (url: string) => {
  void fetch(url).then((r) => r.text());
  return { opened: true as const };
};

describe("interactive login", () => {
  it("asks for the missing secret (hidden), saves it on request, waits for approval, and offers the full-history export", async () => {
    const home = await tempHome();
    const answers = ["mnzconf.flow", "y", "n", "y", join(home, "history.csv")];
    const prompts: { question: string; secret: boolean }[] = [];
    const lines: string[] = [];
    const f = fakeIo(
      {
        MONZOKIT_HOME: home,
        MONZO_API_URL: emu.url,
        MONZO_AUTH_URL: emu.authUrl,
        MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001",
        MONZO_REDIRECT_URI: redirectUri,
      },
      {
        interactive: true,
        prompt: async (question, options) => {
          prompts.push({ question, secret: options?.secret === true });
          return answers.shift() ?? "";
        },
        // A terminal: progress is a line redrawn in place, recorded here.
        live: true,
        liveLine: async () => ({
          start: (text) => void lines.push(`start ${text}`),
          update: (text) => void lines.push(`update ${text}`),
          stop: (text) => void lines.push(`stop ${text ?? ""}`),
          fail: (text) => void lines.push(`fail ${text ?? ""}`),
        }),
        // "The browser": follows the auto-consent redirect to the callback server.
        openBrowser: async (url) => {
          void fetch(url).then((r) => r.text());
          return { opened: true as const };
        },
      },
    );
    expect(await main(["login", "--timeout", "30"], f.io)).toBe(0);
    expect(prompts[0]).toEqual({ question: "  Client secret (hidden): ", secret: true });
    // The question names everything it saves, the redirect URI from the environment included.
    expect(prompts.map((p) => p.question).join("|")).toMatch(
      /Save the client id \(oauth2client_0000FlowTest000000001\) and secret and the redirect URI http:\/\/127\.0\.0\.1:\d+\/callback to .*Sync everything into your local mirror.*Export your whole history now.*File/,
    );
    const profile = JSON.parse(await readFile(join(home, "profiles", "default.json"), "utf8"));
    expect(profile.clientSecret).toBe("mnzconf.flow");
    expect(profile.redirectUri).toBe(redirectUri);
    expect(profile).not.toHaveProperty("apiUrl");
    expect(profile).not.toHaveProperty("authUrl");
    expect((await stat(join(home, "profiles", "default.json"))).mode & 0o777).toBe(0o600);
    const csv = await readFile(join(home, "history.csv"), "utf8");
    expect(csv.split("\r\n")[0]).toMatch(/^id,created,settled,amount/);
    expect(csv.split("\r\n").length).toBeGreaterThan(300);
    // The countdown and the export's progress each start, redraw and end their own line.
    expect(lines[0]).toBe("start Waiting for approval in the Monzo app…");
    expect(lines).toContain("stop Approved in the Monzo app.");
    expect(lines.filter((l) => l.startsWith("start "))).toEqual([
      "start Waiting for approval in the Monzo app…",
      "start Exporting transactions…",
    ]);
    expect(lines.at(-1)).toBe("stop ");
    expect(lines.some((l) => /^update Exporting: \d+%, \d+ transactions, ETA \d+ s$/.test(l))).toBe(true);
    expect(f.stderr()).not.toContain("Waiting for approval");
    expect(f.stderr()).not.toContain("mnzconf.flow");
  });
});

describe("missing client credentials without a terminal", () => {
  it("names what is missing and how to give just that, without a .env that is not read (exit 3)", async () => {
    const home = await tempHome();
    const base = { MONZOKIT_HOME: home, MONZO_API_URL: emu.url, MONZO_AUTH_URL: emu.authUrl };
    const attempt = async (env: Record<string, string>) => {
      const f = fakeIo({ ...base, ...env });
      return { code: await main(["login", "--manual"], f.io), err: f.stderr() };
    };
    const secretOnly = await attempt({ MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001" });
    expect(secretOnly.code).toBe(3);
    expect(secretOnly.err).toContain(
      "Missing MONZO_CLIENT_SECRET (or --client-secret), and there is no terminal",
    );
    expect(secretOnly.err).toContain(
      'Set it in the environment, or save it once: printf %s "$SECRET" | monzo config set clientSecret.',
    );
    const both = await attempt({});
    expect(both.code).toBe(3);
    expect(both.err).toContain(
      'Set them in the environment, or save them once: monzo config set clientId ID, then printf %s "$SECRET" | monzo config set clientSecret.',
    );
    expect(`${secretOnly.err}${both.err}`).not.toContain(".env");
  });
});

describe("the full-history offer after a login", () => {
  it("offers to sync everything into the mirror while the window is open, then an export from it", async () => {
    const home = await tempHome();
    const prompts: string[] = [];
    const answers = ["", "n"];
    const f = fakeIo(
      {
        MONZOKIT_HOME: home,
        MONZO_API_URL: emu.url,
        MONZO_AUTH_URL: emu.authUrl,
        MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001",
        MONZO_CLIENT_SECRET: "mnzconf.flow",
        MONZO_REDIRECT_URI: redirectUri,
        MONZO_TOKEN_STORE: "file",
      },
      {
        interactive: true,
        prompt: async (question) => {
          prompts.push(question);
          return answers.shift() ?? "";
        },
        openBrowser: async (url) => {
          void fetch(url).then((r) => r.text());
          return { opened: true as const };
        },
      },
    );
    expect(await main(["login", "--timeout", "30"], f.io)).toBe(0);
    expect(prompts).toEqual([
      "Sync everything into your local mirror now (monzo sync)? [Y/n] ",
      "Also export it to a file? [y/N] ",
    ]);
    expect(f.stderr()).toMatch(/only in the 5 minutes after approval/);
    expect(f.stdout()).toMatch(/Current account +acc_\w+ +\d+ +0 +[\d,]+ +complete since/);
    expect(f.stderr()).toMatch(/monzo transactions export --from-mirror --all FILE\.csv/);
    await stat(join(home, "data", "default", "mirror.db"));
    // And --sync does it without asking, with the report in --json.
    const g = fakeIo({ ...f.io.env });
    expect(
      await main(["login", "--timeout", "30", "--sync", "--json"], {
        ...g.io,
        openBrowser: f.io.openBrowser,
      }),
    ).toBe(0);
    expect(JSON.parse(g.stdout())).toMatchObject({
      mirror: { added: 0, db: expect.stringMatching(/mirror\.db$/) },
    });
  });
});

describe("the browser's side of the login", () => {
  it("a request without the login's state leaves it waiting; Monzo's error text reaches neither the page nor the terminal raw", async () => {
    let loginUrl = "";
    const f = fakeIo(
      {
        MONZOKIT_HOME: await tempHome(),
        MONZO_API_URL: emu.url,
        MONZO_AUTH_URL: emu.authUrl,
        MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001",
        MONZO_CLIENT_SECRET: "mnzconf.flow",
        MONZO_REDIRECT_URI: redirectUri,
      },
      {
        openBrowser: async (url) => {
          loginUrl = url;
          return { opened: true as const };
        },
      },
    );
    const run = main(["login", "--no-wait", "--timeout", "30"], f.io);
    while (!loginUrl) await new Promise((r) => setTimeout(r, 10));
    const state = new URL(loginUrl).searchParams.get("state")!;
    const description = "\u001b[2J\u001b[31mYour session expired\u001b]8;;https://evil.example\u0007 click\r";
    // Any web page can make the browser do this (an <img> is enough): told 400, the login goes on.
    const planted = await fetch(
      `${redirectUri}?error=access_denied&error_description=${encodeURIComponent(description)}`,
    );
    expect(planted.status).toBe(400);
    // Monzo's own redirect, with the state, and a description (hostile here, to prove what is shown).
    const page = await (
      await fetch(
        `${redirectUri}?error=access_denied&error_description=${encodeURIComponent(description)}&state=${state}`,
      )
    ).text();
    expect(await run).toBe(10);
    expect(page).toContain("did not allow access");
    expect(page).not.toContain("session expired");
    expect(page).not.toContain("evil.example");
    expect(f.stderr()).toMatch(/^error: Access was denied/m);
    expect(f.stderr()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});

describe("pasted redirects (--manual)", () => {
  const codeOrState = fc.stringMatching(/^[A-Za-z0-9._~-]{8,80}$/);

  it("the whole URL, its query, or CODE STATE all give the same code and state (property)", () => {
    fc.assert(
      fc.property(codeOrState, codeOrState, fc.constantFrom("", " ", "\n", "\t "), (code, state, pad) => {
        for (const text of [
          `${pad}http://localhost:6600/callback?code=${code}&state=${state}${pad}`,
          `${pad}?code=${code}&state=${state}`,
          `state=${state}&code=${code}${pad}`,
          `${pad}${code} ${state}${pad}`,
        ]) {
          const callback = validateCallback(parsePasted(text), state);
          expect({ code: callback.code, state: callback.state }).toEqual({ code, state });
        }
      }),
      { numRuns: 300 },
    );
  });

  it("anything else pasted is a typed error that never shows the code (property)", () => {
    const code = "c0de-that-must-not-show-1234";
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.string({ maxLength: 40 }).map((t) => `http://${t}/callback?code=${code}&state=${t}`),
          fc.string({ maxLength: 40 }).map((t) => `${t}?code=${code}`),
        ),
        (text) => {
          try {
            validateCallback(parsePasted(text), "the-state-we-sent-0001");
          } catch (error) {
            expect(error).toBeInstanceOf(MonzoError);
            expect(String((error as Error).message)).not.toContain(code);
            return;
          }
          throw new Error(`accepted ${JSON.stringify(text)} without the state we sent`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("the login address", () => {
  it("from a broker, is refused and never opened unless it is https or loopback http (exit 3)", async () => {
    // A hostile broker: its /new hands out a plain-http login address on another host.
    const broker = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ id: "poll_1", login_url: "http://evil.example/login?x=1&y=2", expires_at: 0 }),
      );
    });
    await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
    const brokerUrl = `http://127.0.0.1:${(broker.address() as { port: number }).port}`;
    const opened: string[] = [];
    const f = fakeIo(
      { MONZOKIT_HOME: await tempHome(), MONZO_API_URL: emu.url },
      {
        openBrowser: async (url) => {
          opened.push(url);
          return { opened: true };
        },
      },
    );
    try {
      expect(await main(["login", "--broker", brokerUrl, "--timeout", "5"], f.io)).toBe(3);
    } finally {
      broker.close();
    }
    expect(f.stderr()).toMatch(
      /\nerror: Refusing the login address http:\/\/evil\.example\/login.*plain http/,
    );
    expect(opened).toEqual([]);
  });

  it("from a login page that is plain http on another host, is refused before anything: unallowed, or allowed but not https (exit 3, with the CLI's fix)", async () => {
    const opened: string[] = [];
    const env = {
      MONZOKIT_HOME: await tempHome(),
      MONZO_API_URL: emu.url,
      MONZO_AUTH_URL: "http://auth.evil.example/",
      MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001",
      MONZO_CLIENT_SECRET: "mnzconf.flow",
      MONZO_REDIRECT_URI: redirectUri,
    };
    const io = () =>
      fakeIo(env, {
        openBrowser: async (url) => {
          opened.push(url);
          return { opened: true };
        },
      });
    const refused = io();
    expect(await main(["login", "--timeout", "5"], refused.io), refused.stderr()).toBe(3);
    expect(refused.stderr()).toMatch(
      /^error: MONZO_AUTH_URL in the environment points the login page at auth\.evil\.example/,
    );
    const allowed = io();
    expect(
      await main(["login", "--timeout", "5", "--allow-host", "auth.evil.example"], allowed.io),
      allowed.stderr(),
    ).toBe(3);
    expect(allowed.stderr()).toMatch(
      /(^|\n)error: MONZO_AUTH_URL in the environment is plain http \(http:\/\/auth\.evil\.example\/\)/,
    );
    expect(allowed.stderr()).toContain("→ Set MONZO_AUTH_URL to its https address, or unset it.");
    expect(opened).toEqual([]);
  });

  it("is printed even when the browser opens, and a browser that fails is reported", async () => {
    const f = fakeIo(
      {
        MONZOKIT_HOME: await tempHome(),
        MONZO_API_URL: emu.url,
        MONZO_AUTH_URL: emu.authUrl,
        MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001",
        MONZO_CLIENT_SECRET: "mnzconf.flow",
        MONZO_REDIRECT_URI: redirectUri,
      },
      {
        openBrowser: async (url) => {
          // The person opens it by hand: follow the auto-consent redirect to the callback server.
          void fetch(url).then((r) => r.text());
          return { opened: false, reason: "xdg-open exited with 3" };
        },
      },
    );
    expect(await main(["login", "--timeout", "30", "--no-wait"], f.io)).toBe(0);
    expect(f.stderr()).toMatch(new RegExp(`\\n {2}${emu.authUrl.replace(/[.?/]/g, "\\$&")}\\?\\S*state=`));
    expect(f.stderr()).toContain("Could not start a browser here (xdg-open exited with 3)");
  });
});

describe("a broker login saves only what the person chose", () => {
  const read = async (home: string) =>
    JSON.parse(await readFile(join(home, "profiles", "default.json"), "utf8").catch(() => "{}")) as Record<
      string,
      unknown
    >;

  it("--broker URL is saved; an API URL from the environment is not", async () => {
    const home = await tempHome();
    const f = fakeIo({ MONZOKIT_HOME: home, MONZO_API_URL: emu.url }, { openBrowser: follow });
    expect(
      await main(["login", "--broker", brokerUrl, "--no-wait", "--timeout", "30"], f.io),
      f.stderr(),
    ).toBe(0);
    expect(await read(home)).toEqual({ brokerUrl });
  });

  it("MONZO_BROKER_URL without a terminal is used for this login, not saved, and monzo says how to keep it", async () => {
    const home = await tempHome();
    const f = fakeIo(
      { MONZOKIT_HOME: home, MONZO_API_URL: emu.url, MONZO_BROKER_URL: brokerUrl },
      { openBrowser: follow },
    );
    expect(await main(["login", "--no-wait", "--timeout", "30"], f.io), f.stderr()).toBe(0);
    expect(await read(home)).toEqual({});
    expect(f.stderr()).toContain(`monzo config set brokerUrl ${brokerUrl}`);
  });

  it("MONZO_BROKER_URL with a terminal is saved when the person says yes, and only the broker", async () => {
    const home = await tempHome();
    const questions: string[] = [];
    const f = fakeIo(
      { MONZOKIT_HOME: home, MONZO_API_URL: emu.url, MONZO_BROKER_URL: brokerUrl },
      {
        interactive: true,
        openBrowser: follow,
        prompt: async (q) => {
          questions.push(q);
          return "y";
        },
      },
    );
    expect(await main(["login", "--no-wait", "--timeout", "30"], f.io), f.stderr()).toBe(0);
    expect(questions[0]).toContain(`Save the broker ${brokerUrl} (from MONZO_BROKER_URL)`);
    expect(await read(home)).toEqual({ brokerUrl });
  });
});

describe("monzo login --json", () => {
  it("writes what it reports with jsonText: a C1 or bidi character in it is \\uXXXX, never raw, and reads back exact", async () => {
    const { loggedIn } = await import("../helpers.js");
    const { mkdir } = await import("node:fs/promises");
    // The token file's path is in the report; a home whose name holds U+009B (a one-character CSI) and U+202E.
    const home = join(await tempHome(), "home\u009b2J\u202e");
    await mkdir(home, { mode: 0o700 });
    const bank = await loggedIn("cli-login-json", { env: { MONZOKIT_HOME: home } });
    try {
      const token = bank.emu.emulator.control.token({ ttlSeconds: 3600 });
      const r = await bank.run(["login", "--json"], { MONZO_ACCESS_TOKEN: token });
      expect(r.code).toBe(0);
      expect(r.out).not.toMatch(/[\u0080-\u009f\u202e]/);
      expect(r.out).toContain("\\u009b2J\\u202e");
      expect(JSON.parse(r.out).token_file).toBe(join(home, "tokens", "default.json"));
    } finally {
      await bank.emu.close();
    }
  });
});
