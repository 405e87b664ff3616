import { spawnSync } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { openMirrorForWrite, openMirrorReadOnly } from "../../src/mirror/database.js";
import { MirrorError } from "../../src/mirror/errors.js";
import { prepareMirrorFile } from "../../src/mirror/files.js";
import { APPLICATION_ID, SCHEMA_VERSION } from "../../src/mirror/schema.js";
import { tempHome } from "../helpers.js";

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("opening the mirror", () => {
  it("a new file becomes a mirror: WAL, the schema, and 0600 for it and every file beside it", async () => {
    const path = join(await tempHome(), "mirror.db");
    await prepareMirrorFile(path, { createDir: false });
    const db = await openMirrorForWrite(path);
    expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.prepare("PRAGMA application_id").get()).toEqual({ application_id: APPLICATION_ID });
    expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    const names = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    for (const name of [
      "accounts",
      "transactions",
      "merchants",
      "balances",
      "pots",
      "pot_balances",
      "syncs",
      "coverage",
      "transaction_changes",
      "spending_by_category_month",
      "pot_balances_over_time",
    ])
      expect(names).toContain(name);
    for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}.sync-lock`])
      expect(await mode(file)).toBe(0o600);
    db.close();
    // Opening again migrates nothing and keeps it.
    (await openMirrorForWrite(path)).close();
  });

  it("refuses a file that is not a mirror and leaves it exactly as it was", async () => {
    const home = await tempHome();
    const text = join(home, "notes.db");
    await writeFile(text, "date,amount\n2026-01-01,12.00\n".repeat(200));
    const other = join(home, "other.db");
    const foreign = new DatabaseSync(other);
    foreign.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    foreign.close();
    for (const path of [text, other]) {
      const before = await readFile(path);
      const error = await openMirrorForWrite(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MirrorError);
      expect((error as MirrorError).code).toBe("mirror.not_a_mirror");
      expect((error as MirrorError).hint).toMatch(/Nothing was changed/);
      expect(await readFile(path)).toEqual(before);
      await expect(openMirrorReadOnly(path)).rejects.toMatchObject({ code: "mirror.not_a_mirror" });
    }
  });

  it("refuses a mirror written by a newer Monzokit", async () => {
    const path = join(await tempHome(), "mirror.db");
    const db = await openMirrorForWrite(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openMirrorForWrite(path)).rejects.toMatchObject({ code: "mirror.newer_schema" });
    await expect(openMirrorReadOnly(path)).rejects.toMatchObject({ code: "mirror.newer_schema" });
  });

  it("a first sync killed while it set the file up (a hot rollback journal): readers are told to run monzo sync, which completes it", async () => {
    const path = join(await tempHome(), "mirror.db");
    await prepareMirrorFile(path, { createDir: false });
    // A writer killed mid-transaction before the file was in WAL mode: SQLite leaves a hot journal.
    const killed = spawnSync(process.execPath, [
      "-e",
      `const { DatabaseSync } = require("node:sqlite"); const db = new DatabaseSync(${JSON.stringify(path)});
       db.exec("PRAGMA cache_size = 1; BEGIN EXCLUSIVE; CREATE TABLE a (x); INSERT INTO a VALUES (randomblob(100000))");
       process.kill(process.pid, "SIGKILL");`,
    ]);
    expect(killed.signal).toBe("SIGKILL");
    await stat(`${path}-journal`);
    const error = await openMirrorReadOnly(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MirrorError);
    expect(error).toMatchObject({
      code: "mirror.interrupted",
      hint: expect.stringMatching(/Run monzo sync/),
    });
    // The next sync's connection rolls the journal back and sets the mirror up.
    const db = await openMirrorForWrite(path);
    expect(db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
    (await openMirrorReadOnly(path)).db.close();
  });

  it("read-only: no mirror yet is named with the fix; the connection refuses every write", async () => {
    const path = join(await tempHome(), "mirror.db");
    await expect(openMirrorReadOnly(path)).rejects.toMatchObject({
      code: "mirror.missing",
      hint: expect.stringMatching(/monzo sync/),
    });
    (await openMirrorForWrite(path)).close();
    const { db } = await openMirrorReadOnly(path);
    expect(() => db.exec("DELETE FROM accounts")).toThrow(/readonly|query_only|attempt to write/i);
    expect(() => db.exec("CREATE TEMP TABLE x (y)")).toThrow();
    db.close();
  });
});
