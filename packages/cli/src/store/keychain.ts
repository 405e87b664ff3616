import { rm, stat } from "node:fs/promises";
import type { TokenSet, TokenStore } from "@monzokit/core";
import { foreignEnv } from "../child-env.js";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";
import { FileTokenStore, parseTokenSet } from "./file-store.js";

const SERVICE = "monzokit";

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
  timedOut?: boolean;
}

/** Runs `secret-tool` (libsecret's command line) with the secret, if any, on stdin — never in argv. */
async function secretTool(
  args: string[],
  env: Record<string, string | undefined>,
  input = "",
  timeoutMs = 15_000,
): Promise<ToolRun> {
  // Loaded on first use: most commands never reach the keychain, and this module costs ~4 ms to load.
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn("secret-tool", args, { env: foreignEnv(env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, error });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

export type KeychainStatus = { available: true } | { available: false; reason: string };

/**
 * Whether the OS keychain can hold tokens here: on Linux, the Secret Service (GNOME Keyring, KWallet…)
 * reached through `secret-tool`. Other systems keep tokens in the 0600 file for now.
 */
export async function keychainStatus(env: Record<string, string | undefined>): Promise<KeychainStatus> {
  if (process.platform !== "linux")
    return {
      available: false,
      reason: `the OS keychain is supported on Linux (Secret Service) so far, not on ${process.platform}`,
    };
  if (
    !env["DBUS_SESSION_BUS_ADDRESS"] &&
    !(env["XDG_RUNTIME_DIR"] && (await exists(`${env["XDG_RUNTIME_DIR"]}/bus`)))
  )
    return { available: false, reason: "no D-Bus session, which the Secret Service needs" };
  const run = await secretTool(["lookup", "service", SERVICE, "probe", "1"], env, "", 5000);
  if (run.error?.code === "ENOENT")
    return {
      available: false,
      reason: "secret-tool is not installed (Debian/Ubuntu: apt install libsecret-tools)",
    };
  if (run.error) return { available: false, reason: `secret-tool failed: ${run.error.message}` };
  if (run.timedOut) return { available: false, reason: "the Secret Service did not answer within 5 s" };
  const problem = run.stderr.trim().split("\n")[0];
  if (problem) return { available: false, reason: `no Secret Service: ${problem}` };
  return { available: true };
}

export interface KeychainTokenStoreOptions {
  profile: string;
  /** The configuration directory: logins of different homes (and test runs) never meet. */
  home: string;
  /** The profile's token file: its lock guards refreshes, and it takes over if the keychain fails. */
  tokenPath: string;
  env: Record<string, string | undefined>;
  /** Told when a save could not reach the keychain and went to the file instead. */
  onFallback?: (reason: string) => void;
}

/**
 * Tokens in the OS keychain (one item per profile), with the token file as the safety net: a save that
 * cannot reach the keychain goes to the 0600 file instead — a rotated refresh token is never lost — and a
 * file, when there is one, is newer than the keychain's copy, so it is read first. Refreshes are serialised
 * across processes by the file store's lock. A small marker file (no secret) records that the profile
 * lives in the keychain, for `monzo profiles`.
 *
 * @example
 * ```ts
 * const store = new KeychainTokenStore({ profile: "default", home, tokenPath, env: process.env });
 * ```
 */
export class KeychainTokenStore implements TokenStore {
  readonly #options: KeychainTokenStoreOptions;
  readonly #file: FileTokenStore;

  constructor(options: KeychainTokenStoreOptions) {
    this.#options = options;
    this.#file = new FileTokenStore(options.tokenPath);
  }

  /** The marker beside the token file that says "this profile's tokens are in the keychain". */
  get markerPath(): string {
    return this.#options.tokenPath.replace(/\.json$/, ".in-keychain");
  }

  #attributes(): string[] {
    return ["service", SERVICE, "home", this.#options.home, "profile", this.#options.profile];
  }

  async load(): Promise<TokenSet | undefined> {
    if (await exists(this.#options.tokenPath)) return this.#file.load();
    // Without the marker this profile never reached the keychain: nothing to ask it (and no process to start).
    if (!(await exists(this.markerPath))) return undefined;
    const run = await secretTool(["lookup", ...this.#attributes()], this.#options.env);
    if (run.code === 1 && !run.stderr.trim()) return undefined; // nothing stored
    if (run.code !== 0)
      throw new ConfigError(
        `Could not read the tokens from the OS keychain: ${run.timedOut ? "it did not answer" : run.stderr.trim().split("\n")[0] || `secret-tool exited with ${run.code}`}`,
        "Unlock the keychain (your login keyring) and try again, or set MONZO_TOKEN_STORE=file and run monzo login.",
      );
    const tokens = parseTokenSet(run.stdout);
    if (!tokens)
      throw new ConfigError(
        "The tokens in the OS keychain are damaged",
        "Run monzo login again to replace them.",
      );
    return tokens;
  }

  /** Where the last save went, and why not to the keychain when it did not. */
  lastSave: { to: "keychain" } | { to: "file"; reason: string } | undefined;

  async save(tokens: TokenSet): Promise<void> {
    const status = await this.#status();
    const run = status.available
      ? await secretTool(
          ["store", `--label=Monzokit tokens (${this.#options.profile})`, ...this.#attributes()],
          this.#options.env,
          JSON.stringify(tokens),
        )
      : undefined;
    if (run?.code !== 0) {
      const reason = !status.available
        ? status.reason
        : run?.timedOut
          ? "the keychain did not answer"
          : run?.stderr.trim().split("\n")[0] || `secret-tool exited with ${run?.code}`;
      const wasInKeychain = await exists(this.markerPath);
      await this.#file.save(tokens);
      this.lastSave = { to: "file", reason };
      // Only a change of home is news; a machine without a keychain simply keeps using the file.
      if (wasInKeychain) this.#options.onFallback?.(reason);
      return;
    }
    this.lastSave = { to: "keychain" };
    await writeFileAtomic(this.markerPath, `${JSON.stringify({ store: "keychain" })}\n`);
    // The keychain now holds the newest set: an older file copy must not shadow it.
    await rm(this.#options.tokenPath, { force: true });
  }

  async clear(): Promise<void> {
    if (await exists(this.markerPath)) await secretTool(["clear", ...this.#attributes()], this.#options.env);
    await this.#file.clear();
    await rm(this.markerPath, { force: true });
  }

  lock<T>(work: () => Promise<T>): Promise<T> {
    return this.#file.lock(work);
  }

  #checked: Promise<KeychainStatus> | undefined;
  #status(): Promise<KeychainStatus> {
    this.#checked ??= keychainStatus(this.#options.env);
    return this.#checked;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
