/**
 * Crashes: `monzo balance` with an expired token is SIGKILLed at random points of its refresh, again and
 * again. After every kill the token file must be the old or the new complete token set — never empty,
 * partial or readable by others — and the next command must either work or say exactly how to recover.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_CLIENT, serveEmulator } from "@monzokit/emulator";

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
    const q = new URLSearchParams({
      client_id: DEMO_CLIENT.id,
      redirect_uri: DEMO_CLIENT.redirectUris[0]!,
      response_type: "code",
      state: "crash-state-0000",
    });
    const code = new URL(
      (await fetch(`${emu.authUrl}?${q}`, { redirect: "manual" })).headers.get("location")!,
    ).searchParams.get("code")!;
    const t = (await (
      await fetch(`${emu.url}/oauth2/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: DEMO_CLIENT.id,
          client_secret: DEMO_CLIENT.secret,
          redirect_uri: DEMO_CLIENT.redirectUris[0]!,
          code,
        }),
      })
    ).json()) as Record<string, string | number>;
    await writeFile(
      file,
      JSON.stringify({
        accessToken: t["access_token"],
        refreshToken: t["refresh_token"],
        expiresAt: Date.now() - 1000,
        userId: t["user_id"],
        clientId: t["client_id"],
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
  let random = seed;
  const next = () => {
    random = (random * 1103515245 + 12345) % 2 ** 31;
    return random / 2 ** 31;
  };
  try {
    for (let i = 0; i < kills; i++) {
      // Expire what is stored so the command has to refresh, then kill it somewhere in that work.
      const stored = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      await writeFile(file, JSON.stringify({ ...stored, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
      await run(["balance", "--json"], env, Math.floor(next() * 160));
      const text = await readFile(file, "utf8");
      try {
        const t = JSON.parse(text) as Record<string, unknown>;
        if (
          typeof t["accessToken"] !== "string" ||
          typeof t["refreshToken"] !== "string" ||
          typeof t["expiresAt"] !== "number"
        )
          result.fileAlwaysWhole = false;
      } catch {
        result.fileAlwaysWhole = false;
      }
      if (((await stat(file)).mode & 0o777) !== 0o600) result.fileAlways0600 = false;
      const after = await run(["balance", "--json"], env);
      if (after.code === 0) result.recoveredByItself++;
      else if (after.code === 3 && /monzo login/.test(after.stderr)) {
        // The refresh reached Monzo but its answer died with the process: the chain ended, and monzo says so.
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
