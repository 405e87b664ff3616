import { chmod, lstat, mkdir, realpath, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { ConfigError } from "../errors.js";
import { configDir, profileFile, tokenFile } from "./paths.js";

/**
 * Permission checks make sense where files have POSIX owners and modes. On Windows the config directory
 * lives in the user's profile, which other users cannot write by default; modes there are not checked.
 */
function posixUid(): number | undefined {
  if (process.platform === "win32" || typeof process.getuid !== "function") return undefined;
  return process.getuid();
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/**
 * Refuses a config directory, or a profile or token file, that another user could change or read: one that
 * belongs to someone else, or that others may write (a directory) or open at all (a file holding a secret).
 * Another user who can write there can swap in a profile whose API URL is theirs and collect the tokens.
 * Missing paths are fine (they are created private). Follows symbolic links: what counts is what is read.
 *
 * @throws {ConfigError} naming the path, what is wrong, and the command that fixes it
 */
export async function checkPrivate(path: string, kind: "directory" | "file", what: string): Promise<void> {
  const uid = posixUid();
  if (uid === undefined) return;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new ConfigError(
      `Cannot check ${what} ${path}: ${(error as Error).message}`,
      `Make sure ${path} is yours and readable by you.`,
    );
  }
  if (kind === "directory" ? !info.isDirectory() : !info.isFile())
    throw new ConfigError(
      `${capital(what)} ${path} is not a ${kind}`,
      `Move it away; monzo creates the ${kind} it needs.`,
    );
  const mode = Number(info.mode);
  if (Number(info.uid) !== uid)
    throw new ConfigError(
      `${capital(what)} ${path} belongs to another user (uid ${info.uid}), who could change what monzo reads from it`,
      kind === "directory"
        ? `Use a directory of your own (set MONZOKIT_HOME), or if it should be yours: chown -R ${uid} ${path} && chmod 700 ${path}`
        : `Delete it, or if it should be yours: chown ${uid} ${path} && chmod 600 ${path}`,
    );
  if (kind === "directory" && mode & 0o022)
    throw new ConfigError(
      `${capital(what)} ${path} is writable by other users (mode ${octal(mode)}): they could swap in a profile that sends your tokens to them`,
      `chmod 700 ${path} (then check that nothing in it was changed: monzo config)`,
    );
  if (kind === "file" && mode & 0o077)
    throw new ConfigError(
      `${capital(what)} ${path} is open to other users (mode ${octal(mode)})`,
      mode & 0o022
        ? `chmod 600 ${path}, then check its contents: others could have changed it.`
        : `chmod 600 ${path}; if others could have read it, log in again (monzo logout, then monzo login).`,
    );
}

/** `/a/b/c` → `/a`, `/a/b`, `/a/b/c`. */
function prefixes(path: string): string[] {
  const out: string[] = [];
  for (let at = path.indexOf(sep, 1); at !== -1; at = path.indexOf(sep, at + 1)) out.push(path.slice(0, at));
  if (path !== sep) out.push(path);
  return out;
}

/**
 * Refuses a path to `what` (a directory `monzo` keeps files in, there or not yet) that another user could
 * redirect: the files below it are opened by path, again and again, so whoever can change any step of the
 * way can swap in their own between one check and the next read. Every symbolic link on the way must be this
 * user's or root's (its owner can point it elsewhere at any moment), and every directory of the real path
 * above `path`, from `/`, must be this user's or root's and not writable by others, unless sticky (like
 * /tmp: others may add names there but not rename or remove ours). `path` itself is `checkPrivate`'s. With
 * nothing on the way anyone else can change, the path may go on being used as given.
 *
 * @throws {ConfigError} naming the step that is wrong and the fix
 */
export async function checkPathTo(path: string, what: string): Promise<void> {
  const uid = posixUid();
  if (uid === undefined) return;
  const given = resolve(path);
  const fix = `Set MONZOKIT_HOME to a directory on a path of your own: every directory and link on the way yours or root's, none writable by others (or sticky, as /tmp)`;
  let there: string = sep;
  for (const step of prefixes(given)) {
    const info = await lstat(step).catch(() => undefined);
    if (!info) break;
    there = step;
    if (info.isSymbolicLink() && info.uid !== uid && info.uid !== 0)
      throw new ConfigError(
        `${capital(what)} ${path} is reached through ${step}, a symbolic link of another user's (uid ${info.uid}), who can point it elsewhere at any moment`,
        fix,
      );
  }
  // Only what is above the directory itself: it is checked (as the person's own) by checkPrivate.
  const real = await realpath(there);
  const above = there === given ? dirname(real) : real;
  for (const step of [sep, ...prefixes(above)]) {
    const info = await lstat(step);
    const where = `${capital(what)} ${path} is inside ${step}, which`;
    if (!info.isDirectory()) throw new ConfigError(`${where} is not a directory`, fix);
    if (info.uid !== uid && info.uid !== 0)
      throw new ConfigError(
        `${where} belongs to another user (uid ${info.uid}), who could rename it away and put theirs in its place`,
        fix,
      );
    if (info.mode & 0o022 && !(info.mode & 0o1000))
      throw new ConfigError(
        `${where} is writable by other users (mode ${octal(info.mode)}): they could swap in a directory of their own`,
        `chmod go-w ${step} (then check what is in it), or: ${fix}`,
      );
  }
}

/**
 * Checks everything a command reads for `profile`: the config directory, its `profiles` and `tokens`
 * directories, and the profile's two files.
 */
export async function checkConfigTree(
  env: Record<string, string | undefined>,
  profile: string,
): Promise<void> {
  const dir = configDir(env);
  await checkPathTo(dir, "the config directory");
  await checkPrivate(dir, "directory", "the config directory");
  await checkPrivate(join(dir, "profiles"), "directory", "the profiles directory");
  await checkPrivate(join(dir, "tokens"), "directory", "the tokens directory");
  await checkPrivate(profileFile(env, profile), "file", "the profile file");
  await checkPrivate(tokenFile(env, profile), "file", "the token file");
}

/**
 * Creates `dir` (and parents) as 0700, or checks an existing one before anything is kept in it or read from
 * it: it must belong to this user, and others must not be able to write it — else what is there may not be
 * what `monzo` wrote, so it is refused with the fix rather than quietly made private (as the config directory
 * is, F10). An existing directory of the user's that others may only read is tightened to 0700 (nothing can
 * have been put in it); one that cannot be (`chmod` fails) is an error too, never silently used.
 *
 * @throws {ConfigError} naming the directory, what is wrong and the fix
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  const uid = posixUid();
  if (uid === undefined) return;
  const info = await stat(dir);
  const mode = Number(info.mode);
  if (created === undefined) {
    if (Number(info.uid) !== uid)
      throw new ConfigError(
        `Cannot make ${dir} private to you: it belongs to another user (uid ${info.uid}), who could change what monzo keeps there`,
        `Use a directory of your own (set MONZOKIT_HOME), or if it should be yours: chown -R ${uid} ${dir} && chmod 700 ${dir}`,
      );
    if (mode & 0o022)
      throw new ConfigError(
        `${dir} is not private: other users can write it (mode ${octal(mode)}), so what monzo finds there may not be what it wrote`,
        `chmod 700 ${dir}, then check what is in it (another user could have put files there).`,
      );
  }
  if ((mode & 0o777) === 0o700) return;
  try {
    await chmod(dir, 0o700);
  } catch (error) {
    throw new ConfigError(
      `Cannot make ${dir} private to you (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): it belongs to uid ${info.uid}, mode ${octal(mode)}`,
      `Use a directory of your own (set MONZOKIT_HOME), or: chmod 700 ${dir}`,
    );
  }
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
