import type { Transaction } from "@monzokit/core";
import { toDecimalString } from "@monzokit/core";
import { defineCommand } from "citty";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { exportHistory, formatFromPath } from "../export.js";
import { emit } from "../output/emit.js";
import { csvRow, money, table } from "../output/format.js";
import { CSV_COLUMNS, merchantName, transactionCsvRow } from "../output/transactions.js";
import { openSession, pickAccount, requireTokens } from "../session.js";
import { commonArgs, flag, globalFlags, ready } from "./common.js";

const rangeArgs = {
  account: { type: "string", description: "Account id (default: your one current account)" },
  since: {
    type: "string",
    description: "From this time (RFC 3339 or YYYY-MM-DD) or after this transaction id",
  },
  before: { type: "string", description: "Before this time (RFC 3339 or YYYY-MM-DD)" },
} as const;

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

const list = defineCommand({
  meta: {
    name: "list",
    description: "List transactions (newest page, or a range with --since/--before; --all pages)",
  },
  args: {
    ...commonArgs,
    ...rangeArgs,
    csv: { type: "boolean", description: "CSV output" },
    limit: { type: "string", description: "How many (default 30; with --all, page size)" },
    all: { type: "boolean", description: "Every transaction in the range (pages through)" },
  },
  async run({ args }) {
    const t = io();
    const flags = globalFlags(args);
    const limitText = flag(args, "limit");
    if (
      limitText !== undefined &&
      !(/^\d+$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 100)
    ) {
      throw new UsageError(
        `--limit must be 1–100, not "${limitText}"`,
        "Use --all to get more than one page.",
      );
    }
    const since = when(flag(args, "since"), "since");
    const before = when(flag(args, "before"), "before");
    const { session } = await ready(args);
    const account = await pickAccount(session, flag(args, "account"));
    const pages = session.client.transactions.list({
      accountId: account.id,
      limit: limitText ? Number(limitText) : args.all ? 100 : 30,
      expandMerchant: true,
      ...(since ? { since } : {}),
      ...(before ? { before } : {}),
    });
    const items: Transaction[] = [];
    if (args.all) for await (const tx of pages) items.push(tx);
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
          status: tx.decline_reason ? `declined (${tx.decline_reason})` : tx.settled === "" ? "pending" : "",
          id: tx.id,
        })),
        ["date", "amount", "description", "category", "status", "id"],
        { right: ["amount"] },
      ),
    );
  },
});

const get = defineCommand({
  meta: { name: "get", description: "One transaction, with its merchant" },
  args: { ...commonArgs, id: { type: "positional", description: "Transaction id (tx_…)", required: true } },
  async run({ args }) {
    const { t, flags, session } = await ready(args);
    const tx = await session.client.transactions.retrieve(String(args.id), { expandMerchant: true });
    emit(t, flags.json === true, txJson(tx), () =>
      [
        `${tx.id}`,
        `  ${tx.created}  ${money(tx.amount, tx.currency)}  ${merchantName(tx) || tx.description}`,
        `  category ${tx.category ?? "-"}${tx.settled === "" ? ", pending" : ""}${tx.decline_reason ? `, declined (${tx.decline_reason})` : ""}`,
        ...(tx.notes ? [`  notes ${tx.notes}`] : []),
        "",
      ].join("\n"),
    );
  },
});

const annotate = defineCommand({
  meta: {
    name: "annotate",
    description: 'Set metadata: monzo transactions annotate TX notes="Lunch" project=alpha old=',
  },
  args: { ...commonArgs, id: { type: "positional", description: "Transaction id (tx_…)", required: true } },
  async run({ args }) {
    const t = io();
    const flags = globalFlags(args);
    const pairs = args._.slice(1);
    if (pairs.length === 0)
      throw new UsageError(
        "Nothing to annotate",
        'Give key=value pairs, e.g. notes="Team lunch" (an empty value deletes the key).',
      );
    const metadata: Record<string, string | null> = {};
    for (const pair of pairs) {
      const eq = pair.indexOf("=");
      if (eq <= 0)
        throw new UsageError(`"${pair}" is not key=value`, 'E.g. notes="Team lunch" or project= to delete.');
      const value = pair.slice(eq + 1);
      metadata[pair.slice(0, eq)] = value === "" ? null : value;
    }
    const { session } = await ready(args);
    const tx = await session.client.transactions.annotate(String(args.id), metadata);
    emit(
      t,
      flags.json === true,
      txJson(tx),
      () => `Annotated ${tx.id}${tx.notes ? ` (notes: ${tx.notes})` : ""}.\n`,
    );
  },
});

const exportCommand = defineCommand({
  meta: {
    name: "export",
    description: "Export transactions to a file (csv, json, ndjson), streaming with progress",
  },
  args: {
    ...commonArgs,
    ...rangeArgs,
    file: { type: "positional", description: "Output file (.csv, .json or .ndjson)", required: true },
    format: { type: "string", description: "csv, json or ndjson (default: from the file name)" },
    all: {
      type: "boolean",
      description:
        "From the account's opening (needs a fresh login: full history is readable for 5 minutes after approval)",
    },
    concurrency: {
      type: "string",
      description: "Time windows fetched at once (default 2: flat memory; 8 is faster on a slow network)",
    },
    "from-mirror": {
      type: "boolean",
      description:
        "Read from the local mirror (monzo sync) instead of Monzo: any date it holds, no login needed",
    },
    db: { type: "string", description: "With --from-mirror: the mirror file (default: the profile's)" },
  },
  async run({ args }) {
    const t = io();
    const flags = globalFlags(args);
    const path = String(args.file);
    const format = formatFromPath(path, flag(args, "format"));
    const sinceFlag = when(flag(args, "since"), "since");
    const before = when(flag(args, "before"), "before");
    const concurrency = flag(args, "concurrency");
    if (
      concurrency !== undefined &&
      !(/^\d+$/.test(concurrency) && Number(concurrency) >= 1 && Number(concurrency) <= 32)
    ) {
      throw new UsageError(
        `--concurrency must be 1–32, not "${concurrency}"`,
        "The default, 8, is usually right.",
      );
    }
    if (flag(args, "db") && !args["from-mirror"])
      throw new UsageError(
        "--db names a mirror, and goes with --from-mirror",
        "E.g. monzo transactions export --from-mirror --db mirror.db --all out.csv",
      );
    if (args["from-mirror"]) {
      const { exportFromMirror } = await import("../mirror/export.js");
      const result = await exportFromMirror(t, flags, {
        db: flag(args, "db"),
        account: flag(args, "account"),
        path,
        format,
        // Without --since and --all, the same last 89 days as from Monzo; --all is everything the mirror holds.
        since: sinceFlag ?? (args.all ? undefined : new Date(t.now() - 89 * 86_400_000).toISOString()),
        before,
        progress: false,
      });
      emit(
        t,
        flags.json === true,
        { file: path, format, transactions: result.count, last_id: result.lastId ?? null, from_mirror: true },
        () => `Exported ${result.count} transactions from the mirror to ${path}.\n`,
      );
      return;
    }
    // Long streaming job: Node's own fetch frees response memory as it goes; see low-memory.ts.
    const session = await openSession(t, flags, { fetch: globalThis.fetch });
    await requireTokens(session);
    const account = await pickAccount(session, flag(args, "account"));
    // Without --since and --all, the last 89 days: what Monzo allows once the 5-minute window has closed.
    const since = sinceFlag ?? (args.all ? undefined : new Date(t.now() - 89 * 86_400_000).toISOString());
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
  },
});

export default defineCommand({
  meta: { name: "transactions", description: "Transactions: list, get, annotate, export" },
  subCommands: { list, get, annotate, export: exportCommand },
});
