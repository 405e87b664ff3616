import { lstat } from "node:fs/promises";
import { join } from "node:path";
import envPaths from "env-paths";
import { ConfigError } from "../errors.js";

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

const ownUid =
  process.platform === "win32" || typeof process.getuid !== "function" ? undefined : process.getuid();

/**
 * Checks a file `monzo` reads back from its data directory (the pot-move journal, an interrupted export, the
 * last login seen) before it is trusted: a plain file (not a symbolic link) of this user's, closed to others,
 * as `monzo` writes them (0600). Another user's file there decides what `monzo` says happened to the money or
 * what lands in an export, so it is refused with the fix, never used. Windows is not checked.
 *
 * @returns whether the file is there
 * @throws {ConfigError} naming the file, what is wrong and the fix
 */
export async function checkDataFile(path: string, what: string): Promise<boolean> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new ConfigError(`Cannot check ${what} ${path}: ${error.message}`, `Make sure ${path} is yours.`);
  });
  if (!info) return false;
  const What = what.charAt(0).toUpperCase() + what.slice(1);
  const planted = "if you did not put it there, another user may have";
  if (!info.isFile())
    throw new ConfigError(
      `${What} ${path} is ${info.isSymbolicLink() ? "a symbolic link" : "not a plain file"}`,
      `Move it away (monzo writes only plain files there); ${planted}.`,
    );
  if (ownUid === undefined) return true;
  if (info.uid !== ownUid)
    throw new ConfigError(
      `${What} ${path} belongs to another user (uid ${info.uid}), who could have written anything in it`,
      `Move it away and check what is in it; ${planted}. If it should be yours: chown ${ownUid} ${path} && chmod 600 ${path}`,
    );
  if (info.mode & 0o077)
    throw new ConfigError(
      `${What} ${path} is open to other users (mode ${(info.mode & 0o777).toString(8).padStart(4, "0")})`,
      info.mode & 0o022
        ? `chmod 600 ${path}, then check what is in it: others could have changed it.`
        : `chmod 600 ${path}`,
    );
  return true;
}
