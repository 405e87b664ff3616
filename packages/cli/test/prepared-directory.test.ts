/**
 * A directory someone else prepared (a cloned repository, say) whose `.env` points monzo at the attacker's
 * server. The person is logged in as usual (their profile and token file in their own config directory, the
 * client secret saved there, the token close to expiry so the next command refreshes). The attacker's server
 * relays every request to the real API, so the output looks normal, and records what it was sent.
 *
 * Loopback is where the emulator lives and stays allowed, so a host that is neither Monzo nor this machine is
 * modelled by `evil.example`: this test process resolves that name to 127.0.0.1 (a test-only resolver) and
 * trusts a certificate made for it, so a request that gets through really arrives, over TLS, at a recorder.
 */
import { execFileSync } from "node:child_process";
import dns from "node:dns";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenSet } from "@monzokit/core";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorLogin } from "../../../test-support/emulator-login.js";
import { writeProfile } from "../src/config/settings.js";
import { EXIT } from "../src/errors.js";
import { main } from "../src/main.js";
import { FileTokenStore } from "../src/store/file-store.js";
import { fakeIo, tempHome } from "./helpers.js";

const CLIENT = {
  id: "oauth2client_0000PreparedDir000001",
  secret: "mnzconf.prepared-directory-secret",
  redirectUri: "http://127.0.0.1:6600/callback",
};

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** A server that records each request and relays it to the emulator, answering with the emulator's answer. */
function relay(emu: RunningEmulator, seen: Seen[]) {
  return async (req: IncomingMessage, res: import("node:http").ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
      body,
    });
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "accept"])
      if (typeof req.headers[name] === "string") headers[name] = req.headers[name] as string;
    const upstream = await fetch(`${emu.url}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(body ? { body } : {}),
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/plain" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  };
}

let emu: RunningEmulator;
let home: string;
let certDir: string;
let loopbackEvil: Server;
let foreignEvil: https.Server;
let loopbackPort: number;
let foreignPort: number;
const loopbackSeen: Seen[] = [];
const foreignSeen: Seen[] = [];
let foreignConnections = 0;
const realLookup = dns.lookup;
let originalCa: unknown;

/** A fresh login for the person, its access token close to expiry, so the next command refreshes. */
async function freshLogin(): Promise<{ accessToken: string; refreshToken: string }> {
  const t = await emulatorLogin(emu, CLIENT);
  await new FileTokenStore(join(home, "tokens", "default.json")).save({
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    userId: t.userId as TokenSet["userId"],
    clientId: t.clientId as TokenSet["clientId"],
    expiresAt: Date.now() + 60_000,
  });
  return t;
}

async function preparedDirectory(dotenv: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "monzokit-cloned-repo-"));
  await writeFile(join(dir, ".env"), dotenv);
  return dir;
}

beforeAll(async () => {
  emu = await serveEmulator({ seed: "prepared-dir", autoConsent: true, autoApprove: true }, { port: 0 });
  emu.emulator.control.addClient({
    id: CLIENT.id,
    secret: CLIENT.secret,
    redirectUris: [CLIENT.redirectUri],
    confidential: true,
  });
  home = await tempHome();
  // The person's own setup: the emulator is "their Monzo", saved in their profile with their client secret.
  const { io } = fakeIo({ MONZOKIT_HOME: home });
  await writeProfile(io, "default", {
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    apiUrl: emu.url,
    authUrl: emu.authUrl,
  });

  loopbackEvil = createHttpServer((req, res) => void relay(emu, loopbackSeen)(req, res));
  await new Promise<void>((r) => loopbackEvil.listen(0, "127.0.0.1", r));
  loopbackPort = (loopbackEvil.address() as AddressInfo).port;

  certDir = await mkdtemp(join(tmpdir(), "monzokit-evil-cert-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      join(certDir, "key.pem"),
      "-out",
      join(certDir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=evil.example",
      "-addext",
      "subjectAltName=DNS:evil.example",
    ],
    { stdio: "ignore" },
  );
  const cert = await readFile(join(certDir, "cert.pem"));
  foreignEvil = https.createServer(
    { key: await readFile(join(certDir, "key.pem")), cert },
    (req, res) => void relay(emu, foreignSeen)(req, res),
  );
  foreignEvil.on("connection", () => foreignConnections++);
  await new Promise<void>((r) => foreignEvil.listen(0, "127.0.0.1", r));
  foreignPort = (foreignEvil.address() as AddressInfo).port;
  // The test-only resolver and trust: evil.example is a real TLS server on this machine.
  (dns as { lookup: unknown }).lookup = (host: string, options: unknown, callback: unknown) =>
    host === "evil.example"
      ? (realLookup as (h: string, o: unknown, c: unknown) => void)("127.0.0.1", options, callback)
      : (realLookup as (h: string, o: unknown, c: unknown) => void)(host, options, callback);
  originalCa = https.globalAgent.options.ca;
  https.globalAgent.options.ca = [cert];
}, 60_000);

afterAll(async () => {
  (dns as { lookup: unknown }).lookup = realLookup;
  https.globalAgent.options.ca = originalCa as string[] | undefined;
  await new Promise((r) => loopbackEvil?.close(r));
  foreignEvil?.closeAllConnections();
  await new Promise((r) => foreignEvil?.close(r));
  await emu?.close();
  await rm(certDir, { recursive: true, force: true });
});

beforeEach(() => {
  // No kept-alive connection carries over: each test counts the connections it causes.
  https.globalAgent.destroy();
  foreignEvil.closeAllConnections();
  loopbackSeen.length = 0;
  foreignSeen.length = 0;
  foreignConnections = 0;
});

describe("a prepared directory", () => {
  it("the test's evil.example really receives what is sent to it (the harness works)", async () => {
    const res = await fetch(`${emu.url}/ping/whoami`).catch(() => undefined);
    expect(res).toBeDefined();
    await new Promise<void>((resolve, reject) =>
      https
        .get(`https://evil.example:${foreignPort}/ping/whoami`, (r) => {
          r.resume();
          r.once("end", resolve);
        })
        .once("error", reject),
    );
    expect(foreignSeen.map((s) => s.url)).toEqual(["/ping/whoami"]);
  });

  it("its .env is not read: no token or client secret reaches the server it names, and monzo says why", async () => {
    const tokens = await freshLogin();
    const cwd = await preparedDirectory(
      `MONZO_API_URL=http://127.0.0.1:${loopbackPort}\nMONZO_AUTH_URL=http://127.0.0.1:${loopbackPort}/\n`,
    );
    const f = fakeIo({ MONZOKIT_HOME: home }, { cwd });
    const code = await main(["balance", "--json"], f.io);
    const sent = JSON.stringify(loopbackSeen);
    expect(sent).not.toContain(tokens.accessToken);
    expect(sent).not.toContain(tokens.refreshToken);
    expect(sent).not.toContain(CLIENT.secret);
    expect(loopbackSeen).toEqual([]);
    expect(code, f.stderr()).toBe(EXIT.ok);
    expect(JSON.parse(f.stdout())).toMatchObject({ currency: "GBP" });
    expect(f.stderr()).toMatch(/\.env.*MONZO_API_URL.*MONZO_DOTENV=1/s);
  });

  it("opted into with MONZO_DOTENV=1, a .env naming a host that is neither Monzo nor this machine is refused before any connection", async () => {
    const tokens = await freshLogin();
    const cwd = await preparedDirectory(`MONZO_API_URL=https://evil.example:${foreignPort}\n`);
    const f = fakeIo({ MONZOKIT_HOME: home, MONZO_DOTENV: "1" }, { cwd });
    const code = await main(["balance"], f.io);
    expect(foreignConnections).toBe(0);
    const sent = JSON.stringify(foreignSeen);
    expect(sent).not.toContain(tokens.accessToken);
    expect(sent).not.toContain(tokens.refreshToken);
    expect(sent).not.toContain(CLIENT.secret);
    expect(foreignSeen).toEqual([]);
    expect(code).toBe(EXIT.config);
    expect(f.stderr()).toMatch(/^error: MONZO_API_URL in .*\.env .*evil\.example/);
    expect(f.stderr()).toContain("--allow-host evil.example");
  });

  it("MONZO_DOTENV in the .env itself does not opt in", async () => {
    await freshLogin();
    const cwd = await preparedDirectory(`MONZO_DOTENV=1\nMONZO_API_URL=http://127.0.0.1:${loopbackPort}\n`);
    const f = fakeIo({ MONZOKIT_HOME: home }, { cwd });
    expect(await main(["balance"], f.io), f.stderr()).toBe(EXIT.ok);
    expect(loopbackSeen).toEqual([]);
  });

  it("from the environment too, such a host is refused, and used only with --allow-host, saying so on stderr", async () => {
    const tokens = await freshLogin();
    const env = { MONZOKIT_HOME: home, MONZO_API_URL: `https://evil.example:${foreignPort}` };
    const refused = fakeIo(env);
    expect(await main(["balance", "--json"], refused.io)).toBe(EXIT.config);
    expect(foreignConnections).toBe(0);
    expect(refused.stderr()).toMatch(/MONZO_API_URL in the environment/);
    expect(JSON.stringify(foreignSeen)).not.toContain(tokens.accessToken);

    const allowed = fakeIo(env);
    expect(
      await main(["balance", "--json", "--allow-host", "evil.example"], allowed.io),
      allowed.stderr(),
    ).toBe(EXIT.ok);
    expect(JSON.parse(allowed.stdout())).toMatchObject({ currency: "GBP" });
    expect(foreignSeen.length).toBeGreaterThan(0);
    // Said once, on stderr (stdout stays the JSON), with where the URL came from.
    const notes = allowed.stderr().match(/^note: .*evil\.example.*$/gm) ?? [];
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("MONZO_API_URL in the environment");
  });

  it("monzo login refuses a login page, broker or redirect on such a host before a browser opens or a request goes out", async () => {
    const foreign = `https://evil.example:${foreignPort}`;
    const creds = { MONZO_CLIENT_ID: CLIENT.id, MONZO_CLIENT_SECRET: CLIENT.secret };
    for (const [name, env, argv] of [
      // The phishing page: the person would type their Monzo login into it.
      ["MONZO_AUTH_URL", { ...creds, MONZO_AUTH_URL: `${foreign}/` }, []],
      // A broker hands out the login URL and then the tokens.
      ["MONZO_BROKER_URL", { MONZO_BROKER_URL: foreign }, []],
      // With the attacker's client id, Monzo itself would send the login code there.
      ["MONZO_REDIRECT_URI", { ...creds, MONZO_REDIRECT_URI: `${foreign}/callback` }, ["--manual"]],
    ] as const) {
      const opened: string[] = [];
      const f = fakeIo(
        { MONZOKIT_HOME: await tempHome(), ...env },
        {
          interactive: true,
          prompt: async () => "",
          openBrowser: async (url) => {
            opened.push(url);
            return { opened: true as const };
          },
        },
      );
      const code = await main(["login", ...argv, "--no-wait", "--timeout", "5"], f.io);
      expect({ name, code }).toEqual({ name, code: EXIT.config });
      expect(f.stderr()).toContain(`${name} in the environment`);
      expect(f.stderr()).not.toContain("Open this page");
      expect(opened).toEqual([]);
      expect(foreignConnections).toBe(0);
    }
  });

  it("a host named on the command line is the person's choice: used, and named on stderr", async () => {
    await freshLogin();
    const f = fakeIo({ MONZOKIT_HOME: home });
    expect(
      await main(["balance", "--api-url", `https://evil.example:${foreignPort}`], f.io),
      f.stderr(),
    ).toBe(EXIT.ok);
    expect(foreignSeen.length).toBeGreaterThan(0);
    expect(f.stderr()).toMatch(/^note: .*evil\.example.*--api-url/m);
  });
});
