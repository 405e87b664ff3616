/**
 * Crashes during `monzo sync`: the published bin is SIGKILLed at random moments of a first full sync and of
 * later incremental ones, again and again, while the bank keeps changing (new payments, declines, settlements at
 * other amounts, notes edited) and while a second sync sometimes races the first. After every kill the mirror must
 * open and pass `PRAGMA integrity_check`; the next sync must complete; and at the end the mirror must be exactly
 * what a fresh full fetch returns, field for field.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { LOW_MEMORY_NODE_FLAGS } from "@monzokit/cli";
import { MonzoClient } from "@monzokit/core";
import { serveEmulator } from "@monzokit/emulator";
import { compareMirrorWithBank } from "../test-support/mirror.ts";

const BIN = fileURLToPath(new URL("../packages/cli/dist/bundle/bin.js", import.meta.url));

export interface MirrorCrashOptions {
  transactions: number;
  kills: number;
  seed?: number;
}

export const CI: MirrorCrashOptions = { transactions: 3000, kills: 24 };
export const SOAK: MirrorCrashOptions = { transactions: 20_000, kills: 200 };

export interface MirrorCrashResult {
  kills: number;
  /** Kills that landed while the first sync was still reading the history (the mirror was incomplete). */
  duringFirstSync: number;
  /** Kills that landed during an incremental sync. */
  duringIncremental: number;
  /** Kills that came after the sync had started writing (its run is recorded in the mirror). */
  afterItStartedWriting: number;
  /** Of those, kills during incremental syncs. */
  incrementalAfterItStartedWriting: number;
  /** First syncs that completed despite the kills (then the suite started another from nothing). */
  firstSyncsCompleted: number;
  /** Kills after which the mirror held fewer transactions than before the run (committed work lost). */
  lostCommitted: number;
  /** Runs that finished before their kill came. */
  finishedFirst: number;
  /** Races of two syncs at once: how many, and how many of the second were told another was running. */
  races: number;
  toldBusy: number;
  /** Kills that left the hot journal of a file not yet in WAL mode (a first sync stopped while setting it up). */
  hotJournals: number;
  /** Every mirror after a kill opened and passed integrity_check. */
  alwaysIntact: boolean;
  /** Every sync that was not killed exited 0 (or 11 when it raced another). */
  otherOutcomes: string[];
  /** Changes made at the bank during the suite. */
  bankChanges: number;
  /** The final comparison with a fresh full fetch. */
  transactions: number;
  differences: string[];
  /** How long an uninterrupted first sync took (the kill times are spread over it). */
  firstSyncMs: number;
  /** How long an uninterrupted incremental sync took (the later kill times are spread over it). */
  incrementalSyncMs: number;
  seconds: number;
}

function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

function start(args: string[], env: Record<string, string>, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now();
    // The bin re-executes a sync as a child with memory-bounding V8 flags; start that child directly (as the
    // bin would, flags and all) so the kill lands on the process that writes the mirror.
    const child = spawn(process.execPath, [...LOW_MEMORY_NODE_FLAGS, BIN, ...args], {
      env: { ...env, MONZOKIT_LOW_MEMORY: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: performance.now() - started });
    });
  });
}

/**
 * Why the mirror at `path` is not intact, or undefined when it is: it opens, passes integrity_check, and holds
 * either the whole schema or none of it yet (a sync killed before its first migration committed leaves the
 * empty database it had just created, which the next sync sets up). A first sync killed while the file was
 * still in rollback-journal mode leaves a hot journal, which a read-only reader cannot roll back (`monzo sql`
 * says to run monzo sync): then a copy is opened read-write, as the next sync would, and checked the same way.
 */
function brokenBecause(path: string, onHotJournal: () => void): string | undefined {
  const check = (file: string, readOnly: boolean): string | undefined => {
    const db = new DatabaseSync(file, { readOnly });
    try {
      const row = db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
      if (row.integrity_check !== "ok") return `integrity_check: ${row.integrity_check}`;
      const version = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number }).n;
      if (version === 0 && tables === 0) return undefined;
      db.prepare("SELECT count(*) FROM transactions").get();
      return undefined;
    } finally {
      db.close();
    }
  };
  try {
    return check(path, true);
  } catch (error) {
    const code = ((error as { errcode?: number }).errcode ?? 0) & 0xff;
    if (code !== 8 || !existsSync(`${path}-journal`)) return `could not read it: ${(error as Error).message}`;
    onHotJournal();
    const dir = mkdtempSync(join(tmpdir(), "monzokit-mirror-copy-"));
    try {
      const copy = join(dir, "mirror.db");
      for (const suffix of ["", "-journal"]) copyFileSync(`${path}${suffix}`, `${copy}${suffix}`);
      return check(copy, false);
    } catch (inner) {
      return `a copy would not open read-write: ${(inner as Error).message}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** How many transactions and sync runs the mirror holds (0 when there is none yet). */
function stats(path: string): { transactions: number; syncs: number } {
  if (!existsSync(path)) return { transactions: 0, syncs: 0 };
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const t = db.prepare("SELECT count(*) AS n FROM transactions").get() as { n: number };
      const s = db.prepare("SELECT count(*) AS n FROM syncs").get() as { n: number };
      return { transactions: t.n, syncs: s.n };
    } finally {
      db.close();
    }
  } catch {
    return { transactions: 0, syncs: 0 };
  }
}

/** Whether every account's history is complete in the mirror yet (no first sync still under way). */
function complete(path: string): boolean {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const accounts = db.prepare("SELECT count(*) AS n FROM accounts").get() as { n: number };
      const synced = db.prepare("SELECT count(*) AS n FROM accounts WHERE last_synced IS NOT NULL").get() as {
        n: number;
      };
      return accounts.n > 0 && synced.n === accounts.n;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

export async function runMirrorCrashSuite(options: MirrorCrashOptions): Promise<MirrorCrashResult> {
  const began = performance.now();
  const emu = await serveEmulator(
    // The full-history window stays open for the whole suite, so the last fetch can read everything.
    { seed: "mirror-crash", transactions: options.transactions, historyWindowMs: 24 * 3_600_000 },
    { port: 0 },
  );
  const control = async (path: string, body: unknown, method = "POST") => {
    const res = await fetch(`${emu.url}/_emulator${path}`, { method, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const { access_token: token } = (await control("/tokens", { ttl_seconds: 365 * 86_400 })) as {
    access_token: string;
  };
  const home = await mkdtemp(join(tmpdir(), "monzokit-mirror-crash-"));
  await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
  await writeFile(
    join(home, "tokens", "default.json"),
    JSON.stringify({
      accessToken: token,
      expiresAt: Date.now() + 7 * 86_400_000,
      userId: "u",
      clientId: "c",
    }),
    { mode: 0o600 },
  );
  const env = {
    PATH: process.env["PATH"] ?? "",
    MONZOKIT_HOME: home,
    MONZO_API_URL: emu.url,
    MONZO_TOKEN_STORE: "file",
    NO_COLOR: "1",
  };
  const mirror = join(home, "data", "default", "mirror.db");
  const users = (await (await fetch(`${emu.url}/_emulator`)).json()) as {
    users: { accounts: { id: string; type: string }[] }[];
  };
  const spendable = users.users[0]!.accounts.filter(
    (a) => a.type === "uk_retail" || a.type === "uk_retail_joint",
  );
  const next = lcg(options.seed ?? 11);
  const result: MirrorCrashResult = {
    kills: 0,
    duringFirstSync: 0,
    duringIncremental: 0,
    afterItStartedWriting: 0,
    incrementalAfterItStartedWriting: 0,
    firstSyncsCompleted: 0,
    lostCommitted: 0,
    finishedFirst: 0,
    races: 0,
    toldBusy: 0,
    hotJournals: 0,
    alwaysIntact: true,
    otherOutcomes: [],
    bankChanges: 0,
    transactions: 0,
    differences: [],
    firstSyncMs: 0,
    incrementalSyncMs: 0,
    seconds: 0,
  };
  const acceptable = (r: Run, raced: boolean) =>
    r.signal === "SIGKILL" || r.code === 0 || (raced && r.code === 11 && /Another monzo sync/.test(r.stderr));
  try {
    // How long a whole first sync takes here, on a mirror of its own: kills are spread over that.
    const probe = await start(["sync", "--quiet", "--db", join(home, "probe.db")], env);
    if (probe.code !== 0) throw new Error(`an uninterrupted sync failed: ${probe.stderr}`);
    result.firstSyncMs = probe.ms;
    let incrementalMs = 0;
    const firstKills = Math.ceil(options.kills / 2);
    for (let i = 0; i < options.kills; i++) {
      if (i < firstKills && complete(mirror)) {
        // A first sync finished: start another one from nothing, to kill it again.
        result.firstSyncsCompleted++;
        for (const file of [mirror, `${mirror}-wal`, `${mirror}-shm`]) await rm(file, { force: true });
      }
      if (i === firstKills) {
        // From here on, incremental syncs over a network with some latency (so two syncs at once overlap):
        // let the first one finish.
        await control("/faults", { latency_ms: 20 });
        const done = await start(["sync", "--quiet"], env);
        if (done.code !== 0) result.otherOutcomes.push(`first sync: ${done.code}: ${done.stderr.trim()}`);
        // How long an incremental sync takes here: later kills are spread over that.
        const timed = await start(["sync", "--quiet"], env);
        if (timed.code !== 0)
          result.otherOutcomes.push(`incremental sync: ${timed.code}: ${timed.stderr.trim()}`);
        incrementalMs = timed.ms;
        result.incrementalSyncMs = timed.ms;
      }
      const first = i < firstKills;
      // The bank moves on between runs: payments, a decline, a settlement at another amount, an edited note.
      if (!first && next() < 0.7) {
        const account = spendable[Math.floor(next() * spendable.length)]!;
        await control("/clock", { advance_ms: Math.floor(next() * 2 * 3_600_000) });
        const tx = (await control("/transactions", {
          account_id: account.id,
          amount: -Math.floor(100 + next() * 5000),
          settle_after_ms: Math.floor(next() * 4 * 3_600_000),
          settle_amount: -Math.floor(100 + next() * 6000),
        })) as { transaction: { id: string } };
        if (next() < 0.3)
          await control("/transactions", { account_id: account.id, amount: -2500, kind: "declined" });
        if (next() < 0.4)
          await control(`/transactions/${tx.transaction.id}`, { notes: `note ${i}` }, "PATCH");
        result.bankChanges++;
      }
      const before = stats(mirror);
      const window = first ? result.firstSyncMs : incrementalMs;
      const race = !first && i % 4 === 3;
      const killAt = Math.floor(next() * window * (race ? 2 : 1));
      const runs = race
        ? await Promise.all([start(["sync", "--quiet"], env, killAt), start(["sync", "--quiet"], env)])
        : [await start(["sync", "--quiet"], env, killAt)];
      if (race) result.races++;
      for (const r of runs) {
        if (r.code === 11) result.toldBusy++;
        if (!acceptable(r, race))
          result.otherOutcomes.push(`run ${i}: ${r.code ?? r.signal}: ${r.stderr.trim().split("\n")[0]}`);
      }
      const after = stats(mirror);
      const broken = existsSync(mirror) ? brokenBecause(mirror, () => result.hotJournals++) : undefined;
      if (broken) {
        result.alwaysIntact = false;
        result.otherOutcomes.push(`after run ${i}: ${broken}`);
      }
      // What a killed sync committed is never lost.
      if (after.transactions < before.transactions) result.lostCommitted++;
      if (runs[0]!.signal === "SIGKILL") {
        result.kills++;
        if (first) result.duringFirstSync++;
        else result.duringIncremental++;
        if (after.syncs > before.syncs) {
          result.afterItStartedWriting++;
          if (!first) result.incrementalAfterItStartedWriting++;
        }
      } else {
        result.finishedFirst++;
        if (!first) incrementalMs = runs[0]!.ms;
      }
    }
    // The next sync completes it; a fresh full fetch must then equal the mirror, field for field.
    const last = await start(["sync", "--quiet"], env);
    if (last.code !== 0) result.otherOutcomes.push(`final sync: ${last.code}: ${last.stderr.trim()}`);
    // The clock has moved on past the first login's window: a new login reads the whole history.
    const fresh = (await control("/tokens", { ttl_seconds: 3600 })) as { access_token: string };
    const { now } = (await (await fetch(`${emu.url}/_emulator/clock`)).json()) as { now: string };
    const comparison = await compareMirrorWithBank(
      mirror,
      new MonzoClient({ accessToken: fresh.access_token, apiUrl: emu.url }),
      // The emulator's clock has run ahead of this machine's: fetch up to its now.
      { before: new Date(Date.parse(now) + 1000) },
    );
    result.transactions = comparison.transactions;
    result.differences = comparison.differences.slice(0, 20);
  } finally {
    await emu.close();
    await rm(home, { recursive: true, force: true });
  }
  result.seconds = Math.round((performance.now() - began) / 100) / 10;
  return result;
}
