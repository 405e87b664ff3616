import { resolve } from "node:path";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { MirrorError } from "../mirror/errors.js";
import { defaultMirrorPath } from "../mirror/paths.js";
import {
  type AccountSyncReport,
  DEFAULT_TRAILING_DAYS,
  REACH_DAYS,
  type SyncReport,
  syncMirror,
} from "../mirror/sync.js";
import { money } from "../output/format.js";
import { printable } from "../output/printable.js";
import { table } from "../output/table.js";
import { type GlobalFlags, openSession, requireTokens } from "../session.js";
// The CLI's terminal-safe JSON line (C1 and bidi controls escaped); it lives with webhooks listen.
import { ndjsonLine } from "../webhooks/terminal.js";
import { type Cmd, flag, globalFlags, helpFor } from "./common.js";

/** What `monzo sync` is asked to do, whatever parses its arguments. */
export interface SyncCommandOptions {
  db: string | undefined;
  fullHistory: boolean;
  trailingDays: string | undefined;
  account: string | undefined;
  wait: string | undefined;
  concurrency?: string | undefined;
}

const LABELS: Record<string, string> = {
  uk_retail: "Current account",
  uk_retail_joint: "Joint account",
  uk_business: "Business account",
  uk_monzo_flex: "Flex",
  uk_monzo_flex_backing_loan: "Flex backing loan",
  uk_prepaid: "Prepaid",
  uk_loan: "Loan",
  uk_rewards: "Rewards",
  uk_retail_young: "Under-16s account",
};

/** Field names of `transaction_changes` in the words people use. */
const CHANGE_WORDS: Record<string, string> = {
  settled: "settled",
  amount: "amount",
  local_amount: "amount",
  decline_reason: "declined",
  notes: "notes",
  metadata: "metadata",
  category: "category",
  categories: "category",
  reappeared: "back",
};

/** A count as every column and summary writes it: `13,785`. */
function count(n: number): string {
  return n.toLocaleString("en-GB");
}

function changes(report: AccountSyncReport): string {
  if (report.changed === 0) return "0";
  const words = new Map<string, number>();
  for (const [field, n] of Object.entries(report.changedFields)) {
    const word = CHANGE_WORDS[field];
    if (word) words.set(word, Math.max(words.get(word) ?? 0, n));
  }
  const order = Object.values(CHANGE_WORDS);
  const detail = [...words]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([word, n]) => `${count(n)} ${word}`)
    .join(", ");
  return detail ? `${count(report.changed)} (${detail})` : count(report.changed);
}

function history(report: AccountSyncReport): string {
  if (report.transactionsRefused) return "not shared by Monzo";
  if (!report.history.since) return "";
  const since = report.history.since.slice(0, 10);
  return report.history.complete ? `complete since ${since}` : `since ${since}, older missing`;
}

function rows(reports: AccountSyncReport[]): string {
  return table(
    reports.map((r) =>
      // Every cell passes the terminal sanitiser: ids, types and currencies come from the bank too.
      Object.fromEntries(
        Object.entries({
          account: `${LABELS[r.type] ?? r.type}${r.closed ? " (closed)" : ""}`,
          id: r.id,
          new: count(r.added),
          changed: changes(r),
          transactions: r.transactionsRefused ? "-" : count(r.transactions),
          history: history(r),
          balance: r.balance ? money(r.balance.balance, r.balance.currency) : "",
        }).map(([k, v]) => [k, printable(v)]),
      ),
    ),
    ["account", "id", "new", "changed", "transactions", "history", "balance"],
    { right: ["new", "transactions", "balance"] },
  );
}

/** The report in the CLI's stable JSON shape (snake_case, like every `--json`). */
function reportJson(report: SyncReport) {
  return {
    db: report.db,
    sync_id: report.syncId,
    started_at: report.startedAt,
    finished_at: report.finishedAt,
    added: report.added,
    changed: report.changed,
    removed: report.removed,
    accounts: report.accounts.map((a) => ({
      id: a.id,
      type: a.type,
      closed: a.closed,
      joint: a.joint,
      added: a.added,
      changed: a.changed,
      removed: a.removed,
      changed_fields: a.changedFields,
      transactions: a.transactions,
      balance: a.balance,
      pots: a.pots,
      history: a.history,
      history_limited: a.historyLimited,
      full_history_refused: a.fullHistoryRefused,
      transactions_refused: a.transactionsRefused,
      notes: a.notes,
    })),
  };
}

function whole(value: string | undefined, name: string, max: number, example: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max)
    throw new UsageError(`--${name} must be a whole number from 0 to ${max}, not "${value}"`, example);
  return Number(value);
}

/** Progress on stderr while a long history comes in, only where a person watches (`Io.live`). */
function progress(t: Io, enabled: boolean) {
  let line: Promise<import("../io.js").LiveLine> | undefined;
  let last = 0;
  return {
    draw(accountId: string, transactions: number, fraction: number) {
      if (!enabled) return;
      const now = t.now();
      if (now - last < 200 && fraction < 1) return;
      last = now;
      const text = `Reading ${accountId}: ${count(transactions)} transactions (${Math.round(fraction * 100)}%)`;
      if (!line) {
        line = t.liveLine();
        void line.then((l) => l.start(text));
      } else void line.then((l) => l.update(text));
    },
    async clear() {
      const current = line;
      line = undefined;
      if (current) (await current).stop();
    },
  };
}

/** `monzo sync`: everything but argument parsing. */
export async function runSync(t: Io, flags: GlobalFlags, options: SyncCommandOptions): Promise<SyncReport> {
  const trailingDays = whole(options.trailingDays, "trailing-days", REACH_DAYS, "E.g. --trailing-days 30.");
  const waitSeconds = whole(options.wait, "wait", 3600, "E.g. --wait 120 to wait up to two minutes.");
  const concurrency = whole(
    options.concurrency,
    "concurrency",
    32,
    "E.g. --concurrency 8 on a slow network.",
  );
  if (concurrency === 0)
    throw new UsageError(
      "--concurrency must be at least 1",
      "The default, 2, keeps memory flat; 8 is faster on a slow network.",
    );
  // Long reads: Node's own fetch frees response memory as it goes (see low-memory.ts).
  const session = await openSession(t, flags, { fetch: globalThis.fetch });
  await requireTokens(session);
  const path = options.db ? resolve(t.cwd, options.db) : defaultMirrorPath(t.env, session.settings.profile);
  const human = !flags.json && !flags.quiet;
  const bar = progress(t, human && t.live);
  const done: AccountSyncReport[] = [];
  const started = t.now();
  let report: SyncReport;
  try {
    report = await syncMirror({
      client: session.client,
      db: path,
      createDirectory: options.db === undefined,
      fullHistory: options.fullHistory,
      ...(trailingDays === undefined ? {} : { trailingDays }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(options.account ? { accounts: options.account.split(",").map((s) => s.trim()) } : {}),
      waitMs: (waitSeconds ?? 0) * 1000,
      onProgress: (p) => bar.draw(p.accountId, p.transactions, p.fraction),
      onAccount: (a) => {
        void bar.clear();
        done.push(a);
      },
    });
  } catch (error) {
    await bar.clear();
    // What was committed stays committed: show it before the error.
    if (human && done.length > 0)
      t.out(`${rows(done)}Stopped after ${done.length} account(s); what they show is saved.\n`);
    throw error;
  }
  await bar.clear();
  if (flags.json) t.out(ndjsonLine(reportJson(report)));
  else if (human) {
    t.out(rows(report.accounts));
    const seconds = ((t.now() - started) / 1000).toFixed(1);
    t.out(
      `${count(report.added)} new, ${count(report.changed)} changed${report.removed ? `, ${count(report.removed)} removed` : ""} in ${seconds} s · ${path}\n`,
    );
    for (const a of report.accounts) for (const note of a.notes) t.err(`note: ${a.id}: ${printable(note)}\n`);
  }
  const incomplete = report.accounts.filter((a) => a.history.since && !a.history.complete);
  if (human && incomplete.length > 0 && !options.fullHistory)
    t.err(
      `${incomplete.length === 1 ? "One account has" : `${incomplete.length} accounts have`} only part of its history in the mirror${
        report.accounts.some((a) => a.historyLimited)
          ? ` (only the last ${REACH_DAYS} days could be read)`
          : ""
      }: Monzo shares older transactions only within 5 minutes of logging in.\n  → To add the rest: run monzo login, then monzo sync --full-history within 5 minutes.\n`,
    );
  if (report.accounts.some((a) => a.fullHistoryRefused))
    throw new MirrorError(
      "mirror.history_window_closed",
      "The full history could not be read: Monzo shares transactions older than 90 days only within 5 minutes of logging in",
      {
        hint: "Everything newer was synced. Run monzo login, then monzo sync --full-history within 5 minutes (monzo login offers it).",
      },
    );
  return report;
}

/** `monzo sync`. */
export default function sync(cmd: Cmd): void {
  helpFor(cmd, [
    {
      run: "monzo sync",
      says: "Mirror every account into the profile's mirror (first time: all it can read)",
    },
    {
      run: "monzo login && monzo sync --full-history",
      says: "Within 5 minutes of a login: the whole history",
    },
    { run: "monzo sync --quiet --wait 300", says: "From cron: silent unless something fails" },
    { run: 'monzo sql "SELECT * FROM spending_by_category_month LIMIT 12"', says: "Then query it" },
  ]);
  cmd
    .description(
      `Keep a local SQLite mirror of every account up to date: incremental, safe to kill, for cron. Each sync reads again the last ${DEFAULT_TRAILING_DAYS} days, where transactions still change`,
    )
    .option("--db <file>", "Mirror file (default: <data dir>/<profile>/mirror.db)")
    .option("--full-history", "Also read the history the mirror lacks (within 5 minutes of monzo login)")
    .option(
      "--trailing-days <n>",
      `Days read again each sync, as transactions change after they appear (default ${DEFAULT_TRAILING_DAYS})`,
    )
    .option("--account <ids>", "Only these accounts (ids, comma-separated)")
    .option("--wait <seconds>", "Wait this long for another sync of the mirror to finish (default 0)")
    .option(
      "--concurrency <n>",
      "Pages read at once on long reads (default 2; 8 is faster on a slow network)",
    )
    .action(async (opts, command) => {
      await runSync(io(), globalFlags(command.optsWithGlobals()), {
        db: flag(opts.db),
        fullHistory: opts.fullHistory === true,
        trailingDays: flag(opts.trailingDays),
        account: flag(opts.account),
        wait: flag(opts.wait),
        concurrency: flag(opts.concurrency),
      });
    });
}
