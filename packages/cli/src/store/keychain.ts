import { rm, stat } from "node:fs/promises";
import type { TokenSet, TokenStore } from "@monzokit/core";
import { foreignEnv } from "../child-env.js";
import { ConfigError } from "../errors.js";
import { sweepStaleTemps, writeFileAtomic } from "./atomic.js";
import { FileTokenStore, parseTokenSet } from "./file-store.js";

const SERVICE = "monzokit";
/** A keychain that does not answer within this long is treated as unavailable (a save then goes to the file). */
const CALL_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 5_000;

type Binding = typeof import("@napi-rs/keyring");
let binding: Promise<Binding | Error> | undefined;

/**
 * The OS keychain binding: `@napi-rs/keyring` (keyring-rs; prebuilt for macOS, Windows and Linux, an
 * optional dependency), loaded on first use — most commands never reach the keychain.
 */
function loadBinding(): Promise<Binding | Error> {
  binding ??= import("@napi-rs/keyring").then(
    (m) => m,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return binding;
}

/** The keychain item's account name: one item per profile and configuration directory. */
export function keychainAccount(home: string, profile: string): string {
  return `${profile} @ ${home}`;
}

/**
 * libdbus, inside the binding, finds the session bus through the process environment, while the CLI reads
 * its environment through `Io`: give it the bus `env` names. (For the real terminal they are the same.)
 */
function useBus(env: Record<string, string | undefined>): void {
  if (process.platform !== "linux" || env === process.env) return;
  for (const name of ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"]) {
    const value = env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

async function entry(env: Record<string, string | undefined>, account: string) {
  const lib = await loadBinding();
  if (lib instanceof Error) throw lib;
  useBus(env);
  // On Linux only the Secret Service: keyring-rs would otherwise fall back to the kernel keyring, which
  // forgets everything at reboot (and a refresh token lost there is a login lost).
  return new lib.AsyncEntry(SERVICE, account, { linux: { store: "secret-service" } });
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? message).replace(/^Platform failure: /, "");
}

export type KeychainStatus = { available: true } | { available: false; reason: string };

/**
 * Whether the OS keychain can hold tokens here: Keychain on macOS, Credential Manager on Windows, the
 * Secret Service (GNOME Keyring, KWallet, KeePassXC…) over D-Bus on Linux — through `@napi-rs/keyring`.
 */
export async function keychainStatus(env: Record<string, string | undefined>): Promise<KeychainStatus> {
  if (!["darwin", "win32", "linux"].includes(process.platform))
    return { available: false, reason: `no OS keychain is supported on ${process.platform}` };
  const lib = await loadBinding();
  if (lib instanceof Error)
    return {
      available: false,
      reason: `the keychain binding (@napi-rs/keyring) is not installed for ${process.platform}-${process.arch}`,
    };
  if (
    process.platform === "linux" &&
    !env["DBUS_SESSION_BUS_ADDRESS"] &&
    !(env["XDG_RUNTIME_DIR"] && (await exists(`${env["XDG_RUNTIME_DIR"]}/bus`)))
  )
    return { available: false, reason: "no D-Bus session, which the Secret Service needs" };
  try {
    await (await entry(env, "probe")).getPassword(AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return { available: true };
  } catch (error) {
    if ((error as Error).name === "AbortError" || (error as Error).name === "TimeoutError")
      return { available: false, reason: `the keychain did not answer within ${PROBE_TIMEOUT_MS / 1000} s` };
    return {
      available: false,
      reason: process.platform === "linux" ? `no Secret Service: ${reasonOf(error)}` : reasonOf(error),
    };
  }
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
 * cannot reach the keychain goes to the 0600 file instead — a rotated refresh token is never lost — and the
 * file, when there is one, takes part in every read: of the file's set and the keychain's, the one that
 * expires later is the newer (each refresh extends the expiry), so a save killed between writing the keychain
 * and removing the file cannot bring an already-spent refresh token back. Refreshes are serialised across
 * processes by the file store's lock. A small marker file (no secret) records that the profile lives in the
 * keychain, for `monzo profiles`.
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

  get #account(): string {
    return keychainAccount(this.#options.home, this.#options.profile);
  }

  async load(): Promise<TokenSet | undefined> {
    const inFile = (await exists(this.#options.tokenPath)) ? await this.#file.load() : undefined;
    // A save killed before its rename leaves a temporary copy of the tokens, file or not: clear those too.
    if (!inFile) await sweepStaleTemps(this.#options.tokenPath);
    // Without the marker this profile never reached the keychain: nothing to ask it.
    if (!(await exists(this.markerPath))) return inFile;
    let text: string | null;
    try {
      text = await (await entry(this.#options.env, this.#account)).getPassword(
        AbortSignal.timeout(CALL_TIMEOUT_MS),
      );
      if (text === null) {
        text = await legacyLookup(this.#options);
        this.#legacySeen = text !== null;
      }
    } catch (error) {
      // The file's set stands in for a keychain that cannot be read now (it is never older than a save
      // that failed to reach the keychain).
      if (inFile) return inFile;
      throw new ConfigError(
        `Could not read the tokens from the OS keychain: ${reasonOf(error)}`,
        "Unlock the keychain (your login keyring) and try again, or set MONZO_TOKEN_STORE=file and run monzo login.",
      );
    }
    if (text === null) return inFile;
    const inKeychain = parseTokenSet(text);
    if (!inKeychain) {
      if (inFile) return inFile;
      throw new ConfigError(
        "The tokens in the OS keychain are damaged",
        "Run monzo login again to replace them.",
      );
    }
    return inFile && inFile.expiresAt > inKeychain.expiresAt ? inFile : inKeychain;
  }

  /** Where the last save went, and why not to the keychain when it did not. */
  lastSave: { to: "keychain" } | { to: "file"; reason: string } | undefined;

  async save(tokens: TokenSet): Promise<void> {
    const status = await this.#status();
    let reason: string | undefined = status.available ? undefined : status.reason;
    if (status.available) {
      try {
        await (await entry(this.#options.env, this.#account)).setPassword(
          JSON.stringify(tokens),
          AbortSignal.timeout(CALL_TIMEOUT_MS),
        );
      } catch (error) {
        reason = reasonOf(error);
      }
    }
    if (reason !== undefined) {
      const wasInKeychain = await exists(this.markerPath);
      await this.#file.save(tokens);
      this.lastSave = { to: "file", reason };
      // Only a change of home is news; a machine without a keychain simply keeps using the file.
      if (wasInKeychain) this.#options.onFallback?.(reason);
      return;
    }
    this.lastSave = { to: "keychain" };
    await writeFileAtomic(this.markerPath, `${JSON.stringify({ store: "keychain" })}\n`);
    // The keychain now holds the newest set: the file copy (older) goes, and so does an item of the
    // secret-tool era.
    await rm(this.#options.tokenPath, { force: true });
    if (this.#legacySeen) await legacyClear(this.#options);
    this.#legacySeen = false;
  }

  #legacySeen = false;

  async clear(): Promise<void> {
    if (await exists(this.markerPath)) {
      await (await entry(this.#options.env, this.#account))
        .deleteCredential(AbortSignal.timeout(CALL_TIMEOUT_MS))
        .catch(() => false);
      await legacyClear(this.#options);
    }
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

/**
 * Monzokit 0.1 kept keychain tokens through `secret-tool` under other attributes (service, home, profile).
 * Such an item is still read (once), and removed when the set moves to the binding's own item.
 */
async function legacyLookup(options: KeychainTokenStoreOptions): Promise<string | null> {
  if (process.platform !== "linux") return null;
  const run = await secretTool(["lookup", ...legacyAttributes(options)], options.env);
  return run.code === 0 && run.stdout ? run.stdout : null;
}

async function legacyClear(options: KeychainTokenStoreOptions): Promise<void> {
  if (process.platform === "linux") await secretTool(["clear", ...legacyAttributes(options)], options.env);
}

function legacyAttributes(options: KeychainTokenStoreOptions): string[] {
  return ["service", SERVICE, "home", options.home, "profile", options.profile];
}

/**
 * Runs `secret-tool` (libsecret's command line) when it is installed; never with a secret in argv, and
 * without monzo's own settings (`MONZO_*`) in its environment.
 */
async function secretTool(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string }> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn("secret-tool", args, { env: foreignEnv(env), stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.once("error", () => {
      clearTimeout(timer);
      resolve({ code: null, stdout: "" });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
