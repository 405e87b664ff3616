import { join } from "node:path";
import type { MonzoClient, Transaction } from "@monzokit/core";
import { io } from "../context.js";
import { EXIT, UsageError } from "../errors.js";
import { checkTarget, exportHistory, formatFromPath, loadCheckpoint } from "../export.js";
import { done, emit } from "../output/emit.js";
import { csvRow, money } from "../output/format.js";
import { printable } from "../output/printable.js";
import { formatInstant, parseWhen, timeZoneFor } from "../output/time.js";
import {
  byCreated,
  CSV_COLUMNS,
  describe,
  type PotNames,
  potOf,
  transactionCsvRow,
  transactionJson,
  transactionTable,
} from "../output/transactions.js";
import { walkRange } from "../range.js";
import type { GlobalFlags } from "../session.js";
import { openSession, pickAccount, requireTokens } from "../session.js";
import { profileDataDir } from "../store/data-dir.js";
import { type Cmd, flag, globalFlags, helpFor, options, ready } from "./common.js";

/**
 * The `--since`/`--before` of a command, strictly parsed (see `parseWhen`): `--since` may also be a
 * transaction id to continue after; `--since` must come before `--before`.
 */
export function rangeOf(
  values: { since?: unknown; before?: unknown },
  flags: GlobalFlags,
  env: Record<string, string | undefined>,
): { since: string | undefined; before: string | undefined } {
  const zone = timeZoneFor(env, flags.utc === true);
  const sinceText = flag(values.since);
  const beforeText = flag(values.before);
  if (beforeText?.startsWith("tx_"))
    throw new UsageError("--before takes a time, not a transaction id", "E.g. --before 2026-01-31.");
  const since =
    sinceText === undefined
      ? undefined
      : sinceText.startsWith("tx_")
        ? sinceText
        : parseWhen(sinceText, "--since", zone);
  const before = beforeText === undefined ? undefined : parseWhen(beforeText, "--before", zone);
  if (since && before && !since.startsWith("tx_") && Date.parse(since) >= Date.parse(before))
    throw new UsageError(
      `--since ${sinceText} is not before --before ${beforeText}`,
      "--since is where the range starts and --before where it ends: swap them?",
    );
  return { since, before };
}

/** Names of the account's pots (deleted ones too), fetched only when some transaction is a pot transfer. */
export async function potNames(
  client: MonzoClient,
  accountId: string,
  items: readonly Transaction[],
): Promise<PotNames> {
  if (!items.some((tx) => potOf(tx))) return new Map();
  const pots = await client.pots.list(accountId).catch(() => []);
  return new Map(pots.map((p) => [p.id, p.name]));
}

/** "No transactions in that range" on stderr (stdout stays the empty result: `[]`, or a CSV header). */
function noneFound(t: ReturnType<typeof io>, flags: GlobalFlags): void {
  if (!flags.quiet) t.err("No transactions in that range.\n");
}

function list(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo transactions list --limit 10", says: "The newest 10" },
    {
      run: "monzo transactions list --since 2026-01-01 --before 2026-02-01 --all --csv",
      says: "All of January (midnight to midnight in your time zone), as CSV",
    },
  ]);
  cmd
    .description("List transactions (newest page, or a range with --since/--before; --all pages)")
    .addOption(options.account())
    .addOption(options.since())
    .addOption(options.before())
    .option("--csv", "CSV output")
    .option("--limit <n>", "How many (default 30; with --all, page size)")
    .option("--all", "Every transaction in the range (pages through; ranges over 365 days in windows)")
    .action(async (opts, command) => {
      const t = io();
      const values = command.optsWithGlobals();
      const flags = globalFlags(values);
      const limitText = flag(opts.limit);
      if (
        limitText !== undefined &&
        !(/^\d+$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 100)
      ) {
        throw new UsageError(
          `--limit must be 1–100, not "${limitText}"`,
          "Use --all to get more than one page.",
        );
      }
      const { since, before } = rangeOf(opts, flags, t.env);
      const { session } = await ready(values);
      const account = await pickAccount(session, flag(opts.account));
      const items: Transaction[] = [];
      for await (const tx of walkRange(session.client, {
        accountId: account.id,
        since,
        before,
        limit: limitText ? Number(limitText) : opts.all ? 100 : 30,
        all: opts.all === true,
        expandMerchant: true,
        now: t.now(),
      }))
        items.push(tx);
      items.sort(byCreated);
      if (items.length === 0) noneFound(t, flags);
      if (flags.csv) {
        // On a terminal, bank text's control characters are shown, never obeyed; to a file or a pipe, exact.
        t.out(csvRow([...CSV_COLUMNS]));
        for (const tx of items) {
          t.out(transactionCsvRow(tx, { terminal: t.stdoutTty }));
          await t.drain?.();
          if (t.stdoutClosed?.aborted) return;
        }
        return;
      }
      const pots = await potNames(session.client, account.id, items);
      emit(
        t,
        flags.json === true,
        items.map((tx) => transactionJson(tx, pots)),
        () =>
          transactionTable(items, {
            zone: timeZoneFor(t.env, flags.utc === true),
            width: t.columns,
            pots,
          }),
      );
    });
}

function get(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo transactions get tx_00009AbCdEf" },
    { run: "monzo transactions get tx_00009AbCdEf --json" },
  ]);
  cmd
    .description("One transaction, with its merchant")
    .argument("<id>", "Transaction id (tx_…)")
    .action(async (id, _opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const tx = await session.client.transactions.retrieve(id, { expandMerchant: true });
      const pots = tx.account_id ? await potNames(session.client, tx.account_id, [tx]) : new Map();
      const zone = timeZoneFor(t.env, flags.utc === true);
      emit(t, flags.json === true, transactionJson(tx, pots), () =>
        [
          `${tx.id}`,
          `  ${formatInstant(tx.created, zone)}  ${money(tx.amount, tx.currency)}  ${describe(tx, pots)}`,
          `  category ${tx.category ?? "-"}${tx.settled === "" ? ", pending" : ""}${tx.decline_reason ? `, declined (${tx.decline_reason})` : ""}`,
          ...(tx.notes ? [`  notes ${tx.notes}`] : []),
        ]
          .map((line) => printable(line))
          .join("\n")
          .concat("\n"),
      );
    });
}

function annotate(cmd: Cmd): void {
  helpFor(cmd, [
    {
      run: 'monzo transactions annotate tx_00009AbCdEf notes="Team lunch" project=alpha',
      says: "Set the notes you see in the app, and a key of your own",
    },
    { run: "monzo transactions annotate tx_00009AbCdEf project=", says: "Delete a key" },
  ]);
  cmd
    .description("Set or delete metadata on a transaction (notes= sets the notes you see in the app)")
    .argument("<id>", "Transaction id (tx_…)")
    .argument("<key=value...>", "Metadata to set; an empty value (key=) deletes the key")
    .action(async (id, pairs, _opts, command) => {
      const t = io();
      const values = command.optsWithGlobals();
      const flags = globalFlags(values);
      const metadata: Record<string, string | null> = {};
      for (const pair of pairs) {
        const eq = pair.indexOf("=");
        if (eq <= 0)
          throw new UsageError(
            `"${pair}" is not key=value`,
            'E.g. notes="Team lunch" or project= to delete.',
          );
        const value = pair.slice(eq + 1);
        metadata[pair.slice(0, eq)] = value === "" ? null : value;
      }
      const { session } = await ready(values);
      const tx = await session.client.transactions.annotate(id, metadata);
      const outcome = annotated(metadata, tx);
      // What Monzo's answer does not show was not done, whatever was asked: said even with --json/--quiet.
      for (const [key, value] of outcome.notKept)
        t.err(
          printable(
            `warning: Monzo did not keep ${`${shellWord(key)}=${shellWord(value)}`}: its answer does not have it (Monzo has kept only notes since 2021; other keys are dropped).`,
          ).concat("\n"),
        );
      for (const key of outcome.notRemoved)
        t.err(
          printable(`warning: Monzo did not remove ${shellWord(key)}: its answer still has it.`).concat("\n"),
        );
      done(t, flags, transactionJson(tx), () => {
        const parts = [
          outcome.set.length
            ? `set ${outcome.set.map(([k, v]) => `${shellWord(k)}=${shellWord(v)}`).join(", ")}`
            : "",
          outcome.removed.length ? `removed ${outcome.removed.map(shellWord).join(", ")}` : "",
        ].filter(Boolean);
        return printable(
          `Annotated ${tx.id}: ${parts.length ? parts.join("; ") : "Monzo kept none of it"}.`,
        ).concat("\n");
      });
    });
}

/**
 * What an annotation did, read from Monzo's answer rather than from what was asked: since 2021 Monzo keeps
 * only `notes` and drops other keys without an error (REFERENCE §7.5), so a key is "set" only when the
 * answer has it with that value, and "removed" only when the answer no longer has it.
 */
function annotated(asked: Record<string, string | null>, tx: Transaction) {
  const has = (key: string): string | undefined =>
    key === "notes" ? tx.notes || tx.metadata?.["notes"] || undefined : tx.metadata?.[key] || undefined;
  const result = {
    set: [] as [string, string][],
    removed: [] as string[],
    notKept: [] as [string, string][],
    notRemoved: [] as string[],
  };
  for (const [key, value] of Object.entries(asked)) {
    const now = has(key);
    if (value === null) (now === undefined ? result.removed : result.notRemoved).push(key);
    else (now === value ? result.set : result.notKept).push([key, value]);
  }
  return result;
}

/** A word for a shell: as it is when plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function exportCommand(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo transactions export history.csv", says: "The last 89 days" },
    {
      run: "monzo transactions export --all history.ndjson",
      says: "Everything, within 5 minutes of approving a login in the app",
    },
    { run: "monzo transactions export history.ndjson --resume", says: "Continue an interrupted export" },
    {
      run: "monzo transactions export - --since 2026-01-01 | wc -l",
      says: "To stdout (CSV unless --format)",
    },
    {
      run: "monzo transactions export --from-mirror --all history.csv",
      says: "Everything monzo sync kept, offline",
    },
  ]);
  cmd
    .description(
      "Export transactions to a file (csv, json, ndjson) or - for stdout, streaming with progress; never overwrites without --force",
    )
    .argument("<file>", "Output file (.csv, .json or .ndjson), or - for stdout")
    .addOption(options.account())
    .addOption(options.since())
    .addOption(options.before())
    .option("--format <format>", "csv, json or ndjson (default: from the file name; - is csv)")
    .option(
      "--all",
      "From the account's opening (needs a fresh login: full history is readable for 5 minutes after approval)",
    )
    .option("--force", "Replace the file if it exists (it is replaced only once the export is complete)")
    .option(
      "--resume",
      "Continue an export of this file that was interrupted, after the last transaction it wrote",
    )
    .option(
      "--concurrency <n>",
      "Pages fetched at once (default 2: flat memory; 8 is faster on a slow network)",
    )
    .option("--from-mirror", "Read from the local mirror (monzo sync): any date it holds, no login needed")
    .option("--db <file>", "With --from-mirror: the mirror file (default: the profile's)")
    .action(async (path, opts, command) => {
      const t = io();
      const flags = globalFlags(command.optsWithGlobals());
      const format = formatFromPath(path, flag(opts.format));
      const { since: sinceFlag, before } = rangeOf(opts, flags, t.env);
      const concurrency = flag(opts.concurrency);
      if (
        concurrency !== undefined &&
        !(/^\d+$/.test(concurrency) && Number(concurrency) >= 1 && Number(concurrency) <= 32)
      ) {
        throw new UsageError(
          `--concurrency must be 1–32, not "${concurrency}"`,
          "The default, 2, is usually right; 8 is faster on a slow network.",
        );
      }
      if (flag(opts.db) && !opts.fromMirror)
        throw new UsageError(
          "--db names a mirror, and goes with --from-mirror",
          "E.g. monzo transactions export --from-mirror --db mirror.db --all out.csv",
        );
      if (opts.resume && (sinceFlag || before || opts.all || opts.fromMirror || path === "-"))
        throw new UsageError(
          "--resume continues an interrupted export of a file from where it stopped",
          path === "-"
            ? "Output on stdout cannot be resumed: use --since with the last id it printed."
            : `Give only the file (and --force, --format, --account): monzo transactions export ${shellWord(path)} --resume`,
        );
      const force = opts.force === true;
      // Before anything is asked of Monzo: the directory must be there, and an existing file is kept.
      const existed = await checkTarget(path, { force, resume: opts.resume === true });
      if (opts.fromMirror) {
        const { exportFromMirror } = await import("../mirror/export.js");
        const result = await exportFromMirror(t, flags, {
          db: flag(opts.db),
          account: flag(opts.account),
          path,
          format,
          // Without --since and --all, the same last 89 days as from Monzo; --all is all the mirror holds.
          since: sinceFlag ?? (opts.all ? undefined : new Date(t.now() - 89 * 86_400_000).toISOString()),
          before,
          progress: false,
          force,
          existed,
        });
        done(
          t,
          flags,
          {
            file: path,
            format,
            transactions: result.count,
            last_id: result.lastId ?? null,
            from_mirror: true,
          },
          () => `Exported ${result.count} transactions from the mirror to ${printable(path)}.\n`,
        );
        return;
      }
      // Long streaming job: Node's own fetch frees response memory as it goes; see low-memory.ts.
      const session = await openSession(t, flags, { fetch: globalThis.fetch });
      await requireTokens(session);
      const profile = session.settings.profile;
      const checkpointDir = join(profileDataDir(t.env, profile), "exports");
      const resume = opts.resume ? await loadCheckpoint(checkpointDir, path) : undefined;
      if (opts.resume && !resume)
        throw new UsageError(
          `There is no interrupted export of ${printable(path)} to resume`,
          `Export it again: monzo transactions export ${shellWord(path)} (with --all, --since as before).`,
        );
      if (resume && resume.format !== format)
        throw new UsageError(
          `The interrupted export of ${printable(path)} is ${resume.format}, not ${format}`,
          `Resume it as ${resume.format}: --format ${resume.format}, or drop --format.`,
        );
      if (resume && flag(opts.account) && flag(opts.account) !== resume.account_id)
        throw new UsageError(
          `The interrupted export of ${printable(path)} is of account ${resume.account_id}`,
          "Drop --account to resume it, or export the other account to another file.",
        );
      const account = await pickAccount(session, resume?.account_id ?? flag(opts.account));
      // Without --since and --all, the last 89 days: what Monzo allows once the 5-minute window has closed.
      const since = sinceFlag ?? (opts.all ? undefined : new Date(t.now() - 89 * 86_400_000).toISOString());
      const end = resume?.before ?? before;
      const zone = timeZoneFor(t.env, flags.utc === true);
      const resumeCommand = [
        "monzo transactions export",
        shellWord(path),
        "--resume",
        ...(flag(opts.format) ? [`--format ${format}`] : []),
        ...(existed ? ["--force"] : []),
        ...(profile !== "default" ? [`--profile ${profile}`] : []),
      ].join(" ");
      const stop = new AbortController();
      // The first Ctrl+C stops the export cleanly (temporary removed, what was read kept). One press can come
      // twice (the terminal signals this process and the `monzo` that started it, which passes it on): a second
      // one kills only when pressed later.
      let first = 0;
      const onSignal = () => {
        if (first === 0) {
          first = Date.now();
          stop.abort(new Error("interrupted"));
        } else if (Date.now() - first > 1000) process.exit(EXIT.interrupted);
      };
      process.on("SIGINT", onSignal);
      let result: Awaited<ReturnType<typeof exportHistory>>;
      try {
        result = await exportHistory(t, session.client, {
          accountId: account.id,
          path,
          format,
          since,
          before: end ? new Date(end) : undefined,
          concurrency: concurrency ? Number(concurrency) : 2,
          progress: !flags.quiet && !flags.json,
          force,
          existed,
          checkpointDir,
          resume,
          resumeCommand,
          signal: stop.signal,
          when: (iso) => formatInstant(iso, zone),
        });
      } finally {
        process.off("SIGINT", onSignal);
      }
      if (path === "-") return;
      done(
        t,
        flags,
        {
          file: path,
          format,
          transactions: result.count,
          last_id: result.lastId ?? null,
          resumed: result.resumed,
        },
        () =>
          `${result.resumed ? "Finished the interrupted export: " : "Exported "}${result.count} transactions to ${printable(path)}.\n`,
      );
    });
}

/** `monzo transactions`: list, get, annotate, export. */
export default function transactions(cmd: Cmd): void {
  cmd.description("Transactions: list, get, annotate, export");
  helpFor(cmd, [
    { run: "monzo transactions list --limit 10" },
    { run: "monzo transactions export history.csv" },
  ]);
  list(cmd.command("list"));
  get(cmd.command("get"));
  annotate(cmd.command("annotate"));
  exportCommand(cmd.command("export"));
}
