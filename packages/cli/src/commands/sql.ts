import { resolve } from "node:path";
import { resolveSettings } from "../config/settings.js";
import { io } from "../context.js";
import type { Io } from "../io.js";
import { openMirrorReadOnly } from "../mirror/database.js";
import { defaultMirrorPath } from "../mirror/paths.js";
import { prepareReadOnlyQuery } from "../mirror/query.js";
import { csvRow } from "../output/format.js";
import { printable } from "../output/printable.js";
import { table } from "../output/table.js";
import type { GlobalFlags } from "../session.js";
// The CLI's terminal-safe JSON line (C1 and bidi controls escaped); it lives with webhooks listen.
import { ndjsonLine } from "../webhooks/terminal.js";
import { type Cmd, flag, globalFlags, helpFor } from "./common.js";

/** Longest cell in the human table; `--json` and `--csv` give whole values. */
const CELL = 60;

/** What `monzo sql` is asked to do, whatever parses its arguments. */
export interface SqlCommandOptions {
  query: string;
  db: string | undefined;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Uint8Array) return `x'${Buffer.from(value).toString("hex")}'`;
  return String(value);
}

/** A value for `--json` and `--csv`: exact integers beyond 2^53 as strings, blobs as hex. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint")
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return value;
}

/** `monzo sql`: everything but argument parsing. */
export async function runSql(t: Io, flags: GlobalFlags, options: SqlCommandOptions): Promise<void> {
  const path = options.db
    ? resolve(t.cwd, options.db)
    : defaultMirrorPath(t.env, (await resolveSettings(t, flags)).profile);
  const { db } = await openMirrorReadOnly(path);
  try {
    const query = await prepareReadOnlyQuery(db, options.query);
    if (flags.csv) {
      t.out(csvRow(query.columns, { terminal: t.stdoutTty }));
      // On a terminal every control but line breaks and tabs (data in CSV, quoted) is shown, never obeyed;
      // to a file or a pipe the text is exact.
      for (const row of query.rows()) {
        // The reader went away (`| head`): the rest of the result is not read from the mirror.
        t.out(csvRow(row.map(plain), { terminal: t.stdoutTty }));
        await t.drain?.();
        if (t.stdoutClosed?.aborted) return;
      }
      return;
    }
    if (flags.json) {
      // One object per row, streamed: a large result never sits in memory as one string.
      let first = true;
      t.out("[");
      for (const row of query.rows()) {
        const object = Object.fromEntries(query.columns.map((c, i) => [c, plain(row[i])]));
        t.out(`${first ? "\n" : ",\n"}  ${ndjsonLine(object).trimEnd()}`);
        await t.drain?.();
        if (t.stdoutClosed?.aborted) return;
        first = false;
      }
      t.out(first ? "]\n" : "\n]\n");
      return;
    }
    const rows: Record<string, string>[] = [];
    const numeric = query.columns.map(() => true);
    let cut = false;
    for (const row of query.rows()) {
      rows.push(
        Object.fromEntries(
          query.columns.map((c, i) => {
            const v = row[i];
            if (v !== null && typeof v !== "number" && typeof v !== "bigint") numeric[i] = false;
            let text = printable(cell(v));
            if ([...text].length > CELL) {
              text = `${[...text].slice(0, CELL - 1).join("")}…`;
              cut = true;
            }
            return [c, text];
          }),
        ),
      );
    }
    const right = query.columns.filter((_, i) => numeric[i] && rows.length > 0);
    const header = query.columns.map((c) => printable(c));
    if (rows.length === 0) t.out(`${header.map((h) => h.toUpperCase()).join("  ")}\n`);
    else
      t.out(
        table(
          rows.map((r) => Object.fromEntries(query.columns.map((c, i) => [header[i]!, r[c]!]))),
          header,
          { right: right.map((c) => printable(c)) },
        ),
      );
    if (!flags.quiet) t.out(`(${rows.length} row${rows.length === 1 ? "" : "s"})\n`);
    if (cut && !flags.quiet)
      t.err(`Long values are cut at ${CELL} characters here; --json or --csv show them whole.\n`);
  } finally {
    db.close();
  }
}

/** `monzo sql`. */
export default function sql(cmd: Cmd): void {
  helpFor(
    cmd,
    [
      { run: 'monzo sql "SELECT * FROM spending_by_category_month LIMIT 20"' },
      { run: 'monzo sql "SELECT * FROM pot_balances_over_time" --csv > pots.csv' },
      { run: 'monzo sql "SELECT name, type FROM sqlite_schema"', says: "The tables and views" },
    ],
    {
      title: "Mirror",
      items: [
        ["transactions", "every transaction: amount (minor units) and currency, status, merchant_id, …"],
        ["spending_by_category_month", "spent per month, account, category and currency"],
        ["pot_balances_over_time", "each pot's balance at every sync"],
        ["docs/mirror.md", "every table, column and view"],
      ],
    },
  );
  cmd
    .description(
      "Query the mirror that monzo sync keeps, read-only: one SQL statement, as a table, --json or --csv",
    )
    .argument("<query>", "One SQL statement (quote it)")
    .option("--db <file>", "Mirror file (default: <data dir>/<profile>/mirror.db)")
    .option("--csv", "CSV output")
    .action(async (query, opts, command) => {
      await runSql(io(), globalFlags({ ...command.optsWithGlobals(), csv: opts.csv === true }), {
        query,
        db: flag(opts.db),
      });
    });
}
