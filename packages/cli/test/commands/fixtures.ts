import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { main } from "../../src/main.js";
import { fakeIo, tempHome } from "../helpers.js";

/** A real emulator on a loopback port and a config home logged in to it (a playground token in the file store). */
export async function loggedIn(options: { transactions?: number } = {}) {
  const emu: RunningEmulator = await serveEmulator(
    { seed: "cli-mirror", transactions: options.transactions ?? 600 },
    { port: 0 },
  );
  const home = await tempHome();
  await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
  const writeToken = async () => {
    const token = emu.emulator.control.token({ ttlSeconds: 86_400 });
    await writeFile(
      join(home, "tokens", "default.json"),
      JSON.stringify({
        accessToken: token,
        expiresAt: Date.now() + 86_400_000,
        userId: "user_t",
        clientId: "oauth2client_t",
      }),
      { mode: 0o600 },
    );
  };
  await writeToken();
  const env = { MONZOKIT_HOME: home, MONZO_API_URL: emu.url, MONZO_TOKEN_STORE: "file", NO_COLOR: "1" };
  return {
    emu,
    home,
    env,
    /** A new login: its full-history window open from now. */
    relogin: writeToken,
    mirror: join(home, "data", "default", "mirror.db"),
    async monzo(...argv: string[]) {
      const f = fakeIo(env, { cwd: home });
      const code = await main(argv, f.io);
      return { code, out: f.stdout(), err: f.stderr() };
    },
    /** `monzo` with stdout a terminal (`Io.stdoutTty`), as when a person runs it without a pipe. */
    async monzoOnTty(...argv: string[]) {
      const f = fakeIo(env, { cwd: home, stdoutTty: true });
      const code = await main(argv, f.io);
      return { code, out: f.stdout(), err: f.stderr() };
    },
    close: () => emu.close(),
  };
}
