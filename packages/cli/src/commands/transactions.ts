import type { Transaction } from "@monzokit/core";
import { toDecimalString } from "@monzokit/core";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { exportHistory, formatFromPath } from "../export.js";
import { emit } from "../output/emit.js";
import { csvRow, money, table } from "../output/format.js";
import { CSV_COLUMNS, merchantName, transactionCsvRow } from "../output/transactions.js";
import { openSession, pickAccount, requireTokens } from "../session.js";
import { type Cmd, flag, globalFlags, helpFor, options, ready } from "./common.js";

function when(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.startsWith("tx_")) {
    if (name === "before")
      throw new UsageError("--before takes a time, not a transaction id", "E.g. --before 2026-01-31.");
    return value;
  }
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (Number.isNaN(Date.parse(iso)))
    throw new UsageError(
      `--${name} "${value}" is not a date`,
      "Use YYYY-MM-DD or an RFC 3339 time like 2026-01-31T12:00:00Z.",
    );
  return new Date(iso).toISOString();
}

const txJson = (tx: Transaction) => ({
  id: tx.id,
  created: tx.created,
  settled: tx.settled ?? "",
  amount: tx.amount,
  currency: tx.currency,
  description: tx.description,
  merchant: merchantName(tx) || null,
  category: tx.category ?? null,
  notes: tx.notes ?? "",
  declined: tx.decline_reason !== undefined,
  decline_reason: tx.decline_reason ?? null,
  metadata: tx.metadata,
});

function list(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo transactions list --limit 10", says: "The newest 10" },
    {
      run: "monzo transactions list --since 2026-01-01 --before 2026-02-01 --all --csv",
      says: "All of January, as CSV",
    },
  ]);
  cmd
    .description("List transactions (newest page, or a range with --since/--before; --all pages)")
    .addOption(options.account())
    .addOption(options.since())
    .addOption(options.before())
    .option("--csv", "CSV output")
    .option("--limit <n>", "How many (default 30; with --all, page size)")
    .option("--all", "Every transaction in the range (pages through)")
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
      const since = when(flag(opts.since), "since");
      const before = when(flag(opts.before), "before");
      const { session } = await ready(values);
      const account = await pickAccount(session, flag(opts.account));
      const pages = session.client.transactions.list({
        accountId: account.id,
        limit: limitText ? Number(limitText) : opts.all ? 100 : 30,
        expandMerchant: true,
        ...(since ? { since } : {}),
        ...(before ? { before } : {}),
      });
      const items: Transaction[] = [];
      if (opts.all) for await (const tx of pages) items.push(tx);
      else items.push(...(await pages).items);
      items.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
      if (flags.csv) {
        t.out(csvRow([...CSV_COLUMNS]));
        for (const tx of items) t.out(transactionCsvRow(tx, (a, c) => toDecimalString(a, c)));
        return;
      }
      emit(t, flags.json === true, items.map(txJson), () =>
        table(
          items.map((tx) => ({
            date: tx.created.slice(0, 16).replace("T", " "),
            amount: money(tx.amount, tx.currency),
            description: (merchantName(tx) || tx.description).slice(0, 40),
            category: tx.category ?? "",
            status: tx.decline_reason
              ? `declined (${tx.decline_reason})`
              : tx.settled === ""
                ? "pending"
                : "",
            id: tx.id,
          })),
          ["date", "amount", "description", "category", "status", "id"],
          { right: ["amount"] },
        ),
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
      emit(t, flags.json === true, txJson(tx), () =>
        [
          `${tx.id}`,
          `  ${tx.created}  ${money(tx.amount, tx.currency)}  ${merchantName(tx) || tx.description}`,
          `  category ${tx.category ?? "-"}${tx.settled === "" ? ", pending" : ""}${tx.decline_reason ? `, declined (${tx.decline_reason})` : ""}`,
          ...(tx.notes ? [`  notes ${tx.notes}`] : []),
          "",
        ].join("\n"),
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
      emit(
        t,
        flags.json === true,
        txJson(tx),
        () => `Annotated ${tx.id}${tx.notes ? ` (notes: ${tx.notes})` : ""}.\n`,
      );
    });
}

function exportCommand(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo transactions export history.csv", says: "The last 89 days" },
    {
      run: "monzo transactions export --all history.ndjson",
      says: "Everything, within 5 minutes of approving a login in the app",
    },
    {
      run: "monzo transactions export --from-mirror --all history.csv",
      says: "Everything monzo sync kept, offline",
    },
  ]);
  cmd
    .description("Export transactions to a file (csv, json, ndjson), streaming with progress")
    .argument("<file>", "Output file (.csv, .json or .ndjson)")
    .addOption(options.account())
    .addOption(options.since())
    .addOption(options.before())
    .option("--format <format>", "csv, json or ndjson (default: from the file name)")
    .option(
      "--all",
      "From the account's opening (needs a fresh login: full history is readable for 5 minutes after approval)",
    )
    .option(
      "--concurrency <n>",
      "Time windows fetched at once (default 2: flat memory; 8 is faster on a slow network)",
    )
    .option("--from-mirror", "Read from the local mirror (monzo sync): any date it holds, no login needed")
    .option("--db <file>", "With --from-mirror: the mirror file (default: the profile's)")
    .action(async (path, opts, command) => {
      const t = io();
      const flags = globalFlags(command.optsWithGlobals());
      const format = formatFromPath(path, flag(opts.format));
      const sinceFlag = when(flag(opts.since), "since");
      const before = when(flag(opts.before), "before");
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
        });
        emit(
          t,
          flags.json === true,
          {
            file: path,
            format,
            transactions: result.count,
            last_id: result.lastId ?? null,
            from_mirror: true,
          },
          () => `Exported ${result.count} transactions from the mirror to ${path}.\n`,
        );
        return;
      }
      // Long streaming job: Node's own fetch frees response memory as it goes; see low-memory.ts.
      const session = await openSession(t, flags, { fetch: globalThis.fetch });
      await requireTokens(session);
      const account = await pickAccount(session, flag(opts.account));
      // Without --since and --all, the last 89 days: what Monzo allows once the 5-minute window has closed.
      const since = sinceFlag ?? (opts.all ? undefined : new Date(t.now() - 89 * 86_400_000).toISOString());
      const result = await exportHistory(t, session.client, {
        accountId: account.id,
        path,
        format,
        since,
        before: before ? new Date(before) : undefined,
        concurrency: concurrency ? Number(concurrency) : 2,
        progress: !flags.quiet && !flags.json,
      });
      emit(
        t,
        flags.json === true,
        { file: path, format, transactions: result.count, last_id: result.lastId ?? null },
        () => `Exported ${result.count} transactions to ${path}.\n`,
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
