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
  /** `param`: a bound parameter (`?`, `?1`, `:a`, `@a`, `$a`, `#a`), however SQLite would read the rest of it. */
  kind: "word" | "literal" | "punct" | "param";
  text: string;
  /** Parentheses open around it. */
  depth: number;
  /** Where it starts in the statement's text. */
  start: number;
}

/**
 * SQLite's lexical structure, as far as telling statements apart needs: words, quoted strings and
 * identifiers (`'…'`, `"…"`, `` `…` ``, `[…]`, doubled quotes inside), `--` and `/* *\/` comments, and
 * punctuation. Unterminated quotes or comments run to the end, as SQLite reads them. A bound parameter's
 * first character (`?`, `:`, `@`, `#`, or `$` starting a token) is a `param` token, and nothing more is made
 * of it: SQLite reads a Tcl-style `$a(…)` up to the first `)` or space, quotes included, which a lexer that
 * took `(` and `'` at face value would read as a string running on (N8 review).
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
      out.push({ kind: "literal", text: sql.slice(i, j), depth, start: i });
      i = j;
    } else if ("?:@#$".includes(c)) {
      out.push({ kind: "param", text: c, depth, start: i });
      i++;
    } else if (/[A-Za-z0-9_\u0080-\uffff]/.test(c)) {
      // `$` may continue a name (`a$b`), never start one: there it is a parameter.
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      out.push({ kind: "word", text: sql.slice(i, j), depth, start: i });
      i = j;
    } else {
      if (c === ")") depth = Math.max(0, depth - 1);
      out.push({ kind: "punct", text: c, depth, start: i });
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

function deniedFunction(name: string): MirrorQueryError {
  return new MirrorQueryError(
    "mirror.query_not_read",
    `monzo sql does not call ${name}: it reaches outside the mirror (files, extensions, other databases, memory)`,
    { hint: "Leave it out; monzo sql only reads the mirror." },
  );
}

function parameterRefused(): MirrorQueryError {
  return new MirrorQueryError(
    "mirror.query_not_read",
    "monzo sql takes no parameters (?, :name, @name, $name, #name), and on this Node refuses them outside quotes",
    {
      hint: "Write the value into the statement ('text' in single quotes), or run monzo with Node 24.10 or newer.",
    },
  );
}

/** A function name as SQLite compares it: a word, or a quoted identifier (`"…"`, `` `…` ``, `[…]`) unquoted. */
function nameOf(token: Token): string | undefined {
  if (token.kind === "word") return token.text.toLowerCase();
  if (token.kind !== "literal") return undefined;
  const open = token.text[0];
  if (open !== '"' && open !== "`" && open !== "[") return undefined;
  const close = open === "[" ? "]" : open;
  const inner =
    token.text.endsWith(close) && token.text.length > 1 ? token.text.slice(1, -1) : token.text.slice(1);
  return (open === "[" ? inner : inner.split(`${close}${close}`).join(close)).toLowerCase();
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
 * text first: exactly one statement, SELECT, VALUES, WITH … SELECT, EXPLAIN of one of those, or a pragma
 * SQLite's authorizer would allow here, with no bound parameter outside quotes and none of the denied
 * functions' names as a word or a quoted identifier anywhere in it. What this lexer cannot see (how SQLite
 * really splits the text) is covered by the second check, `bytecodeProblem`, on what SQLite compiled.
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
  if (tokens.some((t) => t.kind === "param")) return parameterRefused();
  const denied = tokens.map(nameOf).find((name) => name !== undefined && DENIED_FUNCTIONS.has(name));
  if (denied) return deniedFunction(denied);
  return nonEmpty.length === 0 ? undefined : statementProblem(nonEmpty[0]!);
}

/** Opcodes that change a database, the schema or the connection's transaction, wherever they appear. */
const WRITING_OPCODES = new Set([
  "OpenWrite",
  "Clear",
  "Destroy",
  "CreateBtree",
  "ParseSchema",
  "DropTable",
  "DropIndex",
  "DropTrigger",
  "RenameTable",
  "SetCookie",
  "AutoCommit",
  "Savepoint",
  "Vacuum",
  "IncrVacuum",
  "LoadAnalysis",
  "Checkpoint",
  "SqlExec",
  "Program",
  "VUpdate",
  "VCreate",
  "VDestroy",
  "VRename",
]);
/** Opcodes that write through a cursor: fine on a temporary table of the statement's own, never on the database's. */
const CURSOR_WRITES = new Set(["Insert", "IdxInsert", "Delete", "IdxDelete", "NewRowid"]);
/** Opcodes that open a cursor on a temporary table (a UNION, an IN list, a materialised CTE, a sorter). */
const TEMPORARY_CURSORS = new Set(["OpenEphemeral", "OpenAutoindex", "OpenDup", "OpenPseudo", "SorterOpen"]);
/** Opcodes that call a function; EXPLAIN shows it in p4 as `name(arguments)`. */
const CALLS = new Set(["Function", "PureFunc", "AggStep", "AggStep1", "AggFinal", "AggValue", "AggInverse"]);
/** ATTACH and DETACH compile to calls of these. */
const CALLS_DENIED = new Set([...DENIED_FUNCTIONS, "sqlite_attach", "sqlite_detach"]);

interface Instruction {
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: unknown;
}

/**
 * The second check where the authorizer is missing, on what SQLite itself made of the text: `EXPLAIN` of the
 * statement (an `EXPLAIN …` is explained as the statement it explains), prepared on the read-only
 * connection, and refused if any instruction writes to the database (opens a cursor for writing, writes
 * through a cursor that is not a temporary table of the statement's own, clears, drops or creates a b-tree,
 * parses the schema, sets a cookie), starts a write transaction (`Transaction` p2 ≠ 0), changes the journal
 * mode (`JournalMode` p3 ≠ −1, which is a read), begins or ends a transaction or savepoint, vacuums, writes a
 * virtual table, or calls a denied function (`load_extension`, `fts3_tokenizer`, the shell's file functions,
 * or `sqlite_attach`/`sqlite_detach`, which ATTACH and DETACH compile to), whatever its name looked like in
 * the text. It runs only after the text check passed: some pragmas take effect as they are prepared
 * (`PRAGMA query_only = 0` compiles to nothing but `Expire`), and only the text check sees those.
 *
 * @returns the error to refuse it with, or undefined when it only reads
 */
export function bytecodeProblem(db: DatabaseSync, sql: string): MirrorQueryError | undefined {
  const tokens = lex(sql);
  let at = 0;
  if (word(tokens[0]) === "EXPLAIN") at = word(tokens[1]) === "QUERY" && word(tokens[2]) === "PLAN" ? 3 : 1;
  const first = tokens[at];
  if (!first) return at === 0 ? undefined : notRead();
  let program: Instruction[];
  try {
    program = db.prepare(`EXPLAIN ${sql.slice(first.start)}`).all() as unknown as Instruction[];
  } catch (error) {
    return sqlError(error);
  }
  const temporary = new Set(program.filter((i) => TEMPORARY_CURSORS.has(i.opcode)).map((i) => Number(i.p1)));
  for (const i of program) {
    if (WRITING_OPCODES.has(i.opcode)) return refusedWrite();
    if (CURSOR_WRITES.has(i.opcode) && !temporary.has(Number(i.p1))) return refusedWrite();
    if (i.opcode === "Transaction" && Number(i.p2) !== 0) return refusedWrite();
    if (i.opcode === "JournalMode" && Number(i.p3) !== -1) return refusedWrite();
    if (i.opcode === "MaxPgcnt" && Number(i.p3) !== 0) return refusedWrite();
    if (CALLS.has(i.opcode) && typeof i.p4 === "string") {
      const name = i.p4.replace(/\(.*$/s, "").toLowerCase();
      if (CALLS_DENIED.has(name)) return deniedFunction(name);
    }
  }
  return undefined;
}

/**
 * Prepares one statement against a mirror opened read-only, refusing anything but reading: SQLite's
 * authorizer allows only SELECT, reads, functions other than the denied ones and the reading pragmas where
 * this Node has it (24.10+); elsewhere `textualReadOnlyProblem` allows only an allowlist of statement forms
 * and then `bytecodeProblem` checks what SQLite compiled. The connection
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
    const problem = textualReadOnlyProblem(sql) ?? bytecodeProblem(db, sql);
    if (problem) throw problem;
  }
  withAuthorizer.setAuthorizer?.((action, arg1, arg2) => {
    switch (action) {
      case constants.SQLITE_SELECT:
      case constants.SQLITE_READ:
      case constants.SQLITE_RECURSIVE:
        return constants.SQLITE_OK;
      case constants.SQLITE_FUNCTION:
        // arg2 is the function's name as SQLite resolved it, however the text quoted it.
        return DENIED_FUNCTIONS.has((arg2 ?? "").toLowerCase()) ? constants.SQLITE_DENY : constants.SQLITE_OK;
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
  // A function the authorizer denied is SQLITE_ERROR with this message, not SQLITE_AUTH.
  const denied = /^not authorized to use function: (\S+)/.exec(message);
  if (denied) return deniedFunction(denied[1]!);
  return new MirrorQueryError("mirror.query_invalid", `SQLite could not run this: ${message}`, {
    hint: 'Tables and views: monzo sql "SELECT name, type FROM sqlite_schema"; columns: docs/mirror.md.',
  });
}
