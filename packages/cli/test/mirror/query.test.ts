import { readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { openMirrorForWrite, openMirrorReadOnly } from "../../src/mirror/database.js";
import { MirrorQueryError } from "../../src/mirror/errors.js";
import { bytecodeProblem, prepareReadOnlyQuery } from "../../src/mirror/query.js";
import type { DatabaseSync } from "../../src/mirror/sqlite.js";
import { tempHome } from "../helpers.js";

let path: string;

beforeAll(async () => {
  path = join(await tempHome(), "mirror.db");
  const db = await openMirrorForWrite(path);
  db.exec(`INSERT INTO accounts (id, type, description, created, closed, joint, owners, raw, first_seen, last_changed)
           VALUES ('acc_1', 'uk_retail', 'user_1', '2026-01-01T00:00:00Z', 0, 0, '[]', '{}', 'x', 'x')`);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
});

async function run(sql: string) {
  const { db } = await openMirrorReadOnly(path);
  try {
    const q = await prepareReadOnlyQuery(db, sql);
    return { columns: q.columns, rows: [...q.rows()] };
  } finally {
    db.close();
  }
}

describe("read-only queries", () => {
  it("reads tables, views and pragmas; duplicate column names stay apart; big integers stay exact", async () => {
    expect(await run("SELECT id, type FROM accounts")).toEqual({
      columns: ["id", "type"],
      rows: [["acc_1", "uk_retail"]],
    });
    expect((await run("SELECT * FROM spending_by_category_month")).rows).toEqual([]);
    expect((await run("PRAGMA table_info(accounts)")).rows.length).toBeGreaterThan(5);
    expect((await run("SELECT 1 AS a, 2 AS a")).columns).toEqual(["a", "a_2"]);
    expect((await run("SELECT 9007199254740993 AS n")).rows).toEqual([[9007199254740993n]]);
    expect((await run("SELECT 1; -- a comment\n /* and another */ ;")).rows).toEqual([[1n]]);
  });

  it("refuses every kind of write, several statements, and SQL SQLite cannot run", async () => {
    for (const sql of [
      "DELETE FROM accounts",
      "UPDATE accounts SET closed = 1",
      "INSERT INTO syncs (started_at, outcome) VALUES ('x', 'ok')",
      "DROP VIEW spending_by_category_month",
      "CREATE TEMP TABLE t (x)",
      "CREATE TABLE t (x)",
      "ATTACH 'other.db' AS o",
      "PRAGMA user_version = 9",
      "PRAGMA journal_mode = DELETE",
      "VACUUM",
      "VACUUM INTO 'copy.db'",
      "REINDEX",
      "ANALYZE",
      "BEGIN",
      "SAVEPOINT a",
      "PRAGMA writable_schema = 1",
    ])
      await expect(run(sql), sql).rejects.toMatchObject({ code: "mirror.query_writes" });
    await expect(run("SELECT 1; DELETE FROM accounts")).rejects.toMatchObject({
      code: "mirror.query_several",
    });
    await expect(run("SELEC 1")).rejects.toMatchObject({ code: "mirror.query_invalid" });
    await expect(run("   ")).rejects.toMatchObject({ code: "mirror.query_empty" });
    expect((await run("SELECT count(*) FROM accounts")).rows).toEqual([[1n]]);
  });

  it("whatever text it is given, it reads or refuses with its own error, and the mirror file never changes", async () => {
    const before = await readFile(path);
    const words = fc.constantFrom(
      "SELECT",
      "DELETE",
      "INSERT",
      "INTO",
      "UPDATE",
      "SET",
      "FROM",
      "accounts",
      "syncs",
      "WHERE",
      "1",
      "*",
      ";",
      "DROP",
      "TABLE",
      "CREATE",
      "TEMP",
      "ATTACH",
      "PRAGMA",
      "user_version",
      "=",
      "(",
      ")",
      "'x'",
      "--",
      "/*",
      "*/",
      "VALUES",
      "REPLACE",
      "WITH",
      "AS",
      "VACUUM",
      "INTO",
      "'f.db'",
      "RETURNING",
      "id",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(words, { maxLength: 10 }).map((w) => w.join(" ")),
        async (sql) => {
          try {
            await run(sql);
          } catch (error) {
            expect(error).toBeInstanceOf(MirrorQueryError);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(await readFile(path)).toEqual(before);
  });
});

/**
 * The connection as a Node with `node:sqlite` but without `DatabaseSync.setAuthorizer` (22.13 to 24.9) sees
 * it: the same database, the method missing.
 */
function withoutAuthorizer(db: DatabaseSync): DatabaseSync {
  return new Proxy(db, {
    get(target, property) {
      if (property === "setAuthorizer") return undefined;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
    has(target, property) {
      return property !== "setAuthorizer" && Reflect.has(target, property);
    },
  });
}

async function runWithoutAuthorizer(sql: string) {
  const { db } = await openMirrorReadOnly(path);
  try {
    const q = await prepareReadOnlyQuery(withoutAuthorizer(db), sql);
    return { columns: q.columns, rows: [...q.rows()] };
  } finally {
    db.close();
  }
}

const REFUSED = ["mirror.query_not_read", "mirror.query_several", "mirror.query_writes"];

describe("read-only queries on a Node without SQLite's authorizer (N8)", () => {
  it("reads what the authorizer lets through: SELECT, WITH … SELECT, VALUES, EXPLAIN, reading pragmas", async () => {
    expect((await runWithoutAuthorizer("SELECT id FROM accounts")).rows).toEqual([["acc_1"]]);
    expect(
      (await runWithoutAuthorizer("  -- why\n/* a note */ select replace(id, 'acc', 'a') FROM accounts"))
        .rows,
    ).toEqual([["a_1"]]);
    expect(
      (
        await runWithoutAuthorizer(
          "WITH x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n < 3) SELECT count(*) FROM x",
        )
      ).rows,
    ).toEqual([[3n]]);
    expect((await runWithoutAuthorizer("VALUES (1), (2)")).rows).toHaveLength(2);
    expect(
      (await runWithoutAuthorizer("EXPLAIN QUERY PLAN SELECT * FROM accounts")).rows.length,
    ).toBeGreaterThan(0);
    expect((await runWithoutAuthorizer("PRAGMA table_info(accounts)")).rows.length).toBeGreaterThan(5);
    expect((await runWithoutAuthorizer("PRAGMA main.user_version")).rows).toEqual([[expect.any(BigInt)]]);
    expect(
      (await runWithoutAuthorizer('SELECT \';\' AS semi, "a;b" FROM (SELECT 1 AS "a;b");')).rows,
    ).toEqual([[";", 1n]]);
  });

  it("refuses with its own clear error what the authorizer would have: writes, ATTACH, pragma writes, load_extension, several statements", async () => {
    for (const sql of [
      "ATTACH ':memory:' AS m",
      "ATTACH DATABASE 'other.db' AS o",
      "DETACH m",
      "PRAGMA query_only = 0",
      "PRAGMA query_only(0)",
      "PRAGMA user_version = 9",
      "PRAGMA main.journal_mode = DELETE",
      "PRAGMA writable_schema = 1",
      "PRAGMA trusted_schema",
      "SELECT load_extension('evil')",
      "SELECT * FROM accounts WHERE load_extension ('evil') IS NULL",
      "WITH x AS (SELECT 1) DELETE FROM accounts",
      "WITH x AS (SELECT 1) INSERT INTO syncs (started_at, outcome) VALUES ('x', 'ok')",
      "EXPLAIN DELETE FROM accounts",
      "DELETE FROM accounts",
      "UPDATE accounts SET closed = 1",
      "REPLACE INTO accounts (id) VALUES ('x')",
      "CREATE TEMP TABLE t (x)",
      "DROP VIEW spending_by_category_month",
      "VACUUM INTO 'copy.db'",
      "BEGIN",
      "SAVEPOINT a",
      "ANALYZE",
      "REINDEX",
    ]) {
      const error = await runWithoutAuthorizer(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, sql).toBeInstanceOf(MirrorQueryError);
      expect(REFUSED, sql).toContain((error as MirrorQueryError).code);
    }
    const error = await runWithoutAuthorizer("PRAGMA trusted_schema").catch((e: unknown) => e);
    expect((error as MirrorQueryError).message).toContain("SELECT");
    expect((error as MirrorQueryError).hint).toContain("Node 24.10");
    await expect(runWithoutAuthorizer("SELECT 1; ATTACH ':memory:' AS m")).rejects.toMatchObject({
      code: "mirror.query_several",
    });
    await expect(runWithoutAuthorizer("SELECT 1 /* ; */; -- ;\n ;")).resolves.toMatchObject({ rows: [[1n]] });
  });

  it("refuses outward-reaching functions however they are named (quoted identifiers too), and any bound parameter", async () => {
    const before = await readFile(path);
    for (const sql of [
      `SELECT "load_extension"('/x')`,
      "SELECT [load_extension](1)",
      "SELECT `fts3_tokenizer`('simple')",
      "SELECT fts3_tokenizer('simple')",
      `SELECT "FTS3_Tokenizer"('simple')`,
      "SELECT * FROM accounts WHERE [load_extension] ('x') IS NULL",
      // SQLite reads `$a(')` as one parameter: the DELETE is the statement the WITH serves.
      "WITH x AS (SELECT $a(')) DELETE FROM accounts --')) SELECT 1",
      "WITH x AS (SELECT $a(')) INSERT INTO syncs (started_at, outcome) VALUES ('x', 'ok') --')) SELECT 1",
      "SELECT ?",
      "SELECT ?1",
      "SELECT :a",
      "SELECT @a",
      "SELECT $a",
      "SELECT #a",
      "SELECT id FROM accounts WHERE id = :id",
    ]) {
      const error = await runWithoutAuthorizer(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, sql).toBeInstanceOf(MirrorQueryError);
      expect(REFUSED, sql).toContain((error as MirrorQueryError).code);
    }
    const parameter = await runWithoutAuthorizer("SELECT :a").catch((e: unknown) => e);
    expect((parameter as MirrorQueryError).message).toContain("parameters");
    // Names that only look like them, and parameter characters inside strings and quoted names, still run.
    expect(
      (
        await runWithoutAuthorizer(
          `SELECT 'load_extension(?) $a :b @c #d' AS "a:b", 1 AS a$b, id FROM accounts`,
        )
      ).rows,
    ).toEqual([["load_extension(?) $a :b @c #d", 1n, "acc_1"]]);
    expect(await readFile(path)).toEqual(before);
  });

  it("with the authorizer too, fts3_tokenizer and load_extension are refused (SQLite's authorizer names each function)", async () => {
    for (const sql of [
      "SELECT fts3_tokenizer('simple')",
      "SELECT `fts3_tokenizer`('simple')",
      "SELECT load_extension('x')",
    ]) {
      const error = await run(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, sql).toBeInstanceOf(MirrorQueryError);
      expect(REFUSED, sql).toContain((error as MirrorQueryError).code);
    }
  });

  it("the bytecode check (EXPLAIN) refuses what writes, attaches or calls a denied function, and passes what only reads", async () => {
    const { db } = await openMirrorReadOnly(path);
    try {
      for (const sql of [
        "DELETE FROM accounts",
        "WITH x AS (SELECT 1) DELETE FROM accounts",
        "INSERT INTO syncs (started_at, outcome) VALUES ('x', 'ok')",
        "UPDATE accounts SET closed = 1",
        "REPLACE INTO accounts (id) VALUES ('x')",
        "CREATE TABLE t (x)",
        "CREATE INDEX i ON accounts (type)",
        "DROP VIEW spending_by_category_month",
        "DROP TABLE syncs",
        "ALTER TABLE syncs ADD COLUMN y",
        "ATTACH ':memory:' AS m",
        "DETACH m",
        "VACUUM",
        "BEGIN",
        "SAVEPOINT a",
        "ANALYZE",
        "REINDEX",
        "PRAGMA user_version = 9",
        "PRAGMA journal_mode = DELETE",
        "SELECT load_extension('x')",
        `SELECT "load_extension"('/x')`,
        "SELECT [fts3_tokenizer]('simple')",
        "SELECT count(*) FROM accounts WHERE fts3_tokenizer('simple') IS NOT NULL",
      ])
        expect(bytecodeProblem(db, sql), sql).toBeInstanceOf(MirrorQueryError);
      for (const sql of [
        "SELECT * FROM accounts",
        "SELECT type FROM accounts UNION SELECT outcome FROM syncs",
        "SELECT DISTINCT type FROM accounts",
        "SELECT * FROM accounts WHERE id IN ('a', 'b', 'c')",
        "SELECT * FROM accounts WHERE id IN (SELECT id FROM accounts)",
        "WITH x AS MATERIALIZED (SELECT * FROM accounts) SELECT * FROM x, x AS y",
        "WITH RECURSIVE x(n) AS (SELECT 1 UNION SELECT n + 1 FROM x WHERE n < 3) SELECT * FROM x",
        "SELECT id, row_number() OVER (ORDER BY created) FROM accounts",
        "SELECT type, count(*) FROM accounts GROUP BY type ORDER BY 2 DESC",
        "SELECT * FROM spending_by_category_month",
        "VALUES (1), (2)",
        "PRAGMA table_info(accounts)",
        "PRAGMA journal_mode",
        "PRAGMA user_version",
        // Every pragma the text check lets through compiles to reading only.
        ...[
          "table_info",
          "table_xinfo",
          "index_list",
          "foreign_key_list",
          "foreign_key_check",
          "integrity_check",
          "quick_check",
        ].map((name) => `PRAGMA ${name}(accounts)`),
        "PRAGMA table_list",
        "PRAGMA index_info(sqlite_autoindex_accounts_1)",
        "PRAGMA index_xinfo(sqlite_autoindex_accounts_1)",
        ...[
          "database_list",
          "collation_list",
          "function_list",
          "module_list",
          "pragma_list",
          "compile_options",
          "application_id",
          "schema_version",
          "page_count",
          "page_size",
          "freelist_count",
          "encoding",
        ].map((name) => `PRAGMA ${name}`),
        "EXPLAIN QUERY PLAN SELECT * FROM accounts",
        "EXPLAIN SELECT * FROM accounts",
      ])
        expect(bytecodeProblem(db, sql), sql).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it("refuses every statement that does not start with an allowed keyword, however it is written (property)", async () => {
    const before = await readFile(path);
    const first = fc.constantFrom(
      "INSERT",
      "UPDATE",
      "DELETE",
      "REPLACE",
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
      "UPSERT",
      "SELEC",
    );
    const casing = (word: string) =>
      fc
        .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
        .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
    const lead = fc.constantFrom("", " ", "\n\t", "-- c\n", "/* c */", "/* a */ -- b\n ");
    const tail = fc
      .array(
        fc.constantFrom("accounts", "INTO", "x", "(", ")", "1", "'a'", "SELECT", "FROM", "=", ",", ";", "AS"),
        {
          maxLength: 8,
        },
      )
      .map((w) => w.join(" "));
    const pragma = fc
      .tuple(
        fc.constantFrom("query_only", "writable_schema", "user_version", "journal_mode", "cache_size", "foo"),
        fc.constantFrom(" = 0", "(1)", " = 'x'"),
      )
      .map(([name, value]) => `PRAGMA ${name}${value}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(lead, first.chain(casing), tail).map(([l, f, t]) => `${l}${f} ${t}`),
          fc.tuple(lead, pragma).map(([l, p]) => `${l}${p}`),
          fc.tuple(first, tail).map(([f, t]) => `SELECT 1; ${f} ${t}`),
        ),
        async (sql) => {
          const error = await runWithoutAuthorizer(sql).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, sql).toBeInstanceOf(MirrorQueryError);
          expect(REFUSED, sql).toContain((error as MirrorQueryError).code);
        },
      ),
      { numRuns: 500 },
    );
    expect(await readFile(path)).toEqual(before);
  });

  it("is never wider than the authorizer: what it runs, SQLite's authorizer runs too, and the mirror never changes (property)", async () => {
    const before = await readFile(path);
    const words = fc.constantFrom(
      "SELECT",
      "WITH",
      "x",
      "AS",
      "(",
      ")",
      "VALUES",
      "1",
      "EXPLAIN",
      "QUERY",
      "PLAN",
      "PRAGMA",
      "user_version",
      "table_info",
      "accounts",
      "=",
      ";",
      "DELETE",
      "FROM",
      "INSERT",
      "INTO",
      "ATTACH",
      "':memory:'",
      "--",
      "/*",
      "*/",
      "'x'",
      '"a"',
      "load_extension",
      "replace",
      ",",
      "*",
      "main",
      ".",
      "query_only",
      "0",
      // Quoted and oddly written names of denied functions, parameters SQLite reads in its own way (N8 review).
      '"load_extension"',
      "[load_extension]",
      "`fts3_tokenizer`",
      "fts3_tokenizer",
      "'simple'",
      "$a(')",
      "$a",
      ":a",
      "?",
      "@a",
      "#a",
      "UNION",
      "IN",
      "DISTINCT",
    );
    // Statements that SQLite can mostly prepare: a SELECT around a call, quoted any way, or a parameter.
    const name = fc.constantFrom("load_extension", "fts3_tokenizer", "replace", "upper", "FTS3_TOKENIZER");
    const quoted = fc
      .tuple(
        name,
        fc.constantFrom(
          (n: string) => n,
          (n: string) => `"${n}"`,
          (n: string) => `[${n}]`,
          (n: string) => `\`${n}\``,
        ),
      )
      .map(([n, q]) => q(n));
    const argument = fc.constantFrom("'simple'", "id", "1", "$a(')", ":a", "?", "@a", "'x', 'y'");
    const select = fc
      .tuple(quoted, argument, fc.constantFrom("", " FROM accounts", " FROM accounts WHERE id IN ('acc_1')"))
      .map(([f, a, from]) => `SELECT ${f}(${a})${from}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(words, { maxLength: 10 }).map((w) => w.join(" ")),
          select,
        ),
        async (sql) => {
          const fallback = await runWithoutAuthorizer(sql).then(
            () => true,
            () => false,
          );
          if (fallback) await expect(run(sql), sql).resolves.toBeDefined();
        },
      ),
      { numRuns: 600 },
    );
    expect(await readFile(path)).toEqual(before);
  });
});
