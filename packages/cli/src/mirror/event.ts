import { lstat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Transaction } from "@monzokit/core";
import { openMirrorForWrite } from "./database.js";
import { MirrorError } from "./errors.js";
import { prepareMirrorFile } from "./files.js";
import { acquireSyncLock } from "./lock.js";
import { MirrorStore } from "./store.js";

/** Options of {@link addTransactionToMirror}. */
export interface AddTransactionOptions {
  /** An existing mirror (made by `monzo sync` or `syncMirror`); never created here. */
  db: string;
  /**
   * The transaction as Monzo has it: a `transactions.retrieve` (with `expandMerchant`) of the id a webhook
   * names. Not the webhook's `event.data` itself: deliveries are not signed (REFERENCE §11.4), so whoever
   * learns the URL can post any body, and the mirror is what `monzo sql` and exports take as true.
   */
  transaction: Transaction;
  /** The clock for `first_seen` and `last_changed` (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * What {@link addTransactionToMirror} did: `added`; `present` (the mirror had it already and was left as it
 * was); `unknown-account` (it names no account, or one not in the mirror yet, so nothing was written: the next sync
 * that mirrors the account reads it).
 */
export type AddTransactionResult = "added" | "present" | "unknown-account";

/**
 * Adds one new transaction to a mirror — what a `transaction.created` webhook brings — the way a sync adds
 * it: its columns, its merchant, `first_seen` and `last_changed` now. A transaction the mirror already has is
 * left alone, because an event is the transaction as it was created, while the mirror's copy may be newer (a
 * sync read it after it settled): only a sync, which reads what Monzo says now, changes a row. Coverage is
 * not touched, so a sync still reads every stretch it would have read.
 *
 * Takes the mirror's sync lock without waiting, for the few milliseconds of the write: while a sync runs
 * it throws {@link MirrorBusyError} at once (try again when it ends; the sync's trailing re-read would
 * fetch the transaction anyway). A `monzo sync` started during that write says another is running.
 *
 * @throws {MirrorBusyError} when a sync holds the mirror
 * @throws {MirrorError} when there is no mirror at `db`, or it is not one this Monzokit can write
 * @example
 * ```ts
 * import { createWebhookHandler } from "@monzokit/core";
 * import { addTransactionToMirror, defaultMirrorPath } from "@monzokit/cli";
 * const db = defaultMirrorPath(process.env, "default");
 * const handler = createWebhookHandler({
 *   secret,
 *   onEvent: async (event) => {
 *     if (event.kind !== "transaction.created") return;
 *     // Deliveries are not signed: store what Monzo says about the id, never the body (a 404 throws here).
 *     const transaction = await client.transactions.retrieve(event.data.id, { expandMerchant: true });
 *     await addTransactionToMirror({ db, transaction });
 *   },
 * });
 * ```
 */
export async function addTransactionToMirror(options: AddTransactionOptions): Promise<AddTransactionResult> {
  const path = resolve(options.db);
  const file = await lstat(path).catch(() => undefined);
  // Checked first: the file checks below would create an empty database at a path with nothing there.
  if (!file?.isFile() || file.size === 0)
    throw new MirrorError("mirror.missing", `There is no mirror at ${options.db}`, {
      hint: "Run monzo sync first (with the same --profile or --db).",
    });
  await prepareMirrorFile(path, { createDir: false });
  const lock = await acquireSyncLock(`${path}.sync-lock`, { waitMs: 0, displayPath: options.db });
  try {
    const db = await openMirrorForWrite(path);
    try {
      const store = new MirrorStore(db);
      const tx = options.transaction;
      const accountId = tx.account_id;
      const known = db.prepare("SELECT 1 FROM transactions WHERE id = ?");
      const account = db.prepare("SELECT 1 FROM accounts WHERE id = ?");
      const at = new Date((options.now ?? Date.now)()).toISOString();
      return store.transaction((): AddTransactionResult => {
        if (known.get(tx.id)) return "present";
        if (accountId === undefined || !account.get(accountId)) return "unknown-account";
        // Checked absent in this same SQLite transaction, so this is an insert: the sync id is used only
        // for the record of a change, which an insert never makes.
        store.upsertTransactions(accountId, [tx], 0, at);
        return "added";
      });
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
