import { readFile, stat } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { MonzoError, validateCallback } from "@monzokit/core";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePasted } from "../../src/login/flow.js";
import { main } from "../../src/main.js";
import { fakeIo, tempHome } from "../helpers.js";

let emu: RunningEmulator;
let redirectUri: string;

beforeAll(async () => {
  emu = await serveEmulator(
    { seed: "flow", transactions: 600, autoConsent: true, autoApprove: 1500 },
    { port: 0 },
  );
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  redirectUri = `http://127.0.0.1:${port}/callback`;
  emu.emulator.control.addClient({
    id: "oauth2client_0000FlowTest000000001",
    secret: "mnzconf.flow",
    redirectUris: [redirectUri],
    confidential: true,
  });
});
afterAll(async () => emu?.close());

describe("interactive login", () => {
  it("asks for the missing secret (hidden), saves it on request, waits for approval, and offers the full-history export", async () => {
    const home = await tempHome();
    const answers = ["mnzconf.flow", "y", "y", join(home, "history.csv")];
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
    expect(prompts.map((p) => p.question).join("|")).toMatch(
      /Save the client id and secret.*Export your whole history now.*File/,
    );
    const profile = JSON.parse(await readFile(join(home, "profiles", "default.json"), "utf8"));
    expect(profile.clientSecret).toBe("mnzconf.flow");
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
      /^error: Refusing the login address http:\/\/evil\.example\/login.*plain http/,
    );
    expect(opened).toEqual([]);
  });

  it("from a login page that is plain http on another host, is refused by core before anything (exit 2)", async () => {
    const opened: string[] = [];
    const f = fakeIo(
      {
        MONZOKIT_HOME: await tempHome(),
        MONZO_API_URL: emu.url,
        MONZO_AUTH_URL: "http://auth.evil.example/",
        MONZO_CLIENT_ID: "oauth2client_0000FlowTest000000001",
        MONZO_CLIENT_SECRET: "mnzconf.flow",
        MONZO_REDIRECT_URI: redirectUri,
      },
      {
        openBrowser: async (url) => {
          opened.push(url);
          return { opened: true };
        },
      },
    );
    expect(await main(["login", "--timeout", "5"], f.io)).toBe(2);
    expect(f.stderr()).toMatch(/^error: authUrl "http:\/\/auth\.evil\.example\/" must use https/);
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
