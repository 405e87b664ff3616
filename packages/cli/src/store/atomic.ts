import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ensurePrivateDir } from "../config/trust.js";

/** Creates the directory (and parents) private to this user: 0700; one that cannot be made so is an error. */
export async function privateDir(dir: string): Promise<void> {
  await ensurePrivateDir(dir);
}

export interface AtomicFileOptions {
  /**
   * Create the directory 0700 (and tighten it to 0700) first: right for Monzokit's own config directory,
   * wrong for a directory the person chose for an export. Default true.
   */
  privateDir?: boolean;
  /** The random part of the temporary's name (tests plant files at the name it gives). */
  random?: () => string;
}

/** A file being written: whole at `path` after `commit`, gone without a trace after `abort`. */
export interface AtomicFile {
  /** The temporary file, beside `path`: `.NAME.<pid>.<random>.tmp`, created exclusively, 0600. */
  readonly tempPath: string;
  /**
   * Write the content here: `write`/`writeFile`, or `createWriteStream({ flush: true })`, which flushes
   * and closes the handle when it finishes (wait for its 'close' before `commit`).
   */
  readonly handle: FileHandle;
  /** Flushes the temporary to disk and renames it over `path` (the rename made durable too). */
  commit(): Promise<void>;
  /** Closes and deletes the temporary; `path` is left as it was. Never throws. */
  abort(): Promise<void>;
}

// O_NOFOLLOW where the OS has it (not Windows): with O_CREAT|O_EXCL a symlink is never followed anyway.
const EXCLUSIVE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * The one way the CLI writes a file (tokens, profiles, the keychain marker, exports, the money journal):
 * a temporary beside `path` with a random name (64 bits from the CSPRNG), created with O_CREAT|O_EXCL and
 * O_NOFOLLOW and mode 0600 from the first byte — another local user can neither predict it, pre-create it,
 * nor redirect it through a symlink — then flushed and renamed over `path`. A crash leaves the old file or
 * the new one, never a partial one; a temporary left by a killed process is swept later (`sweepStaleTemps`).
 * `write-file-atomic` was not used: its temporaries are predictable and opened without O_EXCL (ADR 0004).
 *
 * @example
 * ```ts
 * const file = await openAtomic("history.csv", { privateDir: false });
 * try { await file.handle.write("id,amount\r\n"); await file.commit(); } catch (e) { await file.abort(); throw e; }
 * ```
 */
export async function openAtomic(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
  const dir = dirname(path);
  if (options.privateDir ?? true) await privateDir(dir);
  const random = options.random?.() ?? randomBytes(8).toString("hex");
  const tempPath = join(dir, `.${basename(path)}.${process.pid}.${random}.tmp`);
  const handle = await open(tempPath, EXCLUSIVE, 0o600);
  // A stream created on the handle may have closed it already (its fd is then -1).
  const close = async () => {
    if (handle.fd !== -1) await handle.close();
  };
  return {
    tempPath,
    handle,
    async commit() {
      try {
        if (handle.fd !== -1) await handle.sync();
        await close();
        await rename(tempPath, path);
      } catch (error) {
        await close().catch(() => {});
        await rm(tempPath, { force: true }).catch(() => {});
        throw error;
      }
      // Make the rename itself durable.
      const dirHandle = await open(dir, "r").catch(() => undefined);
      await dirHandle?.sync().catch(() => {});
      await dirHandle?.close();
      await sweepStaleTemps(path);
    },
    async abort() {
      await close().catch(() => {});
      await rm(tempPath, { force: true }).catch(() => {});
    },
  };
}

/**
 * Writes `data` to `path` atomically with mode 0600 (see `openAtomic`): a new file created 0600 from the
 * first byte (never briefly readable by others), flushed to disk, then renamed over the old one.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  options: AtomicFileOptions = {},
): Promise<void> {
  const file = await openAtomic(path, options);
  try {
    await file.handle.writeFile(data, "utf8");
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

/** A temporary file older than this belongs to a write that will never finish, whoever's pid it names. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Deletes the temporary files that writes of `path` left behind when their process was killed between
 * creating and renaming them (they may hold tokens): those whose process is gone, or that are older than
 * ten minutes. Best effort: never throws.
 */
export async function sweepStaleTemps(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const temp = join(dir, name);
    const old = await stat(temp).then(
      (s) => Date.now() - s.mtimeMs > STALE_TEMP_MS,
      () => false,
    );
    if (old || !alive(pid)) {
      await rm(temp, { force: true }).catch(() => {});
      removed++;
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
