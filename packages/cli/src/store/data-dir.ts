import { constants } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";
import { join } from "node:path";
import envPaths from "env-paths";
import { checkPathTo, ensurePrivateDir } from "../config/trust.js";
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
 * Creates or checks a directory under the data directory (a profile's, its `exports`) before anything is
 * kept in it or read from it: the way there must be one nobody else can change (`checkPathTo`: no other
 * user's link, no directory above it, `data/` included, that others can write unless sticky), the directory
 * itself must not be a symbolic link (`monzo` makes only real ones; a link is someone's way of moving what
 * `monzo` reads), and it must be the user's and not writable by others (`ensurePrivateDir`). With all of
 * that, no other user can replace anything in it between a check and a read.
 *
 * @throws {ConfigError} naming the directory, what is wrong and the fix
 */
export async function ensureDataDir(dir: string): Promise<void> {
  await checkPathTo(dir, "the data directory");
  const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new ConfigError(`Cannot check ${dir}: ${error.message}`, `Make sure ${dir} is yours.`);
  });
  if (info?.isSymbolicLink())
    throw new ConfigError(
      `The data directory ${dir} is a symbolic link: what monzo reads there could be moved under it`,
      `Move it away (monzo makes a real directory there); if you did not make it, another user may have.`,
    );
  await ensurePrivateDir(dir);
}

/**
 * Checks a file `monzo` reads back from its data directory (the pot-move journal, an interrupted export, the
 * last login seen) before it is trusted: a plain file (not a symbolic link) of this user's, closed to others,
 * as `monzo` writes them (0600). Another user's file there decides what `monzo` says happened to the money or
 * what lands in an export, so it is refused with the fix, never used. The file is opened `O_NOFOLLOW`
 * (a symbolic link is never followed) and `O_NONBLOCK` (a FIFO never hangs the open), and the open handle
 * is what is checked (`fstat`) and then read: the file checked is the file read, whatever happens to the
 * name meanwhile. Windows is not checked (owner and mode).
 *
 * @returns the open handle (the caller reads and closes it), or undefined when there is no file
 * @throws {ConfigError} naming the file, what is wrong and the fix
 */
export async function openDataFile(path: string, what: string): Promise<FileHandle | undefined> {
  const What = what.charAt(0).toUpperCase() + what.slice(1);
  const planted = "if you did not put it there, another user may have";
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  const handle = await open(path, flags).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    // ELOOP: O_NOFOLLOW met a symbolic link.
    if (error.code === "ELOOP" || (await lstat(path).catch(() => undefined))?.isSymbolicLink())
      throw new ConfigError(
        `${What} ${path} is a symbolic link`,
        `Move it away (monzo writes only plain files there); ${planted}.`,
      );
    throw new ConfigError(`Cannot check ${what} ${path}: ${error.message}`, `Make sure ${path} is yours.`);
  });
  if (!handle) return undefined;
  try {
    checkDataStats(await handle.stat(), path, what);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a data file (`openDataFile`'s checks) whole, from the handle that was checked.
 *
 * @returns its text, or undefined when there is no file
 * @throws {ConfigError} as `openDataFile`
 */
export async function readDataFile(path: string, what: string): Promise<string | undefined> {
  const handle = await openDataFile(path, what);
  if (!handle) return undefined;
  try {
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

/** The file `info` describes (opened at `path`) must be a plain 0600 file of this user's; else throws. */
function checkDataStats(
  info: { isFile(): boolean; isSymbolicLink(): boolean; uid: number; mode: number },
  path: string,
  what: string,
): void {
  const What = what.charAt(0).toUpperCase() + what.slice(1);
  const planted = "if you did not put it there, another user may have";
  if (!info.isFile())
    throw new ConfigError(
      `${What} ${path} is ${info.isSymbolicLink() ? "a symbolic link" : "not a plain file"}`,
      `Move it away (monzo writes only plain files there); ${planted}.`,
    );
  if (ownUid === undefined) return;
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
}
