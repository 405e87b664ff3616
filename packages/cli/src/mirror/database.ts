import { lstat } from "node:fs/promises";
import { MirrorError } from "./errors.js";
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./schema.js";
import { type DatabaseSync, loadSqlite } from "./sqlite.js";

type Row = Record<string, unknown>;

/** SQLite's own error codes, as `node:sqlite` reports them in `errcode`. */
export const SQLITE_BUSY = 5;
export const SQLITE_NOTADB = 26;
export const SQLITE_READONLY = 8;

/** The SQLite result code of an error thrown by `node:sqlite`, if it is one. */
export function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" ? code & 0xff : undefined;
}

function notAMirror(path: string, what: string): MirrorError {
  return new MirrorError("mirror.not_a_mirror", `${path} is not a Monzokit mirror (${what})`, {
    hint: "Nothing was changed. Point --db at a mirror made by monzo sync, or at a new file.",
  });
}

/** The schema version of an open database, checking that it is a mirror (or, when writable, empty). */
function inspect(db: DatabaseSync, path: string): { version: number; empty: boolean } {
  let appId: number;
  let version: number;
  let tables: number;
  try {
    appId = Number((db.prepare("PRAGMA application_id").get() as Row)["application_id"]);
    version = Number((db.prepare("PRAGMA user_version").get() as Row)["user_version"]);
    tables = Number((db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as Row)["n"]);
  } catch (error) {
    if (sqliteCode(error) === SQLITE_NOTADB) throw notAMirror(path, "not an SQLite database");
    // A read-only connection cannot roll back the journal a writer killed mid-transaction left (only possible
    // before the file is in WAL mode: a first sync stopped while it set the file up). The next sync does.
    if (sqliteCode(error) === SQLITE_READONLY)
      throw new MirrorError(
        "mirror.interrupted",
        `The first sync of ${path} was stopped while it was setting the mirror up`,
        { hint: "Run monzo sync: it rolls back what was half-written and sets the mirror up." },
      );
    throw error;
  }
  const empty = appId === 0 && version === 0 && tables === 0;
  if (!empty && appId !== APPLICATION_ID) throw notAMirror(path, "another application's SQLite database");
  if (version > SCHEMA_VERSION)
    throw new MirrorError(
      "mirror.newer_schema",
      `The mirror ${path} was written by a newer Monzokit (schema ${version}; this one knows ${SCHEMA_VERSION})`,
      { hint: "Update Monzokit (npm install -g @monzokit/cli) to use it." },
    );
  return { version, empty };
}

/**
 * Opens the mirror for writing (the caller holds the sync lock and has made the path safe): WAL journaling,
 * so readers keep reading while a sync writes and a killed writer leaves the last committed state;
 * `synchronous = NORMAL`, which in WAL mode loses no commit when the process dies (only, at worst, the last
 * ones on a power cut — the next sync fetches them again); foreign keys on; migrations applied, each in
 * one transaction.
 */
export async function openMirrorForWrite(path: string): Promise<DatabaseSync> {
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(path, { timeout: 5000, enableForeignKeyConstraints: true });
  try {
    const { version } = inspect(db, path);
    const mode = (db.prepare("PRAGMA journal_mode = WAL").get() as Row)["journal_mode"];
    if (mode !== "wal")
      throw new MirrorError("mirror.no_wal", `SQLite could not put ${path} in WAL mode (it is in ${mode})`, {
        hint: "Keep the mirror on a local disk (WAL needs shared memory, which network file systems lack).",
      });
    db.exec("PRAGMA synchronous = NORMAL");
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.exec("BEGIN IMMEDIATE");
      try {
        db.exec(MIGRATIONS[i]!);
        if (i === 0) db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
        db.exec(`PRAGMA user_version = ${i + 1}`);
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing mirror read-only (`monzo sql`, exports): SQLite refuses every write on this connection,
 * and `query_only` refuses them even to temporary tables. Throws `MirrorError` when there is no mirror at
 * `path` yet, or the file is not one.
 */
export async function openMirrorReadOnly(path: string): Promise<{ db: DatabaseSync; version: number }> {
  const s = await lstat(path).catch(() => undefined);
  if (!s || (s.isFile() && s.size === 0))
    throw new MirrorError("mirror.missing", `There is no mirror at ${path} yet`, {
      hint: "Run monzo sync first (with the same --profile or --db).",
    });
  if (!s.isFile())
    throw new MirrorError("mirror.unsafe_path", `${path} is not a regular file`, {
      hint: "Point --db at the mirror file itself.",
    });
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  try {
    const { version, empty } = inspect(db, path);
    if (empty || version === 0)
      throw new MirrorError("mirror.missing", `There is no mirror at ${path} yet`, {
        hint: "Run monzo sync first (with the same --profile or --db).",
      });
    db.exec("PRAGMA query_only = ON");
    return { db, version };
  } catch (error) {
    db.close();
    throw error;
  }
}
