import { finished } from "node:stream/promises";
import { type MonzoClient, type Transaction, toDecimalString } from "@monzokit/core";
import { UsageError } from "./errors.js";
import type { Io } from "./io.js";
import { csvRow } from "./output/format.js";
import { CSV_COLUMNS, transactionCsvRow } from "./output/transactions.js";
import { startProgress } from "./progress.js";
import { openAtomic } from "./store/atomic.js";

export type ExportFormat = "csv" | "json" | "ndjson";

export function formatFromPath(path: string, explicit: string | undefined): ExportFormat {
  const format =
    explicit ??
    (path.endsWith(".csv")
      ? "csv"
      : path.endsWith(".ndjson") || path.endsWith(".jsonl")
        ? "ndjson"
        : path.endsWith(".json")
          ? "json"
          : undefined);
  if (format !== "csv" && format !== "json" && format !== "ndjson") {
    throw new UsageError(
      `Cannot tell the export format of ${path}`,
      "End the file name in .csv, .json or .ndjson, or pass --format csv|json|ndjson.",
    );
  }
  return format;
}

export interface ExportOptions {
  accountId: string;
  path: string;
  format: ExportFormat;
  since?: Date | string | undefined;
  before?: Date | undefined;
  concurrency?: number;
  progress: boolean;
  /** Export these instead of reading them from Monzo (`--from-mirror`). */
  transactions?: Iterable<Transaction> | AsyncIterable<Transaction> | undefined;
}

/**
 * Streams the history to a file as it arrives — never holding it all in memory — into a temporary file
 * renamed into place at the end, so an interrupted export leaves no half-written file. Progress and an
 * ETA go to stderr.
 */
export async function exportHistory(
  io: Io,
  client: MonzoClient | undefined,
  options: ExportOptions,
): Promise<{ count: number; lastId: string | undefined }> {
  // The one atomic-write path: an exclusive, random, 0600 temporary beside the file (never a predictable
  // name another local user could pre-create or point elsewhere), renamed into place when complete.
  const file = await openAtomic(options.path, { privateDir: false });
  // flush: the data is on disk before the stream closes the handle and the file is renamed into place.
  const out = file.handle.createWriteStream({ flush: true });
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r()));
  const decimal = (amount: number, currency: string) => {
    try {
      return toDecimalString(amount, currency);
    } catch {
      return String(amount);
    }
  };
  let count = 0;
  let lastId: string | undefined;
  const started = io.now();
  let lastDraw = 0;
  const progress = await startProgress(io, "Exporting transactions…", { quiet: !options.progress });
  try {
    if (options.format === "csv") await write(csvRow([...CSV_COLUMNS]));
    if (options.format === "json") await write("[\n");
    const history = client?.transactions.history({
      accountId: options.accountId,
      expandMerchant: true,
      ...(options.since ? { since: options.since } : {}),
      ...(options.before ? { before: options.before } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      onProgress: ({ transactions, fraction }) => {
        const now = io.now();
        if (now - lastDraw < 200 && fraction < 1) return;
        lastDraw = now;
        const elapsed = (now - started) / 1000;
        const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : 0;
        progress.update(
          `Exporting: ${Math.round(Math.min(1, fraction) * 100)}%, ${transactions} transactions, ETA ${Math.ceil(eta)} s`,
        );
      },
    });
    for await (const tx of (options.transactions ?? history) as AsyncIterable<Transaction>) {
      if (options.format === "csv") await write(transactionCsvRow(tx, decimal));
      else if (options.format === "ndjson") await write(`${JSON.stringify(tx)}\n`);
      else await write(`${count === 0 ? "" : ",\n"}  ${JSON.stringify(tx)}`);
      count++;
      lastId = tx.id;
    }
    if (options.format === "json") await write("\n]\n");
    out.end();
    await finished(out);
    await file.commit();
    progress.done();
    return { count, lastId };
  } catch (error) {
    out.destroy();
    await file.abort();
    progress.fail();
    if (lastId)
      io.err(`Exported nothing: stopped after ${count} transactions. Resume with --since ${lastId}.\n`);
    throw error;
  }
}
