import { join } from "node:path";
import envPaths from "env-paths";

/**
 * Where Monzokit keeps data (as opposed to settings): `$MONZOKIT_HOME/data` when that is set, else the OS
 * data directory (`~/.local/share/monzokit` on Linux, `~/Library/Application Support/monzokit` on macOS,
 * `%LOCALAPPDATA%\monzokit\Data` on Windows).
 */
export function dataDir(env: Record<string, string | undefined>): string {
  const home = env["MONZOKIT_HOME"];
  return home ? join(home, "data") : envPaths("monzokit", { suffix: "" }).data;
}

/**
 * The default mirror of a profile: `<data dir>/<profile>/mirror.db`. The profile name has already been checked
 * to be a safe file name (`checkProfileName`).
 *
 * @example defaultMirrorPath(process.env, "default") // ~/.local/share/monzokit/default/mirror.db on Linux
 */
export function defaultMirrorPath(env: Record<string, string | undefined>, profile: string): string {
  return join(dataDir(env), profile, "mirror.db");
}
