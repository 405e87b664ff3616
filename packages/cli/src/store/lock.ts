import { open, readFile, rm, stat } from "node:fs/promises";
import { ConfigError } from "../errors.js";

export interface LockOptions {
  /** Give up waiting for another process after this long. */
  timeoutMs: number;
  /** A lock older than this is from a crashed process. */
  staleMs: number;
  /** Says what the other process is doing, for the message when waiting times out. */
  what: string;
}

/**
 * Runs `work` holding `lockPath`, created exclusively (0600) with this process's pid; a lock whose process
 * is gone, or that is older than `staleMs`, is broken. Another process waits for it.
 *
 * @example await withLock(`${journal}.lock`, () => move(), { timeoutMs: 120_000, staleMs: 600_000, what: "a pot move" });
 */
export async function withLock<T>(
  lockPath: string,
  work: () => Promise<T>,
  options: LockOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await isStale(lockPath, options.staleMs)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new ConfigError(
          `Another monzo process has held ${lockPath} for too long (${options.what})`,
          `If no other monzo command is running, delete ${lockPath}.`,
        );
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const { pid, at } = JSON.parse(await readFile(lockPath, "utf8")) as { pid?: number; at?: number };
    if (typeof at === "number" && Date.now() - at > staleMs) return true;
    if (typeof pid === "number" && pid !== process.pid) {
      try {
        process.kill(pid, 0);
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ESRCH";
      }
    }
    return false;
  } catch {
    // Half-written by a process that died between create and write: stale once it is a moment old.
    const info = await stat(lockPath).catch(() => undefined);
    return info ? Date.now() - info.mtimeMs > 1000 : true;
  }
}
