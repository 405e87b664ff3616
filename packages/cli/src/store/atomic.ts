import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ensurePrivateDir } from "../config/trust.js";

/** Creates the directory (and parents) private to this user: 0700; one that cannot be made so is an error. */
export async function privateDir(dir: string): Promise<void> {
  await ensurePrivateDir(dir);
}

/**
 * Writes `data` to `path` atomically with mode 0600: a new file created 0600 from the first byte
 * (never briefly readable by others), flushed to disk, then renamed over the old one. A crash leaves
 * either the old file or the new one, never a partial one.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  await privateDir(dir);
  // Unique enough to avoid collisions; the exclusive create (`wx`) makes a collision an error, never a clobber.
  const temp = join(
    dir,
    `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // Make the rename itself durable.
  const dirHandle = await open(dir, "r").catch(() => undefined);
  await dirHandle?.sync().catch(() => {});
  await dirHandle?.close();
  await sweepStaleTemps(path);
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
