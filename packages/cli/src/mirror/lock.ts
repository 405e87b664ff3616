import { setTimeout as sleep } from "node:timers/promises";
import { SQLITE_BUSY, sqliteCode } from "./database.js";
import { MirrorBusyError } from "./errors.js";
import { loadSqlite } from "./sqlite.js";

/** A held sync lock; `release()` is idempotent. */
export interface SyncLock {
  release(): void;
}

/**
 * One sync at a time per mirror: an exclusive transaction held on a small SQLite file beside it
 * (`<mirror>.sync-lock`) for the whole sync. The lock is the operating system's file lock underneath, so it
 * vanishes with the process that held it — a SIGKILLed sync never leaves a stale lock, and there is no pid
 * file to second-guess. Waiting polls without blocking the event loop. See ADR 0007.
 *
 * @throws {MirrorBusyError} when another sync still holds it after `waitMs`
 */
export async function acquireSyncLock(
  lockPath: string,
  options: { waitMs: number; signal?: AbortSignal | undefined; displayPath: string },
): Promise<SyncLock> {
  const { DatabaseSync } = await loadSqlite();
  const started = Date.now();
  const db = new DatabaseSync(lockPath, { timeout: 0 });
  for (;;) {
    try {
      db.exec("BEGIN EXCLUSIVE");
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          try {
            db.exec("ROLLBACK");
          } finally {
            db.close();
          }
        },
      };
    } catch (error) {
      if (sqliteCode(error) !== SQLITE_BUSY) {
        db.close();
        throw error;
      }
      const waited = Date.now() - started;
      if (waited >= options.waitMs || options.signal?.aborted) {
        db.close();
        throw new MirrorBusyError(options.displayPath, options.waitMs > 0 ? waited : 0);
      }
      await sleep(Math.min(100, options.waitMs - waited));
    }
  }
}
