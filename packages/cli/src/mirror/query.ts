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

/** Statements that change a database, or the connection, when they come first (or after `WITH …`). */
const WRITING_KEYWORDS = new Set([
  "INSERT",
  "UPDATE",
  "DELETE",
  "REPLACE",
  "UPSERT",
  "CREATE",
  "DROP",
  "ALTER",
  "ATTACH",
  "DETACH",
  "VACUUM",
  "REINDEX",
  "ANALYZE",
  "BEGIN",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
]);
/** Functions that reach outside the database: refused wherever they appear. */
const DENIED_FUNCTIONS = new Set(["load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"]);

interface Token {
  kind: "word" | "literal" | "punct";
  text: string;
  /** Parentheses open around it. */
  depth: number;
}

/**
 * SQLite's lexical structure, as far as telling statements apart needs: words, quoted strings and
 * identifiers (`'…'`, `"…"`, `` `…` ``, `[…]`, doubled quotes inside), `--` and `/* *\/` comments, and
 * punctuation. Unterminated quotes or comments run to the end, as SQLite reads them.
 */
function lex(sql: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      for (;;) {
        const at = sql.indexOf(close, j);
        if (at === -1) {
          j = sql.length;
          break;
        }
        if (close !== "]" && sql[at + 1] === close) {
          j = at + 2;
          continue;
        }
        j = at + 1;
        break;
      }
      out.push({ kind: "literal", text: sql.slice(i, j), depth });
      i = j;
    } else if (/[A-Za-z0-9_$\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      out.push({ kind: "word", text: sql.slice(i, j), depth });
      i = j;
    } else {
      if (c === ")") depth = Math.max(0, depth - 1);
      out.push({ kind: "punct", text: c, depth });
      if (c === "(") depth++;
      i++;
    }
  }
  return out;
}

function notRead(): MirrorQueryError {
  return new MirrorQueryError(
    "mirror.query_not_read",
    "On this Node, monzo sql runs only one SELECT, WITH … SELECT, VALUES, EXPLAIN or reading PRAGMA; this is none of them",
    {
      hint: "Rewrite it as a SELECT, or run monzo with Node 24.10 or newer, where SQLite itself checks each part of a statement.",
    },
  );
}

const word = (token: Token | undefined) => (token?.kind === "word" ? token.text.toUpperCase() : undefined);

/** Why one statement's tokens are not an allowed read, or undefined when they are. */
function statementProblem(tokens: Token[]): MirrorQueryError | undefined {
  const first = word(tokens[0]);
  if (first === "SELECT" || first === "VALUES") return undefined;
  if (first === "EXPLAIN") {
    const rest =
      word(tokens[1]) === "QUERY" && word(tokens[2]) === "PLAN" ? tokens.slice(3) : tokens.slice(1);
    return rest.length === 0 ? notRead() : statementProblem(rest);
  }
  if (first === "WITH") {
    const base = tokens[0]!.depth;
    // After the common table expressions, the statement they serve: the first of these at the top level.
    const main = tokens.find(
      (t, i) =>
        i > 0 &&
        t.depth === base &&
        t.kind === "word" &&
        ["SELECT", "VALUES", "INSERT", "UPDATE", "DELETE", "REPLACE"].includes(t.text.toUpperCase()),
    );
    const verb = word(main);
    if (verb === "SELECT" || verb === "VALUES") return undefined;
    return verb ? refusedWrite() : notRead();
  }
  if (first === "PRAGMA") {
    let at = 1;
    if (tokens[at + 1]?.text === ".") at += 2;
    const name = tokens[at]?.kind === "word" ? tokens[at]!.text.toLowerCase() : undefined;
    const after = tokens.slice(at + 1);
    if (!name) return notRead();
    if (after[0]?.text === "=") return refusedWrite();
    const withArgument =
      after.length > 0 && !(after[0]?.text === "(" && after.at(-1)?.text === ")" && after.length >= 3)
        ? undefined
        : after.length > 0;
    if (withArgument === undefined) return notRead();
    if (READ_PRAGMAS_WITH_ARGUMENT.has(name)) return undefined;
    if (READ_ONLY_PRAGMAS.has(name) && !withArgument) return undefined;
    return withArgument ? refusedWrite() : notRead();
  }
  if (first && WRITING_KEYWORDS.has(first)) return refusedWrite();
  return notRead();
}

/**
 * Where this Node's `node:sqlite` has no `setAuthorizer` (22.13 to 24.9), the statement is checked from its
 * text instead: exactly one statement, SELECT, VALUES, WITH … SELECT, EXPLAIN of one of those, or a pragma
 * SQLite's authorizer would allow here; no function that reaches outside the database anywhere in it.
 * Narrower than the authorizer (a statement it would allow may be refused here), never wider.
 */
export function textualReadOnlyProblem(sql: string): MirrorQueryError | undefined {
  const tokens = lex(sql);
  const statements: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === "punct" && token.text === ";") statements.push([]);
    else statements.at(-1)!.push(token);
  }
  const nonEmpty = statements.filter((s) => s.length > 0);
  if (nonEmpty.length > 1)
    return new MirrorQueryError("mirror.query_several", "monzo sql runs one statement at a time", {
      hint: "Run each statement on its own (the text after the first ; was not run).",
    });
  if (tokens.some((t) => t.kind === "word" && DENIED_FUNCTIONS.has(t.text.toLowerCase()))) return notRead();
  return nonEmpty.length === 0 ? undefined : statementProblem(nonEmpty[0]!);
}

/**
 * Prepares one statement against a mirror opened read-only, refusing anything but reading: SQLite's
 * authorizer allows only SELECT, reads, functions and the reading pragmas where this Node has it
 * (24.10+); elsewhere `textualReadOnlyProblem` allows only an allowlist of statement forms. The connection
 * itself is read-only with `query_only` set besides. Exactly one statement: text after it is an error, never silently dropped.
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
  if (typeof withAuthorizer.setAuthorizer !== "function") {
    // No authorizer on this Node: the read-only connection still refuses writes, but ATTACH, connection
    // pragmas (`query_only = 0`) and extension loading are not writes to it; the text decides instead.
    const problem = textualReadOnlyProblem(sql);
    if (problem) throw problem;
  }
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
