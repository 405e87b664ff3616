import { chmod, lstat, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { MirrorError } from "./errors.js";

/** The files SQLite keeps beside a database in WAL mode, and the sync lock. */
export function companionFiles(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`, `${path}-journal`, `${path}.sync-lock`];
}

const uid = typeof process.getuid === "function" ? process.getuid() : undefined;

/**
 * Makes the mirror's directory and file safe to write, or refuses: the directory is created 0700 when missing
 * (with its parents, for the default location); an existing directory must be this user's and not writable by
 * others, since anyone who can write there could swap the database or its journal; the database and the files
 * beside it must be regular files of this user's (never symbolic links), and the database is made 0600.
 */
export async function prepareMirrorFile(path: string, options: { createDir: boolean }): Promise<void> {
  const dir = dirname(path);
  if (options.createDir) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const dirStat = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT")
      throw new MirrorError("mirror.no_directory", `The directory ${dir} does not exist`, {
        hint: "Create it first, or leave out --db to use the default location.",
      });
    throw error;
  });
  if (!dirStat.isDirectory())
    throw new MirrorError("mirror.unsafe_path", `${dir} is not a directory`, {
      hint: "Give --db a path in a directory of yours.",
    });
  if (uid !== undefined) {
    if (dirStat.uid !== uid && dirStat.uid !== 0)
      throw new MirrorError("mirror.unsafe_path", `The directory ${dir} belongs to another user`, {
        hint: "Keep the mirror in a directory of yours (leave out --db for the default, private one).",
      });
    if (dirStat.mode & 0o022 && !(dirStat.mode & 0o1000))
      throw new MirrorError(
        "mirror.unsafe_path",
        `The directory ${dir} can be written by other users, who could replace the mirror or its journal`,
        { hint: `Run chmod go-w ${dir}, or keep the mirror elsewhere (leave out --db for the default).` },
      );
    if (options.createDir) await chmod(dir, 0o700).catch(() => {});
  }
  for (const file of [path, ...companionFiles(path)]) {
    const s = await lstat(file).catch(() => undefined);
    if (!s) continue;
    if (!s.isFile())
      throw new MirrorError(
        "mirror.unsafe_path",
        `${file} is ${s.isSymbolicLink() ? "a symbolic link" : "not a regular file"}`,
        { hint: "The mirror and the files SQLite keeps beside it must be plain files; move it away." },
      );
    if (uid !== undefined && s.uid !== uid)
      throw new MirrorError("mirror.unsafe_path", `${file} belongs to another user`, {
        hint: "Keep the mirror in a directory of yours (leave out --db for the default, private one).",
      });
    if (s.mode & 0o077) await chmod(file, 0o600);
  }
  // Created 0600 from the first byte: SQLite gives its -wal and -shm files the database's mode.
  for (const file of [path, `${path}.sync-lock`]) {
    const created = await open(file, "wx", 0o600).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST") return undefined;
      throw error;
    });
    await created?.close();
  }
}
