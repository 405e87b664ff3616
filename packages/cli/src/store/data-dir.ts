import { join } from "node:path";
import envPaths from "env-paths";

/**
 * Where Monzokit keeps data (as opposed to settings): `$MONZOKIT_HOME/data` when that is set, else the OS
 * data directory (`~/.local/share/monzokit` on Linux, `~/Library/Application Support/monzokit` on macOS,
 * `%LOCALAPPDATA%\monzokit\Data` on Windows). The same place `monzo sync` keeps its mirror.
 */
export function dataDir(env: Record<string, string | undefined>): string {
  const home = env["MONZOKIT_HOME"];
  return home ? join(home, "data") : envPaths("monzokit", { suffix: "" }).data;
}

/**
 * A profile's own data directory, `<data dir>/<profile>` (the profile name is checked to be a safe file
 * name when settings are resolved): the money journal, interrupted exports, the last approval seen.
 *
 * @example profileDataDir(process.env, "default") // ~/.local/share/monzokit/default on Linux
 */
export function profileDataDir(env: Record<string, string | undefined>, profile: string): string {
  return join(dataDir(env), profile);
}
