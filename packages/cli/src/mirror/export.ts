import { resolve } from "node:path";
import { resolveSettings } from "../config/settings.js";
import { UsageError } from "../errors.js";
import { type ExportFormat, exportHistory } from "../export.js";
import type { Io } from "../io.js";
import type { GlobalFlags } from "../session.js";
import { openMirrorReadOnly } from "./database.js";
import { defaultMirrorPath } from "./paths.js";
import { mirrorTransactions } from "./read.js";

type Row = Record<string, unknown>;

/** `monzo transactions export --from-mirror`: the same file as from Monzo, read from the local mirror. */
export interface MirrorExportOptions {
  db: string | undefined;
  account: string | undefined;
  path: string;
  format: ExportFormat;
  /** RFC 3339, or a transaction id to start after; undefined: from the first. */
  since: string | undefined;
  before: string | undefined;
  progress: boolean;
}

/**
 * Exports an account's transactions from the mirror, offline and with no login — any date the mirror holds,
 * so history older than Monzo's 90 days stays exportable. The account is `--account`, or the one open
 * current account in the mirror.
 */
export async function exportFromMirror(
  t: Io,
  flags: GlobalFlags,
  options: MirrorExportOptions,
): Promise<{ count: number; lastId: string | undefined; accountId: string }> {
  const dbPath = options.db
    ? resolve(t.cwd, options.db)
    : defaultMirrorPath(t.env, (await resolveSettings(t, flags)).profile);
  const { db } = await openMirrorReadOnly(dbPath);
  try {
    const accounts = db
      .prepare("SELECT id, type, closed FROM accounts ORDER BY first_seen, id")
      .all() as Row[];
    const list = () => accounts.map((a) => `${String(a["id"])} (${String(a["type"])})`).join(", ");
    let accountId = options.account;
    if (accountId) {
      if (!accounts.some((a) => a["id"] === accountId))
        throw new UsageError(`The mirror has no account ${accountId}`, `Choose one of: ${list()}.`);
    } else {
      const current = accounts.filter(
        (a) => a["closed"] === 0 && (a["type"] === "uk_retail" || a["type"] === "uk_business"),
      );
      if (current.length !== 1)
        throw new UsageError(
          current.length === 0
            ? "The mirror has no open current account to use by default"
            : "The mirror has more than one current account",
          `Pass --account with one of: ${list()}.`,
        );
      accountId = String(current[0]!["id"]);
    }
    const transactions = mirrorTransactions(db, { accountId, since: options.since, before: options.before });
    if (!transactions)
      throw new UsageError(
        `The mirror has no transaction ${options.since}`,
        "Give --since a transaction id from the mirror, or a date.",
      );
    const result = await exportHistory(t, undefined, {
      accountId,
      path: options.path,
      format: options.format,
      progress: false,
      transactions,
    });
    return { ...result, accountId };
  } finally {
    db.close();
  }
}
