import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import module from "node:module";
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";

/**
 * Where `monzo` keeps Node's compile cache: `$MONZOKIT_HOME/cache/node-compile` when that is set, else
 * `node-compile` in the OS cache directory (`~/.cache/monzokit/node-compile` on Linux, honouring
 * `XDG_CACHE_HOME`; `~/Library/Caches/monzokit/node-compile` on macOS; `%LOCALAPPDATA%\monzokit\Cache\
 * node-compile` on Windows): env-paths' `cache` directory, as the config and data directories are
 * env-paths' too. Written out rather than imported because this runs before the cache is on, where loading
 * env-paths costs about 3 ms of every run (ADR 0011); a test holds the two equal.
 */
export function compileCacheDir(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const own = env["MONZOKIT_HOME"];
  if (own) return join(own, "cache", "node-compile");
  const base =
    platform === "darwin"
      ? join(home, "Library", "Caches", "monzokit")
      : platform === "win32"
        ? join(env["LOCALAPPDATA"] || join(home, "AppData", "Local"), "monzokit", "Cache")
        : join(env["XDG_CACHE_HOME"] || join(home, ".cache"), "monzokit");
  return join(base, "node-compile");
}

/** What became of the compile cache in this run. */
export type CompileCacheOutcome =
  /** Enabled in `monzo`'s own private directory. */
  | "enabled"
  /** Node had already enabled it at start-up from `NODE_COMPILE_CACHE`; left as it is. */
  | "inherited"
  /** Running without one: the directory was not sound, Node refused, or `NODE_DISABLE_COMPILE_CACHE` is set. */
  | "skipped"
  /** This Node has no compile cache (before 22.1). */
  | "unsupported";

const uid =
  process.platform === "win32" || typeof process.getuid !== "function" ? undefined : process.getuid();

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/**
 * Why `info` (of `path`) is not a directory that only this user controls, or undefined when it is. `open`
 * is the mode bits that must be clear; `rootOk` accepts root's directories (`/`, `/home`, a system cache).
 */
function problem(path: string, info: Stats | undefined, open: number, rootOk = false): string | undefined {
  if (!info) return `${path} is missing`;
  if (info.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!info.isDirectory()) return `${path} is not a directory`;
  if (uid === undefined) return undefined;
  if (info.uid !== uid && !(rootOk && info.uid === 0))
    return `${path} belongs to another user (uid ${info.uid})`;
  if (info.mode & open) return `${path} is open to other users (mode ${octal(info.mode)})`;
  return undefined;
}

function lstatOrNone(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

/** `/a/b/c` → `/a`, `/a/b`, `/a/b/c` (after the root itself). */
function prefixes(path: string): string[] {
  const out: string[] = [];
  for (let at = path.indexOf(sep, 1); at !== -1; at = path.indexOf(sep, at + 1)) out.push(path.slice(0, at));
  out.push(path);
  return out;
}

/** Where the check of a cache directory got to: the real path to hand Node, or what is wrong (and where). */
type CacheCheck = { real: string; wrong?: undefined } | { wrong: string; inLeaf: boolean };

/**
 * Checks `dir` as a cache of code this user runs, and resolves it: Node re-resolves the path it is given
 * for every module it reads, so whoever could change any component of it (a symbolic link of theirs, a
 * directory they may write, where they could rename ours away and put theirs in its place) could swap in a
 * cache of their own between reads. So the path is resolved once (`realpath`) and every component of the
 * real path, from `/` down, must be a directory of this user's or root's that no one else may write (or a
 * sticky one of theirs, like /tmp, where others cannot rename what is not theirs); the cache directory
 * itself this user's, closed to everyone else. A symbolic link on the way that another user owns is refused
 * too, though the real path no longer goes through it: it is theirs to repoint, and the config and data
 * directories are reached through it. About ten `lstat` calls; Node is then given the real path.
 */
function checkCacheDir(dir: string, leafOpen = 0o077): CacheCheck {
  const way = wayProblem(dir);
  if (way) return { wrong: way, inLeaf: false };
  const real = realpathSync.native(resolve(dir));
  if (uid === undefined) return { real };
  const wrong = problem(real, lstatOrNone(real), leafOpen);
  return wrong ? { wrong, inLeaf: true } : { real };
}

/**
 * What is wrong with the way to `dir` (`checkCacheDir`'s walk without the directory itself), or undefined.
 * Where `dir` is not there yet, the walk stops at the deepest part that is, so nothing is created under a
 * link or a directory another user controls.
 */
function wayProblem(dir: string): string | undefined {
  if (uid === undefined) return undefined;
  const given = resolve(dir);
  let there: string = sep;
  for (const path of prefixes(given)) {
    const info = lstatOrNone(path);
    if (!info) break;
    there = path;
    if (info.isSymbolicLink() && info.uid !== uid && info.uid !== 0)
      return `${path} is a symbolic link of another user's (uid ${info.uid})`;
  }
  const parts = prefixes(realpathSync.native(there));
  if (there === given) parts.pop();
  for (const path of [sep, ...parts]) {
    const info = lstatOrNone(path);
    // Sticky: others may add names but not rename or remove this user's (or root's) entries.
    const open = info && info.mode & 0o1000 ? 0 : 0o022;
    const wrong = problem(path, info, open, true);
    if (wrong) return wrong;
  }
  return undefined;
}

/**
 * The directory Node is caching in because `NODE_COMPILE_CACHE` was set when it started (Node enables the
 * cache itself, before `monzo`'s first line, and `module.enableCompileCache` cannot move it), judged as a
 * cache of code: undefined when nobody else can write it.
 */
function inheritedProblem(active: string): string | undefined {
  // Node caches in a subdirectory named after its version (the configured directory is above it): the
  // same walk as for monzo's own, every component of the real path, the leaf not writable by others.
  return checkCacheDir(active, 0o022).wrong;
}

/**
 * Turns on Node's compile cache (most of a short command's time is compiling modules) in `monzo`'s own
 * directory, `compileCacheDir`, never in Node's default, `os.tmpdir()/node-compile-cache`, which every local
 * user shares: whoever creates that first, or plants entries in it, has their compiled code run as the
 * person holding the bank tokens. The directory is created 0700, resolved to its real path and checked
 * component by component before each use (`checkCacheDir`), and Node is given the real path; one that is not
 * sound (another user's, open to others, reached through another user's directory or symbolic link) means a
 * run without a cache and a note, never a failed command. A `NODE_COMPILE_CACHE` from the environment was already honoured by Node
 * before this runs; it is kept (the person chose it), with a warning when others can write it.
 *
 * @param warn where the one-line note or warning goes (standard error)
 */
export function setUpCompileCache(
  env: Record<string, string | undefined>,
  warn: (text: string) => void,
): CompileCacheOutcome {
  if (typeof module.enableCompileCache !== "function") return "unsupported";
  if (env["NODE_DISABLE_COMPILE_CACHE"]) return "skipped";
  try {
    const active = module.getCompileCacheDir?.();
    if (active) {
      const wrong = inheritedProblem(active);
      if (wrong)
        warn(
          `warning: NODE_COMPILE_CACHE (${env["NODE_COMPILE_CACHE"] ?? active}) is not safe: ${wrong}. Node loads compiled code from it, so whoever can write there can run code as you. Fix: unset NODE_COMPILE_CACHE, or point it at a directory only you can write (chmod 700).\n`,
        );
      return "inherited";
    }
    const dir = compileCacheDir(env);
    // Made only where nobody else controls the way there (else it could be made wherever they point).
    const missing = !lstatOrNone(dir);
    const way = missing ? wayProblem(dir) : undefined;
    if (missing && !way) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const checked: CacheCheck = way ? { wrong: way, inLeaf: false } : checkCacheDir(dir);
    if (checked.wrong !== undefined) {
      const fix = checked.inLeaf
        ? `rm -rf ${dir} (monzo makes a private one again); if you did not make it, another user may have`
        : "keep MONZOKIT_HOME (or your cache directory) on a path whose every directory is yours or root's and not writable by others; if you did not make it so, another user may have";
      warn(`note: monzo runs without its compile cache (slower start-up): ${checked.wrong}. Fix: ${fix}.\n`);
      return "skipped";
    }
    return module.enableCompileCache(checked.real).status === module.constants.compileCacheStatus.ENABLED
      ? "enabled"
      : "skipped";
  } catch {
    // A cache is an optimisation: whatever went wrong (a read-only home, an odd file system), run without it.
    return "skipped";
  }
}
