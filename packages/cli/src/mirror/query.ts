import { MirrorQueryError } from "./errors.js";
import { type DatabaseSync, loadSqlite, type StatementSync } from "./sqlite.js";

/** SQLite result codes `monzo sql` turns into its own messages. */
const SQLITE_READONLY = 8;
const SQLITE_AUTH = 23;

/** Pragmas that only read; those that take a value (`user_version = 5`) may only be read, never set. */
const READ_PRAGMAS_WITH_ARGUMENT = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
]);
const READ_ONLY_PRAGMAS = new Set([
  "database_list",
  "collation_list",
  "function_list",
  "module_list",
  "pragma_list",
  "compile_options",
  "user_version",
  "application_id",
  "schema_version",
  "journal_mode",
  "page_count",
  "page_size",
  "freelist_count",
  "encoding",
]);

/** A prepared read-only query: its column names (unique) and its rows as arrays, read lazily. */
export interface ReadOnlyQuery {
  columns: string[];
  rows(): IterableIterator<unknown[]>;
}

function refusedWrite(): MirrorQueryError {
  return new MirrorQueryError(
    "mirror.query_writes",
    "monzo sql only reads the mirror; this statement would change it",
    {
      hint: "Only monzo sync writes the mirror. To experiment, copy the file and open the copy with the sqlite3 shell.",
    },
  );
}

/**
 * Prepares one statement against a mirror opened read-only, refusing anything but reading: SQLite's
 * authorizer allows only SELECT, reads, functions and the reading pragmas (where this Node has it), and
 * the connection itself is read-only with `query_only` set, so a write is refused even where the
 * authorizer is missing. Exactly one statement: text after it is an error, never silently dropped.
 *
 * @throws {MirrorQueryError} for a write, several statements, or SQL that SQLite cannot prepare
 */
export async function prepareReadOnlyQuery(db: DatabaseSync, sql: string): Promise<ReadOnlyQuery> {
  const { constants } = await loadSqlite();
  if (sql.trim() === "")
    throw new MirrorQueryError("mirror.query_empty", "No SQL given", {
      hint: 'E.g. monzo sql "SELECT * FROM spending_by_category_month ORDER BY month DESC LIMIT 20"',
    });
  const withAuthorizer = db as DatabaseSync & {
    setAuthorizer?: (fn: (action: number, a: string | null, b: string | null) => number) => void;
  };
  withAuthorizer.setAuthorizer?.((action, arg1, arg2) => {
    switch (action) {
      case constants.SQLITE_SELECT:
      case constants.SQLITE_READ:
      case constants.SQLITE_FUNCTION:
      case constants.SQLITE_RECURSIVE:
        return constants.SQLITE_OK;
      case constants.SQLITE_PRAGMA: {
        const name = (arg1 ?? "").toLowerCase();
        if (READ_PRAGMAS_WITH_ARGUMENT.has(name)) return constants.SQLITE_OK;
        if (READ_ONLY_PRAGMAS.has(name) && arg2 === null) return constants.SQLITE_OK;
        return constants.SQLITE_DENY;
      }
      default:
        return constants.SQLITE_DENY;
    }
  });
  let statement: StatementSync;
  try {
    statement = db.prepare(sql);
  } catch (error) {
    throw sqlError(error);
  }
  // `prepare` compiles the first statement only; anything but comments after it is a second statement.
  const first = (statement as StatementSync & { sourceSQL?: string }).sourceSQL;
  if (first !== undefined) {
    const at = sql.indexOf(first);
    const rest = at === -1 ? "" : sql.slice(at + first.length);
    const remaining = rest
      .replace(/--[^\n]*(\n|$)/g, "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/[\s;]/g, "");
    if (remaining !== "")
      throw new MirrorQueryError("mirror.query_several", "monzo sql runs one statement at a time", {
        hint: "Run each statement on its own (the text after the first ; was not run).",
      });
  }
  statement.setReadBigInts(true);
  const arrays = typeof statement.setReturnArrays === "function";
  if (arrays) statement.setReturnArrays(true);
  const names = statement.columns().map((c) => c.name);
  const seen = new Map<string, number>();
  const columns = names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
  return {
    columns,
    *rows() {
      try {
        for (const row of statement.iterate() as Iterable<unknown>)
          yield arrays ? (row as unknown[]) : names.map((n) => (row as Record<string, unknown>)[n]);
      } catch (error) {
        throw sqlError(error);
      }
    },
  };
}

function sqlError(error: unknown): MirrorQueryError {
  const code = (error as { errcode?: number }).errcode;
  if (code !== undefined && ((code & 0xff) === SQLITE_AUTH || (code & 0xff) === SQLITE_READONLY))
    return refusedWrite();
  const message = error instanceof Error ? error.message : String(error);
  return new MirrorQueryError("mirror.query_invalid", `SQLite could not run this: ${message}`, {
    hint: 'Tables and views: monzo sql "SELECT name, type FROM sqlite_schema"; columns: docs/mirror.md.',
  });
}
