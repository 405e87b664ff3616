/**
 * `monzo login --broker URL` end to end: the CLI as a subprocess holding no client secret, a real broker
 * on a loopback port, the emulator as Monzo, headless Chromium clicking Allow and Approve; the broker sends
 * the browser back to the CLI's own loopback address with the confirmation it collects with. Then a refresh
 * goes through the broker. And the phishing case: a login link that the CLI of one person prints, opened by
 * someone else (whose machine does not have that CLI's loopback address), gives the first nothing.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, request as httpRequest, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createBrokerApp, MemorySessionStore } from "@monzokit/broker";
import { DEMO_CLIENT, type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/chromium.js";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
const SECRET = "mnzconf.broker-e2e-secret";
let emu: RunningEmulator;
let brokerUrl: string;
let brokerServer: ReturnType<typeof serve>;
/** Every request the broker was sent, as `METHOD /path`. */
const brokerSaw: string[] = [];
let browser: Awaited<ReturnType<typeof launchChromium>>;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  emu = await serveEmulator({ seed: "broker-e2e", transactions: 300 }, { port: 0 });
  const port = await freePort();
  brokerUrl = `http://127.0.0.1:${port}`;
  emu.emulator.control.addClient({
    id: "oauth2client_0000BrokerE2e000000001",
    secret: SECRET,
    redirectUris: [`${brokerUrl}/callback`],
    confidential: true,
    name: "Broker e2e",
  });
  const app = createBrokerApp({
    config: {
      clientId: "oauth2client_0000BrokerE2e000000001",
      clientSecret: SECRET,
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
  brokerServer = await new Promise((resolve) => {
    const s = serve(
      {
        fetch: (request, ...rest) => {
          brokerSaw.push(`${request.method} ${new URL(request.url).pathname}`);
          return app.fetch(request, ...rest);
        },
        port,
        hostname: "127.0.0.1",
      },
      () => resolve(s),
    );
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => brokerServer?.close(r));
  await emu?.close();
});

/** Waits for a pattern on a child's stderr, collecting all of it. */
function watch(child: ChildProcessWithoutNullStreams) {
  const state = { err: "" };
  child.stderr.on("data", (d: Buffer) => {
    state.err += d;
  });
  const seen = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = state.err.match(pattern);
        if (m) {
          clearInterval(timer);
          resolve(m);
        }
      };
      const timer = setInterval(check, 20);
      child.once("exit", () =>
        setTimeout(() => {
          clearInterval(timer);
          reject(new Error(`exited: ${state.err}`));
        }, 50),
      );
      check();
    });
  const exit = new Promise<number | null>((r) => child.once("exit", r));
  return { state, seen, exit };
}

/**
 * Another person's computer, for the browser: an HTTP proxy that reaches Monzo (the emulator) and the broker,
 * and finds nothing listening at any other address — the sender's loopback address is not on that machine.
 */
async function anotherComputer() {
  const reachable = new Set([new URL(emu.url).origin, new URL(brokerUrl).origin]);
  const nothingThere: string[] = [];
  const proxy: Server = createHttpServer((req, res) => {
    const target = new URL(req.url ?? "/");
    if (!reachable.has(target.origin)) {
      // (The browser's own background requests and a favicon are refused too, and not what we look for.)
      if (target.pathname.startsWith("/monzokit/")) nothingThere.push(target.toString());
      res.writeHead(502, { "content-type": "text/plain" }).end("Nothing listens there on this computer\n");
      return;
    }
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  const chromium = await launchChromium({
    proxy: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
  });
  return {
    chromium,
    nothingThere,
    close: async () => {
      await chromium.close();
      await new Promise((r) => proxy.close(r));
    },
  };
}

/** There, the person opens the link and presses Allow; returns where their browser was sent back to. */
async function logInOnAnotherComputer(url: string): Promise<string> {
  const elsewhere = await anotherComputer();
  try {
    const page = await elsewhere.chromium.context.newPage();
    await page.goto(url);
    await page.click("#allow");
    await page.waitForLoadState();
    for (let i = 0; i < 200 && elsewhere.nothingThere.length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(elsewhere.nothingThere, elsewhere.nothingThere.join("\n")).toHaveLength(1);
    return elsewhere.nothingThere[0]!;
  } finally {
    await elsewhere.close();
  }
}

function monzo(
  args: string[],
  home: string,
  env: Record<string, string> = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env["PATH"] ?? "",
      MONZOKIT_HOME: home,
      MONZO_API_URL: emu.url,
      NO_COLOR: "1",
      ...env,
    },
  });
}

/** Runs `monzo` to its end: exit code, stdout, stderr. */
async function run(args: string[], home: string, env: Record<string, string> = {}) {
  const child = monzo(args, home, env);
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d;
  });
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  return { code, out, err };
}

/** A whole `monzo login` (its printed link opened in Chromium, Allow, then Approve in the app): stderr. */
async function logInWithBrowser(args: string[], home: string, env: Record<string, string> = {}) {
  const child = monzo(["login", "--no-browser", "--timeout", "60", ...args], home, env);
  const { state, seen, exit } = watch(child);
  const [url] = await seen(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.click("#allow");
  await seen(/Now (open the Monzo app|approve the login)/);
  await page.goto(`${emu.authUrl}app`);
  await page.click("button.approve");
  await page.waitForSelector("#notice");
  await page.close();
  expect(await exit, state.err).toBe(0);
  return state.err;
}

async function emulatorCounters(): Promise<Record<string, number> & { requests: Record<string, number> }> {
  return (await (await fetch(`${emu.url}/_emulator/counters`)).json()) as Record<string, number> & {
    requests: Record<string, number>;
  };
}

/** Requests the emulator's token endpoint answered so far (exchanges and refreshes, anyone's). */
function tokenEndpointRequests(counters: { requests: Record<string, number> }): number {
  return Object.entries(counters.requests)
    .filter(([route]) => route.includes("/oauth2/token"))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Past the access token's lifetime (30 hours at the emulator), well within the refresh token's. */
function expireAccessTokens(): void {
  emu.emulator.control.advanceClock(31 * 3600_000);
}

describe("monzo login --broker", () => {
  it("logs in through the broker with no client secret here, and refreshes through it later", async () => {
    const home = await tempHome();
    const child = monzo(["login", "--broker", brokerUrl, "--no-browser", "--timeout", "60"], home);
    let err = "";
    const seen = (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const m = err.match(pattern);
          if (m) resolve(m);
        };
        child.stderr.on("data", (d: Buffer) => {
          err += d;
          check();
        });
        child.once("exit", () => setTimeout(() => reject(new Error(`exited: ${err}`)), 50));
        check();
      });
    const exit = new Promise<number | null>((r) => child.once("exit", r));
    const [url] = await seen(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.click("#allow");
    await page.waitForSelector("#result");
    // The broker sent the browser back to the CLI's own loopback address, which answered once it had the tokens.
    expect(new URL(page.url()).hostname).toBe("127.0.0.1");
    expect(new URL(page.url()).port).not.toBe(new URL(brokerUrl).port);
    expect(await page.textContent("#result")).toContain("logged in");
    await seen(/Now open the Monzo app/);
    await page.goto(`${emu.authUrl}app`);
    await page.click("button.approve");
    await page.waitForSelector("#notice");
    await page.close();
    expect(await exit, err).toBe(0);
    const profile = JSON.parse(await readFile(join(home, "profiles", "default.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(profile["brokerUrl"]).toBe(brokerUrl);
    expect(profile).not.toHaveProperty("clientSecret");

    // Expire the stored token: the next command refreshes through the broker.
    const file = join(home, "tokens", "default.json");
    const tokens = JSON.parse(await readFile(file, "utf8")) as { expiresAt: number; refreshToken: string };
    await writeFile(file, JSON.stringify({ ...tokens, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const before = ((await (await fetch(`${emu.url}/_emulator/counters`)).json()) as Record<string, number>)[
      "refreshes"
    ]!;
    const balance = monzo(["balance", "--json"], home);
    let out = "";
    let balanceErr = "";
    balance.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    balance.stderr.on("data", (d: Buffer) => {
      balanceErr += d;
    });
    expect(await new Promise((r) => balance.once("exit", r)), balanceErr).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ currency: "GBP" });
    expect(
      ((await (await fetch(`${emu.url}/_emulator/counters`)).json()) as Record<string, number>)["refreshes"],
    ).toBe(before + 1);
    const rotated = JSON.parse(await readFile(file, "utf8")) as { refreshToken: string };
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
    expect(err + out).not.toContain(SECRET);
  });

  it("a login link opened by someone else gives the person who started it nothing", async () => {
    const home = await tempHome();
    const sender = monzo(["login", "--broker", brokerUrl, "--no-browser", "--timeout", "8"], home);
    const { state, seen, exit } = watch(sender);
    const [url] = await seen(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    // The person the link was sent to logs in on their own computer.
    const returned = await logInOnAnotherComputer(url);
    // Their browser was sent to the sender's address on their own machine, with the confirmation.
    expect(returned).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/monzokit\/broker\/[0-9a-f]{32}\?confirm=[\w-]{43}$/,
    );
    // A login nobody finished here is a login failure (exit 10), not a bug.
    expect(await exit).toBe(10);
    expect(state.err).toMatch(/did not come back to this app in time/);
    await expect(readFile(join(home, "tokens", "default.json"), "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("--manual: the person pastes the address their browser was sent back to", async () => {
    const home = await tempHome();
    const child = monzo(["login", "--broker", brokerUrl, "--manual", "--no-wait", "--timeout", "30"], home);
    const { state, seen, exit } = watch(child);
    const [url] = await seen(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    await seen(/Copy that whole address/);
    // The browser is on another computer (this one is reached over SSH): the return address does not load there.
    const returned = await logInOnAnotherComputer(url);
    child.stdin.end(`${returned}\n`);
    expect(await exit, state.err).toBe(0);
    expect(state.err).toContain("Logged in as");
    const tokens = JSON.parse(await readFile(join(home, "tokens", "default.json"), "utf8")) as {
      accessToken: string;
    };
    expect(tokens.accessToken).toBeTruthy();
    expect(state.err).not.toContain(new URL(returned).searchParams.get("confirm")!);
  });
});

describe("Ctrl+C during monzo login --broker", () => {
  /** Nothing of a login in the profile's home: no tokens (file or keychain marker) and no profile. */
  async function nothingSaved(home: string) {
    for (const dir of ["tokens", "profiles"])
      expect(await readdir(join(home, dir)).catch(() => [])).toEqual([]);
  }

  it("while the person is on the login page: says the login was cancelled, exit 130, nothing saved", async () => {
    const home = await tempHome();
    const child = monzo(["login", "--broker", brokerUrl, "--no-browser", "--timeout", "60"], home);
    const { state, seen, exit } = watch(child);
    await seen(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    child.kill("SIGINT");
    expect(await exit, state.err).toBe(130);
    expect(state.err).toMatch(
      /\nerror: Login cancelled: no tokens reached this machine, and nothing was saved\n {2}→ Run monzo login --broker http:\/\/127\.0\.0\.1:\d+ again when you are ready; a login finished in the page already opened is not used\.\n$/,
    );
    await nothingSaved(home);
  });

  it("--manual, logged in at Monzo but nothing pasted yet: the same, and the open stdin does not hold it", async () => {
    const home = await tempHome();
    const child = monzo(["login", "--broker", brokerUrl, "--manual", "--no-wait", "--timeout", "30"], home);
    const { state, seen, exit } = watch(child);
    const [url] = await seen(/http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/);
    await seen(/Copy that whole address/);
    // The person has logged in elsewhere; the broker waits for the confirmation the CLI reads from stdin.
    await logInOnAnotherComputer(url);
    child.kill("SIGINT");
    expect(await exit, state.err).toBe(130);
    expect(state.err).toMatch(
      /error: Login cancelled: no tokens reached this machine, and nothing was saved\n/,
    );
    await nothingSaved(home);
  });
});

describe("how a login refreshes is saved with it", () => {
  // The emulator's demo client, as left in the environment by someone who also uses the emulator directly.
  const ENV_CLIENT = { MONZO_CLIENT_ID: DEMO_CLIENT.id, MONZO_CLIENT_SECRET: DEMO_CLIENT.secret };

  it("a broker login refreshes through its broker even with another client's id and secret in the environment", async () => {
    const home = await tempHome();
    await logInWithBrowser(["--broker", brokerUrl, "--profile", "brok"], home);
    const file = join(home, "tokens", "brok.json");
    const tokens = JSON.parse(await readFile(file, "utf8")) as { refreshToken: string; accessToken: string };
    expireAccessTokens();
    const counters = await emulatorCounters();
    const brokerBefore = brokerSaw.length;
    const { code, out, err } = await run(
      ["--profile", "brok", "--debug", "whoami", "--json"],
      home,
      ENV_CLIENT,
    );
    expect(code, err).toBe(0);
    // The broker refreshed (its /refresh, then its own client at the token endpoint); the CLI never went there.
    expect(brokerSaw.slice(brokerBefore)).toEqual(["POST /refresh"]);
    expect(err).toContain(`POST ${brokerUrl}/refresh`);
    expect(err).not.toContain("/oauth2/token");
    const after = await emulatorCounters();
    expect(after["refreshes"]).toBe(counters["refreshes"]! + 1);
    expect(after["refresh_failures"]).toBe(counters["refresh_failures"]);
    expect(tokenEndpointRequests(after)).toBe(tokenEndpointRequests(counters) + 1);
    // The new tokens are the broker client's, and saved (with the way they refresh).
    expect(JSON.parse(out)).toMatchObject({ client_id: "oauth2client_0000BrokerE2e000000001" });
    const saved = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    expect(saved["refreshToken"]).not.toBe(tokens.refreshToken);
    expect(saved["accessToken"]).not.toBe(tokens.accessToken);
    // With the API the login is used at, kept by the refresh.
    expect(saved["obtainedVia"]).toEqual({ kind: "broker", brokerUrl, apiOrigin: new URL(emu.url).origin });
    expect(err + out).not.toContain(DEMO_CLIENT.secret);
    expect(err + out).not.toContain(SECRET);

    // Another broker in the environment (set for another profile, say): the login's own broker refreshes it,
    // and the person is told; the refresh token never goes to the other one.
    const other = "http://127.0.0.1:9/";
    expireAccessTokens();
    const brokerBefore2 = brokerSaw.length;
    const before2 = await emulatorCounters();
    const again = await run(["--profile", "brok", "--debug", "whoami"], home, {
      ...ENV_CLIENT,
      MONZO_BROKER_URL: other,
    });
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain(
      `note: this login came through the broker ${brokerUrl}, so it is refreshed there, not at ${other} (MONZO_BROKER_URL in the environment).`,
    );
    expect(again.err).not.toMatch(/→ \w+ http:\/\/127\.0\.0\.1:9\//);
    expect(again.err).not.toContain("/oauth2/token");
    expect(brokerSaw.slice(brokerBefore2)).toEqual(["POST /refresh"]);
    expect((await emulatorCounters())["refresh_failures"]).toBe(before2["refresh_failures"]);
  }, 60_000);

  it("a login made with this machine's client never refreshes through a broker named by the environment", async () => {
    const port = await freePort();
    const client = {
      id: "oauth2client_0000RouteE2eLocal00001",
      secret: "mnzconf.route-e2e-local-secret",
      redirectUris: [`http://127.0.0.1:${port}/callback`],
      confidential: true,
      name: "Route e2e",
    };
    emu.emulator.control.addClient(client);
    const home = await tempHome();
    const own = {
      MONZO_CLIENT_ID: client.id,
      MONZO_CLIENT_SECRET: client.secret,
      MONZO_REDIRECT_URI: client.redirectUris[0]!,
      MONZO_AUTH_URL: emu.authUrl,
    };
    await logInWithBrowser([], home, own);
    const file = join(home, "tokens", "default.json");
    const tokens = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    expect(tokens["obtainedVia"]).toEqual({ kind: "client", apiOrigin: new URL(emu.url).origin });
    expireAccessTokens();
    const counters = await emulatorCounters();
    const brokerBefore = brokerSaw.length;
    // The secret is gone from the environment, a broker is there: the refresh token is not sent to it.
    const refused = await run(["whoami"], home, { MONZO_BROKER_URL: brokerUrl });
    expect(refused.code, refused.err).toBe(3);
    expect(refused.err).toContain("this login was made with this machine's client");
    expect(refused.err).toContain("MONZO_CLIENT_SECRET");
    expect(refused.err).not.toContain("outcome is unknown");
    expect(brokerSaw.length).toBe(brokerBefore);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(tokens);
    // With its client back (the broker still in the environment), it refreshes at Monzo.
    const ok = await run(["whoami", "--json"], home, { ...own, MONZO_BROKER_URL: brokerUrl });
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ client_id: client.id });
    expect(brokerSaw.length).toBe(brokerBefore);
    const after = await emulatorCounters();
    expect(after["refreshes"]).toBe(counters["refreshes"]! + 1);
    expect(after["refresh_failures"]).toBe(counters["refresh_failures"]);
    expect((JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>)["refreshToken"]).not.toBe(
      tokens["refreshToken"],
    );
  }, 60_000);
});
