import { resolve } from "node:path";
import {
  type Account,
  type Balance,
  type CallOptions,
  HistoryWindowError,
  InvalidArgumentError,
  type MonzoClient,
  NotFoundError,
  PermissionDeniedError,
  type Pot,
  redact,
  type Transaction,
} from "@monzokit/core";
import { missingRanges } from "./coverage.js";
import { openMirrorForWrite } from "./database.js";
import { prepareMirrorFile } from "./files.js";
import { acquireSyncLock } from "./lock.js";
import { type BatchResult, MirrorStore } from "./store.js";

const DAY = 86_400_000;
/**
 * How far back Monzo lets an app read once the 5-minute window after a login has closed: 90 days, less one
 * for the difference between this machine's clock and Monzo's (REFERENCE §2.12: 89 days works, 90 fails).
 */
export const REACH_DAYS = 89;
/** Monzo transactions keep changing for days after they appear (settlement, amounts, declines, notes). */
export const DEFAULT_TRAILING_DAYS = 14;
/** Account types that hold pots (REFERENCE §6.2: `GET /pots` takes a current account). */
const POT_ACCOUNT_TYPES = new Set(["uk_retail", "uk_retail_joint", "uk_business", "uk_retail_young"]);

/** Options of {@link syncMirror}. */
export interface SyncMirrorOptions {
  /** A client for the login whose accounts to mirror (e.g. `await clientFromProfile()`). */
  client: MonzoClient;
  /** The mirror's file; created (0600) when missing. Its directory must exist (see `createDirectory`). */
  db: string;
  /** Create the mirror's directory (0700, with its parents) when missing. Default false. */
  createDirectory?: boolean;
  /**
   * Days before the end of the previous read that every sync reads again, because Monzo transactions change
   * after they appear: pending → settled, amounts on settlement, declines, notes, categories. 0–89, default 14.
   */
  trailingDays?: number;
  /**
   * Also read the history the mirror is missing (an account first mirrored when only 89 days could be read,
   * or a read cut short). Needs the 5-minute window after a login. An account's first sync always tries.
   */
  fullHistory?: boolean;
  /** Only these accounts (ids); default every account of the login, closed and joint ones included. */
  accounts?: readonly string[];
  /** Time windows of the history walk fetched at once on long reads. Default 2 (flat memory, as exports). */
  concurrency?: number;
  /** Transactions per SQLite transaction while reading a long history. Default 1,000. */
  chunkSize?: number;
  /** How long to wait for another sync of the same mirror to finish, in ms. Default 0: fail at once. */
  waitMs?: number;
  /** The clock (epoch ms). Default `Date.now`; give Monzo's (or an emulator's) when they differ. */
  now?: () => number;
  signal?: AbortSignal;
  /** Progress while an account's history is read. */
  onProgress?: (progress: SyncProgress) => void;
  /** Each account's result as soon as it is committed. */
  onAccount?: (report: AccountSyncReport) => void;
}

/** Progress of the read of one account's history. */
export interface SyncProgress {
  accountId: string;
  /** Transactions read so far in this read. */
  transactions: number;
  /** Share of the time range read, 0–1. */
  fraction: number;
}

/** What a sync did to one account, and what the mirror now holds of it. */
export interface AccountSyncReport {
  id: string;
  type: string;
  closed: boolean;
  joint: boolean;
  added: number;
  changed: number;
  removed: number;
  /** Changed transactions per field that changed (`settled`, `amount`, `decline_reason`, `notes`, …). */
  changedFields: Record<string, number>;
  /** Transactions of this account in the mirror (removed ones not counted). */
  transactions: number;
  /** The balance read in this sync, or null when Monzo gave none. */
  balance: (Pick<Balance, "balance" | "currency"> & { total_balance: number | null }) | null;
  /** Pots of this account read in this sync (null: not a pot-holding account, or refused). */
  pots: number | null;
  history: {
    /** Every transaction since the account opened is in the mirror. */
    complete: boolean;
    /** The earliest time from which the mirror holds this account's transactions (null: none read yet). */
    since: string | null;
    /** Stretches of history the mirror lacks (each needs a fresh login to read). */
    missing: { from: string; to: string }[];
  };
  /** This sync could read only the last 89 days: the full-history window was closed. */
  historyLimited: boolean;
  /** `fullHistory` was asked for, but the full-history window was closed. */
  fullHistoryRefused: boolean;
  /** Why Monzo does not share this account's transactions (e.g. a Flex backing loan), if it does not. */
  transactionsRefused: string | null;
  /** Reads Monzo refused for this account (balance, pots), in words. */
  notes: string[];
}

/** What {@link syncMirror} did. */
export interface SyncReport {
  db: string;
  syncId: number;
  startedAt: string;
  finishedAt: string;
  added: number;
  changed: number;
  removed: number;
  accounts: AccountSyncReport[];
}

/**
 * Mirrors every account of a login into one SQLite database (`node:sqlite`; schema in docs/mirror.md):
 * accounts, a balance and pot snapshot per sync, every transaction with its merchant, when each was first
 * seen and last changed. The first sync of an account reads its whole history when Monzo allows it (within
 * 5 minutes of a login) and the last 89 days otherwise; later syncs read only what is new since the previous
 * one plus `trailingDays` again, so a sync with nothing new costs `1 + ⌈n / 100⌉` transaction requests per
 * account (n: the transactions in that trailing window), a balance and a pots read, whatever the mirror's
 * size. Each batch is one SQLite transaction in WAL mode: a sync killed at any moment leaves a valid mirror
 * that the next sync completes. Two syncs of one mirror never run at once ({@link MirrorBusyError}).
 *
 * @example
 * ```ts
 * import { clientFromProfile, defaultMirrorPath, syncMirror } from "@monzokit/cli";
 * const report = await syncMirror({ client: await clientFromProfile(), db: "mirror.db" });
 * for (const a of report.accounts) console.log(a.id, a.added, a.changed);
 * ```
 */
export async function syncMirror(options: SyncMirrorOptions): Promise<SyncReport> {
  const trailingDays = options.trailingDays ?? DEFAULT_TRAILING_DAYS;
  if (!Number.isInteger(trailingDays) || trailingDays < 0 || trailingDays > REACH_DAYS)
    throw new InvalidArgumentError(
      `trailingDays must be a whole number of days from 0 to ${REACH_DAYS}, not ${trailingDays}`,
      `Monzo lets an app read back ${REACH_DAYS} days outside the full-history window.`,
    );
  const chunkSize = options.chunkSize ?? 1000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new InvalidArgumentError(
      `chunkSize must be a positive whole number, not ${chunkSize}`,
      "E.g. 1000.",
    );
  const path = resolve(options.db);
  await prepareMirrorFile(path, { createDir: options.createDirectory === true });
  const lock = await acquireSyncLock(`${path}.sync-lock`, {
    waitMs: options.waitMs ?? 0,
    signal: options.signal,
    displayPath: options.db,
  });
  try {
    const db = await openMirrorForWrite(path);
    try {
      return await new Sync(options, new MirrorStore(db), path, trailingDays * DAY, chunkSize).run();
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}

/** A read Monzo refused for this account only (a Flex backing loan's transactions, a closed account's balance). */
function refusedHere(error: unknown): boolean {
  return (
    (error instanceof PermissionDeniedError && !(error instanceof HistoryWindowError)) ||
    error instanceof NotFoundError
  );
}

class Sync {
  readonly #o: SyncMirrorOptions;
  readonly #store: MirrorStore;
  readonly #path: string;
  readonly #trailingMs: number;
  readonly #chunk: number;
  readonly #now: () => number;
  readonly #call: CallOptions;
  #syncId = 0;
  /** Whether Monzo lets this login read history older than 89 days, once known (one window per login). */
  #window: boolean | undefined;

  constructor(o: SyncMirrorOptions, store: MirrorStore, path: string, trailingMs: number, chunk: number) {
    this.#o = o;
    this.#store = store;
    this.#path = path;
    this.#trailingMs = trailingMs;
    this.#chunk = chunk;
    this.#now = o.now ?? Date.now;
    this.#call = o.signal ? { signal: o.signal } : {};
  }

  #at(): string {
    return new Date(this.#now()).toISOString();
  }

  #reach(): number {
    return this.#now() - REACH_DAYS * DAY;
  }

  async run(): Promise<SyncReport> {
    const startedAt = this.#at();
    this.#syncId = this.#store.startSync(startedAt);
    const totals = { added: 0, changed: 0, removed: 0 };
    const reports: AccountSyncReport[] = [];
    try {
      const accounts = await this.#o.client.accounts.list({}, this.#call);
      const at = this.#at();
      this.#store.transaction(() => {
        for (const account of accounts) this.#store.upsertAccount(account, at);
      });
      let chosen = accounts;
      if (this.#o.accounts) {
        const unknown = this.#o.accounts.filter((id) => !accounts.some((a) => a.id === id));
        if (unknown.length > 0)
          throw new InvalidArgumentError(
            `No account ${unknown.join(", ")} for this login`,
            `Choose from: ${accounts.map((a) => `${a.id} (${a.type ?? "unknown"})`).join(", ")}.`,
          );
        chosen = accounts.filter((a) => this.#o.accounts!.includes(a.id));
      }
      for (const account of chosen) {
        const report = await this.#account(account);
        totals.added += report.added;
        totals.changed += report.changed;
        totals.removed += report.removed;
        reports.push(report);
        this.#o.onAccount?.(report);
      }
      const finishedAt = this.#at();
      this.#store.endSync(this.#syncId, finishedAt, "ok", totals, null);
      return { db: this.#path, syncId: this.#syncId, startedAt, finishedAt, ...totals, accounts: reports };
    } catch (error) {
      this.#store.endSync(
        this.#syncId,
        this.#at(),
        "failed",
        totals,
        redact(String((error as Error).message)),
      );
      throw error;
    }
  }

  async #optional<T>(read: () => Promise<T>, what: string, notes: string[]): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (!refusedHere(error)) throw error;
      notes.push(`Monzo refused the ${what}: ${(error as Error).message}`);
      return undefined;
    }
  }

  async #account(account: Account): Promise<AccountSyncReport> {
    const id = account.id;
    const client = this.#o.client;
    const created = Date.parse(account.created);
    // A day's margin before the opening, as core's history walk takes (REFERENCE §4: `created` is the opening).
    const opening = (Number.isNaN(created) ? this.#now() - 366 * DAY : created) - DAY;
    const report: AccountSyncReport = {
      id,
      type: account.type ?? "unknown",
      closed: account.closed === true,
      joint: account.type === "uk_retail_joint" || (account.owners?.length ?? 0) > 1,
      added: 0,
      changed: 0,
      removed: 0,
      changedFields: {},
      transactions: 0,
      balance: null,
      pots: null,
      history: { complete: false, since: null, missing: [] },
      historyLimited: false,
      fullHistoryRefused: false,
      transactionsRefused: null,
      notes: [],
    };
    const balance = await this.#optional(
      () => client.balance.retrieve(id, this.#call),
      "balance",
      report.notes,
    );
    const pots = POT_ACCOUNT_TYPES.has(report.type)
      ? await this.#optional(() => client.pots.list(id, this.#call), "pots", report.notes)
      : undefined;
    if (balance)
      report.balance = {
        balance: balance.balance,
        currency: balance.currency,
        total_balance: balance.total_balance ?? null,
      };
    if (pots) report.pots = pots.length;

    // The balance, the pots and the account's "last synced" go into the account's last batch.
    let snapshotted = false;
    const snapshot = () => {
      snapshotted = true;
      const at = this.#at();
      if (balance) this.#store.snapshotBalance(this.#syncId, id, balance, at);
      if (pots) this.#store.snapshotPots(this.#syncId, id, pots as Pot[], at);
      this.#store.setRefused(id, report.transactionsRefused);
      this.#store.accountSynced(id, at);
    };
    const tally = (b: BatchResult) => {
      report.added += b.added;
      report.changed += b.changed;
      for (const [field, n] of Object.entries(b.fields))
        report.changedFields[field] = (report.changedFields[field] ?? 0) + n;
    };

    try {
      const lastRead = this.#store.coverage(id).at(-1)?.untilMs;
      if (lastRead === undefined) {
        // Monzo refused this account's transactions last time (a Flex backing loan): one small read tells
        // whether that still holds before its whole history is asked for.
        if (this.#store.refused(id) !== null)
          await this.#recent(id, this.#now() - this.#trailingMs, report, tally, undefined, false);
        // The first read of this account: from its opening when Monzo allows it, else the last 89 days.
        await this.#catchUp(id, opening, report, tally, snapshot);
      } else {
        if (this.#o.fullHistory) await this.#fillGaps(id, opening, lastRead, report, tally);
        const since = Math.max(opening, lastRead - this.#trailingMs);
        if (since >= this.#reach()) await this.#recent(id, since, report, tally, snapshot, true);
        else await this.#catchUp(id, since, report, tally, snapshot);
      }
    } catch (error) {
      if (!refusedHere(error)) throw error;
      report.transactionsRefused = (error as Error).message;
    }
    if (!snapshotted) this.#store.transaction(snapshot);

    const ranges = this.#store.coverage(id);
    const end = ranges.at(-1)?.untilMs;
    const missing = end === undefined ? [] : missingRanges(ranges, opening, end);
    report.history = {
      complete: end !== undefined && missing.length === 0,
      since:
        ranges[0] === undefined
          ? null
          : ranges[0].sinceMs <= opening
            ? account.created
            : new Date(ranges[0].sinceMs).toISOString(),
      missing: missing.map((r) => ({
        from: r.sinceMs <= opening ? account.created : new Date(r.sinceMs).toISOString(),
        to: new Date(r.untilMs).toISOString(),
      })),
    };
    report.transactions = this.#store.count(id);
    return report;
  }

  /**
   * Whether history from `fromMs` can be read now: always within the last 89 days; beyond, only inside the
   * full-history window, which one small request tells (and which is the same for every account of a login).
   */
  async #canRead(id: string, fromMs: number): Promise<boolean> {
    if (fromMs >= this.#reach()) return true;
    if (this.#window !== undefined) return this.#window;
    try {
      await this.#o.client.transactions.list(
        { accountId: id, since: new Date(fromMs), before: new Date(fromMs + DAY), limit: 1 },
        this.#call,
      );
      this.#window = true;
    } catch (error) {
      if (!(error instanceof HistoryWindowError)) throw error;
      this.#window = false;
    }
    return this.#window;
  }

  /** Reads from `sinceMs` to now with the history walk; outside the window, from 89 days back. */
  async #catchUp(
    id: string,
    sinceMs: number,
    report: AccountSyncReport,
    tally: (b: BatchResult) => void,
    snapshot: () => void,
  ): Promise<void> {
    let from = sinceMs;
    if (!(await this.#canRead(id, from))) {
      from = this.#reach();
      report.historyLimited = true;
      // What should have been read again but now lies beyond Monzo's 89 days (the mirror was not synced for
      // months) may have changed since, unseen: it counts as missing until a fresh login can read it.
      this.#store.transaction(() => this.#store.removeCoverage(id, sinceMs, from));
    }
    try {
      await this.#walk(id, from, undefined, tally, snapshot);
    } catch (error) {
      // The window closed while the walk ran: what was read is committed; go on from within reach.
      if (!(error instanceof HistoryWindowError) || from >= this.#reach()) throw error;
      this.#window = false;
      report.historyLimited = true;
      const read = this.#store.coverage(id).at(-1)?.untilMs ?? from;
      await this.#walk(id, Math.max(this.#reach(), read), undefined, tally, snapshot);
    }
  }

  /** Reads the stretches of history the mirror lacks, when the full-history window is open. */
  async #fillGaps(
    id: string,
    opening: number,
    lastRead: number,
    report: AccountSyncReport,
    tally: (b: BatchResult) => void,
  ): Promise<void> {
    const missing = missingRanges(this.#store.coverage(id), opening, lastRead);
    if (missing.length === 0) return;
    if (!(await this.#canRead(id, missing[0]!.sinceMs))) {
      report.fullHistoryRefused = true;
      return;
    }
    try {
      // Each gap is read from the trailing window before it: what was still pending when the mirror last read
      // that far may have settled or changed since, and only now can Monzo show it again.
      for (const gap of missing)
        await this.#walk(
          id,
          Math.max(opening, gap.sinceMs - this.#trailingMs),
          gap.untilMs,
          tally,
          undefined,
        );
    } catch (error) {
      if (!(error instanceof HistoryWindowError)) throw error;
      this.#window = false;
      report.fullHistoryRefused = true;
    }
  }

  /**
   * The history walk over `[fromMs, toMs)` (to now without `toMs`), committed every `chunkSize` transactions:
   * each chunk and the stretch it completes are one SQLite transaction, so a walk killed half-way keeps what
   * it read and the next sync goes on from there. `last` joins the final chunk.
   */
  async #walk(
    id: string,
    fromMs: number,
    toMs: number | undefined,
    tally: (b: BatchResult) => void,
    last: (() => void) | undefined,
  ): Promise<void> {
    const end = toMs ?? this.#now();
    const buffer: Transaction[] = [];
    const commit = (final: boolean) => {
      const txs = buffer.splice(0);
      const at = this.#at();
      this.#store.transaction(() => {
        tally(this.#store.upsertTransactions(id, txs, this.#syncId, at));
        if (final) {
          this.#store.addCoverage(id, fromMs, end);
          last?.();
        } else if (txs.length > 0) this.#store.addCoverage(id, fromMs, Date.parse(txs.at(-1)!.created));
      });
    };
    const onProgress = this.#o.onProgress;
    const history = this.#o.client.transactions.history(
      {
        accountId: id,
        since: new Date(fromMs),
        before: new Date(end),
        expandMerchant: true,
        concurrency: this.#o.concurrency ?? 2,
        ...(onProgress
          ? {
              onProgress: (p: { transactions: number; fraction: number }) =>
                onProgress({
                  accountId: id,
                  transactions: p.transactions,
                  fraction: Math.min(1, p.fraction),
                }),
            }
          : {}),
      },
      this.#call,
    );
    try {
      for await (const tx of history) {
        buffer.push(tx);
        if (buffer.length >= this.#chunk) commit(false);
      }
    } catch (error) {
      if (buffer.length > 0) commit(false);
      throw error;
    }
    commit(true);
  }

  /**
   * The incremental read: everything created since `sinceMs`, paged forward with `since=<last id>` (one
   * request per 100 transactions, plus one), written as one SQLite transaction with `last`. A transaction the
   * mirror has from that time on that Monzo no longer returns is marked removed.
   */
  async #recent(
    id: string,
    sinceMs: number,
    report: AccountSyncReport,
    tally: (b: BatchResult) => void,
    last: (() => void) | undefined,
    complete: boolean,
  ): Promise<void> {
    const started = this.#now();
    const txs: Transaction[] = [];
    const pages = this.#o.client.transactions.list(
      { accountId: id, since: new Date(sinceMs), limit: 100, expandMerchant: true },
      this.#call,
    );
    for await (const tx of pages) txs.push(tx);
    const at = this.#at();
    this.#store.transaction(() => {
      tally(this.#store.upsertTransactions(id, txs, this.#syncId, at));
      if (complete) {
        report.removed += this.#store.markRemoved(id, sinceMs, new Set(txs.map((t) => t.id)), at);
        this.#store.addCoverage(id, sinceMs, started);
      }
      last?.();
    });
  }
}
