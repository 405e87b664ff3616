import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
        // "The browser": follows the auto-consent redirect to the callback server.
        openBrowser: async (url) => {
          void fetch(url).then((r) => r.text());
          return true;
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
    expect(f.stderr()).toContain("Waiting for approval in the Monzo app");
    expect(f.stderr()).not.toContain("mnzconf.flow");
  });
});
