import { readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { openMirrorForWrite, openMirrorReadOnly } from "../../src/mirror/database.js";
import { MirrorQueryError } from "../../src/mirror/errors.js";
import { prepareReadOnlyQuery } from "../../src/mirror/query.js";
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
