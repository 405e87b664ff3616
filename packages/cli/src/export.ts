import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, constants, type FileHandle, lstat, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { finished, pipeline } from "node:stream/promises";
import type { MonzoClient, Transaction } from "@monzokit/core";
import { ConfigError, InterruptedError, StdoutClosedError, UsageError } from "./errors.js";
import type { Io } from "./io.js";
import { csvRow } from "./output/format.js";
import { jsonText, printable } from "./output/printable.js";
import { CSV_COLUMNS, exportRecord, transactionCsvRow } from "./output/transactions.js";
import { startProgress } from "./progress.js";
import { openAtomic, writeFileAtomic } from "./store/atomic.js";
import { ensureDataDir, openDataFile, readDataFile } from "./store/data-dir.js";

export type ExportFormat = "csv" | "json" | "ndjson";

/** The format of an export: `--format`, else the file's extension; `-` (stdout) is CSV unless told. */
export function formatFromPath(path: string, explicit: string | undefined): ExportFormat {
  const byName =
    path === "-"
      ? "csv"
      : path.endsWith(".csv")
        ? "csv"
        : path.endsWith(".ndjson") || path.endsWith(".jsonl")
          ? "ndjson"
          : path.endsWith(".json")
            ? "json"
            : undefined;
  if (explicit !== undefined && explicit !== "csv" && explicit !== "json" && explicit !== "ndjson") {
    throw new UsageError(
      `--format "${printable(explicit)}" is not an export format`,
      `Use --format csv, json or ndjson${byName ? ` (or leave it out: ${printable(path === "-" ? "stdout" : path)} says ${byName})` : ""}.`,
    );
  }
  const format = explicit ?? byName;
  if (format === undefined) {
    throw new UsageError(
      `Cannot tell the export format of ${printable(path)}`,
      "End the file name in .csv, .json or .ndjson, or pass --format csv|json|ndjson.",
    );
  }
  return format;
}

/**
 * Checks where an export is going before anything is asked of Monzo: its directory must exist and be
 * writable, and a file already there is never replaced unless `force` says so.
 *
 * @returns whether a file is there now (it stays untouched whatever happens to the export, until the end)
 */
export async function checkTarget(
  path: string,
  options: { force: boolean; resume: boolean },
): Promise<boolean> {
  if (path === "-") return false;
  const dir = dirname(resolve(path));
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code === "ENOENT" || info.code === "ENOTDIR")
      throw new UsageError(
        `The directory ${printable(dirname(path))} does not exist (for ${printable(path)})`,
        `Create it first (mkdir -p ${printable(dirname(path))}) or export somewhere else.`,
      );
    throw new UsageError(
      `Cannot reach the directory ${printable(dirname(path))}: ${info.code}`,
      "Export somewhere else.",
    );
  }
  if (!info.isDirectory())
    throw new UsageError(
      `${printable(dirname(path))} is not a directory (for ${printable(path)})`,
      "Export somewhere else.",
    );
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `Cannot write in ${printable(dirname(path))}: permission denied`,
      "Export somewhere you may write.",
    );
  }
  const there = await lstat(path).catch(() => undefined);
  if (there?.isDirectory())
    throw new UsageError(
      `${printable(path)} is a directory`,
      "Give the export a file name, e.g. history.csv.",
    );
  if (there && !options.force)
    throw new UsageError(
      `${printable(path)} already exists (${there.size.toLocaleString("en-GB")} bytes, ${there.mtime.toISOString().slice(0, 16).replace("T", " ")} UTC): not overwritten`,
      options.resume
        ? "Add --force to replace it with the resumed export, or move it away."
        : "Pass --force to replace it, or give another file name.",
    );
  return there !== undefined;
}

/** What an interrupted export leaves for `--resume` in the profile's data directory. */
export interface Checkpoint {
  version: 1;
  /** The export's file, absolute. */
  path: string;
  format: ExportFormat;
  account_id: string;
  /** The export's end, when it had one; otherwise it runs to "now" when resumed. */
  before: string | null;
  /** The last transaction written: the history walk resumes after it. */
  cursor: string;
  last_created: string;
  count: number;
  saved_at: string;
}

function checkpointFiles(dir: string, path: string): { meta: string; part: string } {
  const key = createHash("sha256").update(resolve(path)).digest("hex").slice(0, 24);
  return { meta: join(dir, `${key}.json`), part: join(dir, `${key}.part`) };
}

/** The interrupted export of `path` kept in `dir`, if there is one. */
export async function loadCheckpoint(dir: string, path: string): Promise<Checkpoint | undefined> {
  const files = checkpointFiles(dir, path);
  // What is resumed lands in the person's file: another user's checkpoint or rows are refused (N7).
  const there = await lstat(dir).then(
    () => true,
    () => false,
  );
  if (!there) return undefined;
  await ensureDataDir(dir);
  const text = await readDataFile(files.meta, "the saved export");
  if (text === undefined) return undefined;
  // Checked here for the message; read later, from a handle checked again (resumeRows).
  const rows = await openDataFile(files.part, "the saved export's rows");
  await rows?.close();
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(text) as Checkpoint;
  } catch {
    throw new ConfigError(
      `The saved export ${files.meta} is damaged`,
      `Delete ${files.meta} and ${files.part}, and export again.`,
    );
  }
  if (checkpoint.version !== 1 || checkpoint.path !== resolve(path)) return undefined;
  return rows ? checkpoint : undefined;
}

/** The saved rows of the interrupted export of `path`, opened and checked (`openDataFile`), to be streamed. */
async function resumeRows(dir: string, path: string): Promise<FileHandle> {
  const part = checkpointFiles(dir, path).part;
  const handle = await openDataFile(part, "the saved export's rows");
  if (!handle)
    throw new ConfigError(
      `The saved export's rows ${part} are gone`,
      `Export again without --resume (monzo transactions export ${path}).`,
    );
  return handle;
}

async function dropCheckpoint(dir: string, path: string): Promise<void> {
  const files = checkpointFiles(dir, path);
  await rm(files.meta, { force: true });
  await rm(files.part, { force: true });
}

export interface ExportOptions {
  accountId: string;
  /** The file, or `-` for stdout. */
  path: string;
  format: ExportFormat;
  since?: Date | string | undefined;
  before?: Date | undefined;
  concurrency?: number;
  progress: boolean;
  /** Export these instead of reading them from Monzo (`--from-mirror`). */
  transactions?: Iterable<Transaction> | AsyncIterable<Transaction> | undefined;
  /** Replace a file already at `path` (`--force`); otherwise one there, even one that appeared meanwhile, is kept. */
  force?: boolean;
  /** A file was there when the export started (`checkTarget`): said so if the export stops. */
  existed?: boolean;
  /** Where an interrupted export keeps what it read for `--resume` (the profile's data directory); none without. */
  checkpointDir?: string | undefined;
  /** Continue this interrupted export (`--resume`). */
  resume?: Checkpoint | undefined;
  /** The command that resumes this export, for messages. */
  resumeCommand?: string;
  /** Aborted by Ctrl+C. */
  signal?: AbortSignal;
  /** A transaction's time for people. */
  when?: (iso: string) => string;
}

/** Where the rows go: a file through the one atomic-write path, or stdout. */
interface Sink {
  write(text: string): Promise<void>;
  /** Ends the writing (the temporary is whole up to the last row). */
  end(): Promise<void>;
  tempPath: string | undefined;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

async function fileSink(
  path: string,
  force: boolean,
): Promise<Sink & { appendFrom(file: FileHandle): Promise<void> }> {
  // An exclusive, random, 0600 temporary beside the file (never a name another local user could predict or
  // plant), renamed into place only when complete; the directory is left as the person made it.
  const file = await openAtomic(path, { privateDir: false });
  // flush: the data is on disk before the stream closes the handle and the file is put in place.
  const out = file.handle.createWriteStream({ flush: true });
  let ended = false;
  return {
    tempPath: file.tempPath,
    write: (text) =>
      out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())),
    async appendFrom(from) {
      await pipeline(from.createReadStream(), out, { end: false });
    },
    async end() {
      if (ended) return;
      ended = true;
      out.end();
      await finished(out).catch(() => {});
    },
    commit: () => file.commit({ replace: force }),
    abort: () => file.abort(),
  };
}

function stdoutSink(io: Io, signal: AbortSignal | undefined): Sink {
  return {
    tempPath: undefined,
    write: async (text) => {
      io.out(text);
      await io.drain?.(signal);
    },
    end: async () => {},
    commit: async () => {},
    abort: async () => {},
  };
}

/**
 * Streams the history to a file as it arrives — never holding it all in memory — into an exclusive
 * temporary renamed into place at the end: a file already there is never replaced unless `force`, and an
 * interrupted (`signal`) or failed export removes its temporary and leaves that file as it was. What was
 * read before it stopped is kept in `checkpointDir` (0600, the profile's data directory) so `--resume`
 * continues after the last transaction written (the history walk resumes from a transaction id). Progress
 * and an ETA go to stderr.
 */
export async function exportHistory(
  io: Io,
  client: MonzoClient | undefined,
  options: ExportOptions,
): Promise<{ count: number; lastId: string | undefined; resumed: boolean }> {
  const toStdout = options.path === "-";
  // To stdout, the reader going away (`| head`) stops the export as Ctrl+C does: no more pages are asked for.
  const readerGone = toStdout ? io.stdoutClosed : undefined;
  const signal =
    readerGone && options.signal
      ? AbortSignal.any([options.signal, readerGone])
      : (readerGone ?? options.signal);
  const resume = options.resume;
  const file = toStdout ? undefined : await fileSink(options.path, options.force === true);
  const sink: Sink = file ?? stdoutSink(io, options.signal);
  // `-` on a terminal: bank text's control characters shown, never obeyed (JSON escapes them already).
  const csv = { terminal: toStdout && io.stdoutTty };
  const when = options.when ?? ((iso: string) => iso);
  let count = resume?.count ?? 0;
  let lastId: string | undefined = resume?.cursor;
  let lastCreated: string | undefined = resume?.last_created;
  const started = io.now();
  let lastDraw = 0;
  const progress = await startProgress(io, resume ? "Resuming the export…" : "Exporting transactions…", {
    quiet: !options.progress,
  });
  try {
    if (resume && file && options.checkpointDir)
      await file.appendFrom(await resumeRows(options.checkpointDir, options.path));
    else if (options.format === "csv") await sink.write(csvRow([...CSV_COLUMNS]));
    else if (options.format === "json") await sink.write("[\n");
    const since = resume ? resume.cursor : options.since;
    const history = client?.transactions.history(
      {
        accountId: options.accountId,
        expandMerchant: true,
        ...(since ? { since } : {}),
        ...(options.before ? { before: options.before } : {}),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        onProgress: ({ transactions, fraction }) => {
          const now = io.now();
          if (now - lastDraw < 200 && fraction < 1) return;
          lastDraw = now;
          const elapsed = (now - started) / 1000;
          const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : 0;
          progress.update(
            `Exporting: ${Math.round(Math.min(1, fraction) * 100)}%, ${transactions + (resume?.count ?? 0)} transactions, ETA ${Math.ceil(eta)} s`,
          );
        },
      },
      signal ? { signal } : {},
    );
    for await (const tx of (options.transactions ?? history) as AsyncIterable<Transaction>) {
      if (signal?.aborted) break;
      if (options.format === "csv") await sink.write(transactionCsvRow(tx, csv));
      else if (options.format === "ndjson") await sink.write(`${jsonText(exportRecord(tx))}\n`);
      else await sink.write(`${count === 0 ? "" : ",\n"}  ${jsonText(exportRecord(tx))}`);
      count++;
      lastId = tx.id;
      lastCreated = tx.created;
    }
    if (signal?.aborted) throw signal.reason ?? new Error("interrupted");
    if (options.format === "json") await sink.write("\n]\n");
    await sink.end();
    await sink.commit();
    if (options.checkpointDir && !toStdout) await dropCheckpoint(options.checkpointDir, options.path);
    progress.done();
    return { count, lastId, resumed: resume !== undefined };
  } catch (error) {
    progress.fail();
    await sink.end();
    // Nobody reads any more: nothing to say (there is nobody to resume for), and nothing was kept.
    if (readerGone?.aborted) throw new StdoutClosedError();
    const interrupted = options.signal?.aborted === true;
    const appeared = (error as NodeJS.ErrnoException).code === "EEXIST";
    let kept = false;
    if (file && options.checkpointDir && lastId && lastCreated && count > 0)
      kept = await keep(options, file.tempPath, { cursor: lastId, last_created: lastCreated, count }).catch(
        (failure: unknown) => {
          io.err(
            `Could not keep what was read for --resume: ${printable(String((failure as Error).message))}\n`,
          );
          return false;
        },
      );
    await sink.abort();
    const read =
      count === 0
        ? "before any transaction was read"
        : `after ${count.toLocaleString("en-GB")} transaction${count === 1 ? "" : "s"} (up to ${when(lastCreated!)})`;
    const untouched = toStdout
      ? ""
      : `: ${printable(options.path)} was not written${options.existed ? " (the file there is unchanged)" : ""}`;
    const next = kept
      ? `Continue where it stopped: ${options.resumeCommand ?? `monzo transactions export ${options.path} --resume`}${appeared ? " --force" : ""}`
      : toStdout && lastId
        ? `Continue after the last one written: monzo transactions export - --since ${lastId} (into another file: CSV repeats its header, JSON starts a new array)`
        : "Run the same command again.";
    if (appeared)
      throw new UsageError(
        `${printable(options.path)} appeared while the export ran: not overwritten`,
        kept
          ? `${next} to replace it, or move it away first.`
          : "Move it away, or export again with --force.",
      );
    if (interrupted) throw new InterruptedError(`Interrupted ${read}${untouched}`, next);
    io.err(`The export stopped ${read}${untouched}.${kept || (toStdout && lastId) ? ` ${next}.` : ""}\n`);
    throw error;
  }
}

/** Saves the temporary's rows (whole up to `cursor`) and where they end, for `--resume`. */
async function keep(
  options: ExportOptions,
  tempPath: string | undefined,
  at: Pick<Checkpoint, "cursor" | "last_created" | "count">,
): Promise<boolean> {
  if (!tempPath || !options.checkpointDir) return false;
  const files = checkpointFiles(options.checkpointDir, options.path);
  await ensureDataDir(options.checkpointDir);
  const part = await openAtomic(files.part);
  try {
    await pipeline(createReadStream(tempPath), part.handle.createWriteStream({ flush: true }));
    await part.commit();
  } catch (error) {
    await part.abort();
    throw error;
  }
  const checkpoint: Checkpoint = {
    version: 1,
    path: resolve(options.path),
    format: options.format,
    account_id: options.accountId,
    before: options.before ? options.before.toISOString() : (options.resume?.before ?? null),
    ...at,
    saved_at: new Date().toISOString(),
  };
  await writeFileAtomic(files.meta, `${JSON.stringify(checkpoint, null, 2)}\n`);
  return true;
}
