import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MONZO_API_URL, MONZO_AUTH_URL } from "@monzokit/core";
import { ConfigError, UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { writeFileAtomic } from "../store/atomic.js";
import { checkProfileName, profileFile, tokenFile } from "./paths.js";

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
  sources: Record<string, "flag" | "env" | ".env" | "profile" | "default">;
}

export interface SettingFlags {
  profile?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  redirectUri?: string | undefined;
  apiUrl?: string | undefined;
  authUrl?: string | undefined;
  broker?: string | undefined;
}

export const DEFAULT_REDIRECT_URI = "http://localhost:6600/callback";

/** Reads `KEY=value` lines of a `.env` file (quotes, `export`, comments). Missing file: nothing. */
export async function readDotEnv(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return {};
  }
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

export async function readProfile(io: Io, profile: string): Promise<ProfileConfig> {
  const path = profileFile(io.env, profile);
  try {
    return JSON.parse(await readFile(path, "utf8")) as ProfileConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(
      `The profile file ${path} is not valid JSON`,
      "Fix it, or delete it and run monzo login again.",
    );
  }
}

export async function writeProfile(io: Io, profile: string, config: ProfileConfig): Promise<string> {
  const path = profileFile(io.env, profile);
  const clean = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined && v !== ""));
  await writeFileAtomic(path, `${JSON.stringify(clean, null, 2)}\n`);
  return path;
}

/** Flags > environment > `.env` in the working directory > the profile file > defaults. */
export async function resolveSettings(io: Io, flags: SettingFlags): Promise<Settings> {
  const dotenv = await readDotEnv(join(io.cwd, ".env"));
  const profile = flags.profile ?? io.env["MONZO_PROFILE"] ?? dotenv["MONZO_PROFILE"] ?? "default";
  const problem = checkProfileName(profile);
  if (problem) throw new UsageError(problem, "Pick another --profile name.");
  const file = await readProfile(io, profile);
  const sources: Settings["sources"] = {};
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
    for (const [source, value] of candidates) {
      if (value !== undefined && value !== "") {
        sources[name] = source;
        return value;
      }
    }
    return undefined;
  };
  const tokenStore = pick("tokenStore", undefined, "MONZO_TOKEN_STORE", file.tokenStore, "auto")!;
  if (!(TOKEN_STORES as readonly string[]).includes(tokenStore))
    throw new UsageError(
      `Unknown token store "${tokenStore}" (from ${sources["tokenStore"]})`,
      `Set MONZO_TOKEN_STORE (or the profile's tokenStore) to one of: ${TOKEN_STORES.join(", ")}.`,
    );
  return {
    profile,
    tokenStore: tokenStore as TokenStoreSetting,
    clientId: pick("clientId", flags.clientId, "MONZO_CLIENT_ID", file.clientId),
    clientSecret: pick("clientSecret", flags.clientSecret, "MONZO_CLIENT_SECRET", file.clientSecret),
    redirectUri: pick(
      "redirectUri",
      flags.redirectUri,
      "MONZO_REDIRECT_URI",
      file.redirectUri,
      DEFAULT_REDIRECT_URI,
    )!,
    apiUrl: pick("apiUrl", flags.apiUrl, "MONZO_API_URL", file.apiUrl, MONZO_API_URL)!,
    authUrl: pick("authUrl", flags.authUrl, "MONZO_AUTH_URL", file.authUrl, MONZO_AUTH_URL)!,
    brokerUrl: pick("brokerUrl", flags.broker, "MONZO_BROKER_URL", file.brokerUrl),
    accessToken: pick("accessToken", undefined, "MONZO_ACCESS_TOKEN", undefined),
    tokenPath: tokenFile(io.env, profile),
    profilePath: profileFile(io.env, profile),
    sources,
  };
}
