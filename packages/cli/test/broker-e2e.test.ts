/**
 * `monzo login --broker URL` end to end: the CLI as a subprocess holding no client secret, a real broker
 * on a loopback port, the emulator as Monzo, headless Chromium clicking Allow and Approve. Then a refresh
 * goes through the broker.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createBrokerApp, MemorySessionStore } from "@monzokit/broker";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/chromium.js";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
const SECRET = "mnzconf.broker-e2e-secret";
let emu: RunningEmulator;
let brokerUrl: string;
let brokerServer: ReturnType<typeof serve>;
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
    const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve(s));
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => brokerServer?.close(r));
  await emu?.close();
});

function monzo(args: string[], home: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env["PATH"] ?? "", MONZOKIT_HOME: home, MONZO_API_URL: emu.url, NO_COLOR: "1" },
  });
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
    expect(await page.textContent("#result")).toContain("return to your app");
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
});
