import { join } from "node:path";
import envPaths from "env-paths";

/**
 * Where Monzokit keeps its files: the OS config dir (`~/.config/monzokit` on Linux, `~/Library/Preferences/
 * monzokit` on macOS, `%APPDATA%\monzokit\Config` on Windows), or `MONZOKIT_HOME` when set.
 */
export function configDir(env: Record<string, string | undefined>): string {
  return env["MONZOKIT_HOME"] || envPaths("monzokit", { suffix: "" }).config;
}

export function profileFile(env: Record<string, string | undefined>, profile: string): string {
  return join(configDir(env), "profiles", `${profile}.json`);
}

export function tokenFile(env: Record<string, string | undefined>, profile: string): string {
  return join(configDir(env), "tokens", `${profile}.json`);
}

/** Profile names become file names: keep them to safe characters. */
export function checkProfileName(name: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)
    ? undefined
    : `profile name "${name}" must be letters, digits, ".", "_" or "-" (at most 64)`;
}
