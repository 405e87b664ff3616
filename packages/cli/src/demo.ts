#!/usr/bin/env node
/**
 * `npm start`: the whole job against the embedded emulator, unattended — a real login (redirect, local
 * callback server, state check, code exchange, waiting for in-app approval), then whoami, accounts,
 * balances, pots and the latest transactions. `--interactive` opens a real browser and lets you click.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveEmulator } from "@monzokit/emulator";
import { type Io, processIo } from "./io.js";
import { main } from "./main.js";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const interactive = process.argv.includes("--interactive");
const home = await mkdtemp(join(tmpdir(), "monzokit-demo-"));
const emulator = await serveEmulator(
  { seed: "demo", transactions: 3000, autoConsent: !interactive, autoApprove: interactive ? false : 2500 },
  { port: 0 },
);
const callbackPort = await freePort();
const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
emulator.emulator.control.addClient({
  id: "oauth2client_0000MonzokitDemoStart1",
  secret: "mnzconf.demo-start",
  redirectUris: [redirectUri],
  confidential: true,
  name: "Monzokit demo",
});

const real = processIo();
const io: Io = {
  ...real,
  interactive: false,
  env: {
    ...process.env,
    MONZOKIT_HOME: home,
    MONZO_API_URL: emulator.url,
    MONZO_AUTH_URL: emulator.authUrl,
    MONZO_CLIENT_ID: "oauth2client_0000MonzokitDemoStart1",
    MONZO_CLIENT_SECRET: "mnzconf.demo-start",
    MONZO_REDIRECT_URI: redirectUri,
  },
  // Unattended: "the browser" follows the login page's redirect to our callback server, as a person's would.
  openBrowser: interactive
    ? real.openBrowser
    : async (url) => {
        void fetch(url)
          .then((r) => r.text())
          .catch(() => {});
        return { opened: true as const };
      },
};

const say = (text: string) => real.err(real.color ? `\n\u001b[1m== ${text}\u001b[0m\n` : `\n== ${text}\n`);
let code = 0;
try {
  say(
    `Monzo emulator running at ${emulator.url}${interactive ? ` — approve in the app page: ${emulator.authUrl}app` : ""}`,
  );
  say("monzo login");
  code = await main(["login", "--timeout", interactive ? "300" : "30"], io);
  for (const argv of [
    ["whoami"],
    ["accounts"],
    ["balance"],
    ["pots", "list"],
    ["transactions", "list", "--limit", "10"],
    ["status"],
  ]) {
    if (code !== 0) break;
    say(`monzo ${argv.join(" ")}`);
    code = await main(argv, io);
  }
} finally {
  await emulator.close();
  await rm(home, { recursive: true, force: true });
}
if (code === 0)
  real.err("\nDone. Everything above ran against the local emulator; nothing touched real Monzo.\n");
process.exitCode = code;
