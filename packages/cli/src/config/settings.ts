import { constants } from "node:fs";
import { lstat, open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { MONZO_API_URL, MONZO_AUTH_URL } from "@monzokit/core";
import { ConfigError, UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { printable } from "../output/printable.js";
import { writeFileAtomic } from "../store/atomic.js";
import {
  ENDPOINT_NAMES,
  type Endpoint,
  type EndpointName,
  hostAllowed,
  hostKind,
  judgeEndpoint,
  noteOnce,
  parseAllowHosts,
  type SettingSource,
} from "./endpoints.js";
import { checkProfileName, profileFile, tokenFile } from "./paths.js";
import { checkConfigTree, checkPrivate } from "./trust.js";

/** What a profile remembers (secrets only if the person chose to save them; the file is 0600). */
export interface ProfileConfig {
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  apiUrl?: string;
  authUrl?: string;
  /** Log in and refresh through this Monzokit broker instead of holding the client secret. */
  brokerUrl?: string;
  /** Where tokens live: `auto` (the OS keychain when there is one, else the file), `keychain` or `file`. */
  tokenStore?: string;
  /**
   * Hosts other than Monzo's and this machine that the person confirmed for this profile's URLs. Written
   * only when a URL is saved on purpose (`monzo config set`, `monzo login --broker URL`); a URL whose host
   * is not here is refused, so one saved from the environment by an older monzo is never used silently.
   */
  allowHosts?: string[];
}

export const TOKEN_STORES = ["auto", "keychain", "file"] as const;
export type TokenStoreSetting = (typeof TOKEN_STORES)[number];

export interface Settings {
  profile: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  redirectUri: string;
  apiUrl: string;
  authUrl: string;
  brokerUrl: string | undefined;
  accessToken: string | undefined;
  tokenStore: TokenStoreSetting;
  tokenPath: string;
  profilePath: string;
  /** Where each value came from, for `monzo config` and error messages. */
  sources: Record<string, SettingSource>;
  /**
   * Every `apiUrl` this run's sources give, the one in effect first, then each it overrides in order of
   * precedence down to the default: what the run's API would be without the first (a fix that says "unset
   * it" must lead to the API it names).
   */
  apiUrlLayers: readonly { source: SettingSource; value: string }[];
  /**
   * The settings that say where secrets go, each judged: Monzo's hosts and this machine are fine; another
   * host must be named on the command line or confirmed in the profile, else `refusal` says why not.
   * Nothing refuses by itself: `requireEndpoints` does, before the first request.
   */
  endpoints: Record<EndpointName, Endpoint | undefined>;
  /** Hosts `--allow-host` allowed for this run. */
  runAllowHosts: string[];
  /** Hosts the profile's `allowHosts` confirmed (lower-cased). */
  profileAllowHosts: string[];
  /** The `.env` of the working directory, and whether it was read (only with `MONZO_DOTENV=1`). */
  dotenv: { path: string; read: boolean };
}

export interface SettingFlags {
  profile?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  redirectUri?: string | undefined;
  apiUrl?: string | undefined;
  authUrl?: string | undefined;
  broker?: string | undefined;
  /** `--allow-host`: hosts (comma-separated) that may receive secrets although they are not Monzo's. */
  allowHost?: string | undefined;
  /** `--quiet`: notes about this machine's endpoints are left out (another host's never are). */
  quiet?: boolean | undefined;
}

export const DEFAULT_REDIRECT_URI = "http://localhost:6600/callback";

/** The most a `.env` may hold: a few `MONZO_*` lines fit many times over. */
export const DOTENV_MAX_BYTES = 64 * 1024;

/** Parses `KEY=value` lines of a `.env` (quotes, `export`, comments). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
      value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]!] = value;
  }
  return out;
}

const notPlain = (path: string) =>
  new ConfigError(
    `${path} is not a plain file (a pipe, a device or a directory): monzo reads a .env only from a plain file`,
    `Replace it with a plain file of KEY=value lines, or unset MONZO_DOTENV to leave it unread.`,
  );

const tooLarge = (path: string, size: number) =>
  new ConfigError(
    `${path} is larger than 64 KiB (${size} bytes): monzo reads a .env of a few KEY=value lines`,
    `Trim it to the MONZO_* lines monzo needs, or unset MONZO_DOTENV to leave it unread.`,
  );

/**
 * Reads a `.env`: only a plain file of at most 64 KiB, never a pipe (which would hang every command), a
 * device (`/dev/zero` would be read without end) or a directory. What is read is decided on the open file
 * (`fstat`), so nothing can be swapped in between the check and the read; the open itself never waits
 * (`O_NONBLOCK`, for a pipe). Missing file: nothing. `strict` (the person opted in) makes anything else an
 * error with the fix; otherwise (read only to tell the person that monzo ignores it) symbolic links are not
 * followed, only a plain file found by `lstat` is opened at all, and anything odd is silently nothing.
 *
 * @throws {ConfigError} with `strict`, for a `.env` that is not a plain file or is over 64 KiB
 */
export async function readDotEnv(path: string, strict = true): Promise<Record<string, string>> {
  const fail = (error: ConfigError): Record<string, string> => {
    if (strict) throw error;
    return {};
  };
  // Look before opening: opening a device can have effects of its own.
  const seen = await (strict ? stat(path) : lstat(path)).catch((error: NodeJS.ErrnoException) => error);
  if (seen instanceof Error) {
    if (seen.code === "ENOENT" || seen.code === "ENOTDIR" || !strict) return {};
    throw new ConfigError(`Cannot read ${path}: ${seen.message}`, "Make it readable, or unset MONZO_DOTENV.");
  }
  if (!seen.isFile()) return fail(notPlain(path));
  if (seen.size > DOTENV_MAX_BYTES) return fail(tooLarge(path, seen.size));
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (strict ? 0 : (constants.O_NOFOLLOW ?? 0));
  const handle = await open(path, flags).catch((error: NodeJS.ErrnoException) => error);
  if (handle instanceof Error) {
    if (handle.code === "ENOENT" || !strict) return {};
    throw new ConfigError(
      `Cannot read ${path}: ${handle.message}`,
      "Make it readable, or unset MONZO_DOTENV.",
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return fail(notPlain(path));
    if (info.size > DOTENV_MAX_BYTES) return fail(tooLarge(path, info.size));
    // One byte over the cap tells a file that grew since fstat.
    const buffer = Buffer.alloc(DOTENV_MAX_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > DOTENV_MAX_BYTES) return fail(tooLarge(path, length));
    }
    return parseDotEnv(buffer.subarray(0, length).toString("utf8"));
  } finally {
    await handle.close();
  }
}

export async function readProfile(io: Io, profile: string): Promise<ProfileConfig> {
  const path = profileFile(io.env, profile);
  await checkPrivate(path, "file", "the profile file");
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(
      `The profile file ${path} is not valid JSON`,
      "Fix it, or delete it and run monzo login again.",
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new ConfigError(
      `The profile file ${path} is not a JSON object`,
      "Fix it, or delete it and run monzo login again.",
    );
  const config = data as ProfileConfig;
  if (config.allowHosts !== undefined && !Array.isArray(config.allowHosts))
    throw new ConfigError(
      `allowHosts in ${path} must be a list of host names`,
      'Write it as "allowHosts": ["broker.example.com"], or delete it.',
    );
  return config;
}

/**
 * Saves a profile. Callers pass only what the person asked to save (a `monzo config set`, a URL given on
 * the command line, an answered prompt) — never a value merely found in the environment or a `.env`. A URL
 * this write changes is therefore the person's choice, and its host joins `allowHosts` when it is neither
 * Monzo's nor this machine; so do hosts in `confirmHosts` (allowed with `--allow-host` on this command
 * line). A URL left as it was keeps whatever confirmation it had, so an unrelated save never blesses one.
 */
export async function writeProfile(
  io: Io,
  profile: string,
  config: ProfileConfig,
  options: { confirmHosts?: readonly string[] } = {},
): Promise<string> {
  const path = profileFile(io.env, profile);
  const before = await readProfile(io, profile);
  const allow = new Set((config.allowHosts ?? []).filter((h) => typeof h === "string"));
  for (const name of ENDPOINT_NAMES) {
    const value = config[name];
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    if (hostKind(url) !== "other") continue;
    if (value !== before[name] || hostAllowed(url, options.confirmHosts ?? [])) allow.add(url.hostname);
  }
  const clean = Object.fromEntries(
    Object.entries({ ...config, allowHosts: allow.size ? [...allow].sort() : undefined }).filter(
      ([, v]) => v !== undefined && v !== "",
    ),
  );
  await writeFileAtomic(path, `${JSON.stringify(clean, null, 2)}\n`);
  return path;
}

/** `MONZO_DOTENV=1` (or `true`, `yes`) in the real environment: the only way to have `.env` read. */
function dotenvOptIn(env: Record<string, string | undefined>): boolean {
  return /^(1|true|yes)$/i.test(env["MONZO_DOTENV"] ?? "");
}

/**
 * Flags > environment > `.env` in the working directory (only with `MONZO_DOTENV=1` in the environment)
 * > the profile file > defaults. A `.env` is somebody's file in a directory the person may not have written
 * (a cloned repository): read by default it could send their tokens and client secret anywhere, so it is
 * read only on request, and the request cannot come from the file itself. Endpoints are judged
 * (`endpoints`), not yet enforced: see `requireEndpoints`.
 */
export async function resolveSettings(io: Io, flags: SettingFlags): Promise<Settings> {
  const dotenvPath = join(io.cwd, ".env");
  const readingDotenv = dotenvOptIn(io.env);
  // Without the opt-in it is read only to say that monzo ignores it, and only if it is a small plain file.
  const found = await readDotEnv(dotenvPath, readingDotenv);
  const dotenv = readingDotenv ? found : {};
  if (!readingDotenv && !flags.quiet) {
    const keys = Object.keys(found).filter((k) => k.startsWith("MONZO"));
    if (keys.length)
      noteOnce(
        io,
        "dotenv",
        // The working directory's name is anyone's (a clone, an archive): shown, never obeyed.
        `note: ${printable(dotenvPath)} sets ${printable(keys.slice(0, 6).join(", "))}${keys.length > 6 ? ", …" : ""}; monzo does not read it unless MONZO_DOTENV=1 is set in your environment (a .env you did not write could send your tokens elsewhere).\n`,
      );
  }
  const profile = flags.profile ?? io.env["MONZO_PROFILE"] ?? dotenv["MONZO_PROFILE"] ?? "default";
  const problem = checkProfileName(profile);
  if (problem) throw new UsageError(problem, "Pick another --profile name.");
  // Before anything is read from it: another user who can write there decides where the tokens go.
  await checkConfigTree(io.env, profile);
  const file = await readProfile(io, profile);
  const sources: Settings["sources"] = {};
  const layers: Record<string, { source: SettingSource; value: string }[]> = {};
  const pick = (
    name: string,
    flag: string | undefined,
    envName: string,
    fromFile: string | undefined,
    fallback?: string,
  ): string | undefined => {
    const candidates: [Settings["sources"][string], string | undefined][] = [
      ["flag", flag],
      ["env", io.env[envName]],
      [".env", dotenv[envName]],
      ["profile", fromFile],
      ["default", fallback],
    ];
    const given = candidates.flatMap(([source, value]) =>
      value !== undefined && value !== "" ? [{ source, value }] : [],
    );
    layers[name] = given;
    if (given[0] === undefined) return undefined;
    sources[name] = given[0].source;
    return given[0].value;
  };
  const tokenStore = pick("tokenStore", undefined, "MONZO_TOKEN_STORE", file.tokenStore, "auto")!;
  if (!(TOKEN_STORES as readonly string[]).includes(tokenStore))
    throw new UsageError(
      `Unknown token store "${tokenStore}" (from ${sources["tokenStore"]})`,
      `Set MONZO_TOKEN_STORE (or the profile's tokenStore) to one of: ${TOKEN_STORES.join(", ")}.`,
    );
  const clientId = pick("clientId", flags.clientId, "MONZO_CLIENT_ID", file.clientId);
  const clientSecret = pick("clientSecret", flags.clientSecret, "MONZO_CLIENT_SECRET", file.clientSecret);
  const redirectUri = pick(
    "redirectUri",
    flags.redirectUri,
    "MONZO_REDIRECT_URI",
    file.redirectUri,
    DEFAULT_REDIRECT_URI,
  )!;
  const apiUrl = pick("apiUrl", flags.apiUrl, "MONZO_API_URL", file.apiUrl, MONZO_API_URL)!;
  const authUrl = pick("authUrl", flags.authUrl, "MONZO_AUTH_URL", file.authUrl, MONZO_AUTH_URL)!;
  const brokerUrl = pick("brokerUrl", flags.broker, "MONZO_BROKER_URL", file.brokerUrl);
  const runAllowHosts = parseAllowHosts(flags.allowHost);
  const profilePath = profileFile(io.env, profile);
  const context = {
    runAllowed: runAllowHosts,
    profileAllowed: (file.allowHosts ?? []).map((h) => String(h).toLowerCase()),
    profile,
    profilePath,
    dotenvPath,
  };
  const values: Record<EndpointName, string | undefined> = { apiUrl, authUrl, brokerUrl, redirectUri };
  const endpoints = Object.fromEntries(
    ENDPOINT_NAMES.map((name) => {
      const value = values[name];
      return [name, value === undefined ? undefined : judgeEndpoint(name, value, sources[name]!, context)];
    }),
  ) as Record<EndpointName, Endpoint | undefined>;
  return {
    profile,
    tokenStore: tokenStore as TokenStoreSetting,
    clientId,
    clientSecret,
    redirectUri,
    apiUrl,
    authUrl,
    brokerUrl,
    accessToken: pick("accessToken", undefined, "MONZO_ACCESS_TOKEN", undefined),
    tokenPath: tokenFile(io.env, profile),
    profilePath,
    sources,
    apiUrlLayers: layers["apiUrl"] ?? [],
    endpoints,
    runAllowHosts,
    profileAllowHosts: context.profileAllowed,
    dotenv: { path: dotenvPath, read: readingDotenv },
  };
}
