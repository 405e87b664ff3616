/**
 * Crashes: `monzo balance` with an expired token is SIGKILLed at random points of its refresh, again and
 * again. After every kill the token file must be the old or the new complete token set — never empty,
 * partial or readable by others — and the next command must either work or say exactly how to recover.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_CLIENT, serveEmulator } from "@monzokit/emulator";
import { emulatorLogin } from "../test-support/emulator-login.ts";

const BIN = fileURLToPath(new URL("../packages/cli/dist/bundle/bin.js", import.meta.url));

export interface CrashResult {
  kills: number;
  fileAlwaysWhole: boolean;
  fileAlways0600: boolean;
  recoveredByItself: number;
  askedToLogIn: number;
  otherOutcomes: string[];
}

function run(
  args: string[],
  env: Record<string, string>,
  killAfterMs?: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    if (killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

/** A small seeded generator, so a failing run can be repeated. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** The token file after a kill: absent (undefined), or whether it is a whole token set and 0600. */
async function tokenFileState(
  file: string,
  options: { refreshable: boolean },
): Promise<{ whole: boolean; private: boolean } | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  let whole = false;
  try {
    const t = JSON.parse(text) as Record<string, unknown>;
    whole =
      typeof t["accessToken"] === "string" &&
      typeof t["expiresAt"] === "number" &&
      (!options.refreshable || typeof t["refreshToken"] === "string");
  } catch {
    whole = false;
  }
  return { whole, private: ((await stat(file)).mode & 0o777) === 0o600 };
}

export async function runCrashSuite(kills: number, seed = 1): Promise<CrashResult> {
  const emu = await serveEmulator(
    { seed: "crash", transactions: 200, autoConsent: true, autoApprove: true },
    { port: 0 },
  );
  const home = await mkdtemp(join(tmpdir(), "monzokit-crash-"));
  await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
  const file = join(home, "tokens", "default.json");
  const env = {
    PATH: process.env["PATH"] ?? "",
    MONZOKIT_HOME: home,
    MONZO_API_URL: emu.url,
    MONZO_AUTH_URL: emu.authUrl,
    MONZO_CLIENT_ID: DEMO_CLIENT.id,
    MONZO_CLIENT_SECRET: DEMO_CLIENT.secret,
    NO_COLOR: "1",
  };
  // A fresh login through the (auto-consenting) emulator, written as `monzo login` would.
  const login = async () => {
    const t = await emulatorLogin(emu, {
      id: DEMO_CLIENT.id,
      secret: DEMO_CLIENT.secret,
      redirectUri: DEMO_CLIENT.redirectUris[0]!,
    });
    await writeFile(
      file,
      JSON.stringify({
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: Date.now() - 1000,
        userId: t.userId,
        clientId: t.clientId,
      }),
      { mode: 0o600 },
    );
  };
  await login();
  const result: CrashResult = {
    kills,
    fileAlwaysWhole: true,
    fileAlways0600: true,
    recoveredByItself: 0,
    askedToLogIn: 0,
    otherOutcomes: [],
  };
  const next = lcg(seed);
  try {
    for (let i = 0; i < kills; i++) {
      // Expire what is stored so the command has to refresh, then kill it somewhere in that work.
      const stored = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      await writeFile(file, JSON.stringify({ ...stored, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
      await run(["balance", "--json"], env, Math.floor(next() * 160));
      const state = await tokenFileState(file, { refreshable: true });
      if (!state?.whole) result.fileAlwaysWhole = false;
      if (state && !state.private) result.fileAlways0600 = false;
      const after = await run(["balance", "--json"], env);
      if (after.code === 0) result.recoveredByItself++;
      else if ((after.code === 3 || after.code === 4) && /monzo login/.test(after.stderr)) {
        // The refresh reached Monzo but its answer died with the process: the chain ended, and monzo says so
        // (Monzo refusing the refresh is exit 4, as for any login Monzo refuses).
        result.askedToLogIn++;
        await login();
      } else result.otherOutcomes.push(`${after.code}: ${after.stderr.trim().split("\n")[0]}`);
    }
  } finally {
    await emu.close();
    await rm(home, { recursive: true, force: true });
  }
  return result;
}

export interface LoginCrashResult {
  kills: number;
  /** Kills that landed after the browser came back (the code exchange, saving, or the approval wait). */
  afterCallback: number;
  fileAlwaysWhole: boolean;
  fileAlways0600: boolean;
  /** Runs after which a login was saved (the kill came after the save). */
  loggedIn: number;
  /**
   * Runs after which `monzo balance` said to run `monzo login`: exit 3 when nothing was saved yet, exit 4 when
   * the kill came after Monzo issued the new token (which evicts the saved one) but before it was saved.
   */
  askedToLogIn: number;
  otherOutcomes: string[];
  /** Temporary token files still there after the next command (summed over runs). */
  leftoverTempFiles: number;
}

/**
 * `monzo login` SIGKILLed at a random point after the browser came back with the code: during the exchange,
 * the save or the wait for approval. The token file must be absent, or the previous or the new complete set,
 * always 0600, with no temporary file left behind; the next command must work or name `monzo login`.
 */
export async function runLoginCrashSuite(kills: number, seed = 7): Promise<LoginCrashResult> {
  const emu = await serveEmulator(
    { seed: "login-crash", transactions: 100, autoConsent: true, autoApprove: true },
    { port: 0 },
  );
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const client = { id: "oauth2client_0000LoginCrash0000001", secret: "mnzconf.login-crash-secret" };
  emu.emulator.control.addClient({ ...client, redirectUris: [redirectUri], confidential: true });
  const home = await mkdtemp(join(tmpdir(), "monzokit-login-crash-"));
  const tokens = join(home, "tokens");
  const file = join(tokens, "default.json");
  const env = {
    PATH: process.env["PATH"] ?? "",
    MONZOKIT_HOME: home,
    MONZO_API_URL: emu.url,
    MONZO_AUTH_URL: emu.authUrl,
    MONZO_CLIENT_ID: client.id,
    MONZO_CLIENT_SECRET: client.secret,
    MONZO_REDIRECT_URI: redirectUri,
    NO_COLOR: "1",
  };
  const result: LoginCrashResult = {
    kills,
    afterCallback: 0,
    fileAlwaysWhole: true,
    fileAlways0600: true,
    loggedIn: 0,
    askedToLogIn: 0,
    otherOutcomes: [],
    leftoverTempFiles: 0,
  };
  const next = lcg(seed);
  try {
    for (let i = 0; i < kills; i++) {
      const before = await readFile(file, "utf8").catch(() => undefined);
      const child = spawn(process.execPath, [BIN, "login", "--no-browser", "--timeout", "30"], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      // The browser: open the printed login URL; the auto-consenting emulator redirects to the callback.
      const url = await new Promise<string | undefined>((resolve) => {
        let err = "";
        child.stderr.on("data", (d: Buffer) => {
          err += d;
          const m = /http:\/\/127\.0\.0\.1:\d+\/auth\/\?\S+/.exec(err);
          if (m) resolve(m[0]);
        });
        void exited.then(() => resolve(undefined));
      });
      if (url) {
        const browser = fetch(url).then(
          (r) => r.text(),
          () => "",
        );
        await new Promise((r) => setTimeout(r, Math.floor(next() * 120)));
        result.afterCallback++;
        child.kill("SIGKILL");
        await browser;
      } else child.kill("SIGKILL");
      await exited;
      const state = await tokenFileState(file, { refreshable: false });
      if (state) {
        if (!state.whole) result.fileAlwaysWhole = false;
        if (!state.private) result.fileAlways0600 = false;
      } else if (before !== undefined) result.fileAlwaysWhole = false; // a saved login may never vanish
      const after = await run(["balance", "--json"], env);
      // A kill between creating the temporary file and renaming it leaves one; the next command clears it.
      result.leftoverTempFiles += (await readdir(tokens).catch(() => [] as string[])).filter(
        (f) => f !== "default.json" && !f.endsWith(".lock"),
      ).length;
      if (after.code === 0) result.loggedIn++;
      // 3: nothing saved yet; 4: the saved login was replaced at Monzo by the one that was killed.
      else if ((after.code === 3 || after.code === 4) && /Run monzo login/.test(after.stderr))
        result.askedToLogIn++;
      else result.otherOutcomes.push(`${after.code}: ${after.stderr.trim().split("\n")[0]}`);
    }
  } finally {
    await emu.close();
    await rm(home, { recursive: true, force: true });
  }
  return result;
}
