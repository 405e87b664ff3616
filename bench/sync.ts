/**
 * Mirror benchmarks (issue: keep your data):
 * 1. The first full `monzo sync` of ~100,000 transactions: time per transaction against exporting the same
 *    history to CSV in the same run (target ≤ 2×), and peak RSS (target ≤ 150 MB, the export's budget).
 * 2. A sync with nothing new on that mirror: transaction requests against the bound Σ (1 + ⌈n/100⌉) over the
 *    accounts (target ≤ 1), and time against the same sync of a mirror ~18× smaller with the same recent
 *    activity (target ≤ 1.5: the cost follows what is new, not the history).
 * 3. A sync with 100 new transactions on each: the same two comparisons.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { LOW_MEMORY_NODE_FLAGS } from "@monzokit/cli";
import { startChild } from "./lib/children.ts";
import { median, type Result, result } from "./lib/stats.ts";

export interface SyncBenchOptions {
  /** Transactions the first user's accounts hold in the large bank. */
  transactions: number;
  /** Days of history of the small bank (same activity per day as the large one's three years). */
  smallDays: number;
  newTransactions: number;
  runs: number;
}

export const FULL: SyncBenchOptions = { transactions: 100_000, smallDays: 60, newTransactions: 100, runs: 5 };
export const TINY: SyncBenchOptions = { transactions: 1_500, smallDays: 60, newTransactions: 10, runs: 1 };

/** The first user (whose login syncs) holds 1.17 of the seed's 1.47 shares (current, joint, Flex). */
const MIRRORED_SHARE = 1.17 / 1.47;
const YEARS = 3;
const DAY = 86_400_000;
const TRAILING_DAYS = 14;

type Child = { code: number; ms: number; rssBytes: number };

function runChild(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  flags: string[] = [],
): Promise<Child> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(
      process.execPath,
      [...flags, fileURLToPath(new URL(`./servers/${script}`, import.meta.url)), ...args],
      {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.once("exit", () => {
      try {
        const last = JSON.parse(out.trim().split("\n").pop()!) as Child;
        // Wall time as a person sees it: the process, start to end.
        resolve({ ...last, ms: performance.now() - started });
      } catch {
        reject(new Error(`${script} printed: ${out}`));
      }
    });
  });
}

interface Bank {
  url: string;
  token: string;
  account: string;
  home: string;
  env: NodeJS.ProcessEnv;
  db: string;
  stop: () => Promise<void>;
}

async function bank(transactions: number, years: number): Promise<Bank> {
  const emu = await startChild<{ url: string; token: string; account: string }>("mirror-emulator.ts", [
    String(Math.round(transactions / MIRRORED_SHARE)),
    String(years),
  ]);
  const home = await mkdtemp(join(tmpdir(), "monzokit-bench-sync-"));
  await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
  await writeFile(
    join(home, "tokens", "default.json"),
    JSON.stringify({
      accessToken: emu.info.token,
      expiresAt: Date.now() + 86_400_000,
      userId: "u",
      clientId: "c",
    }),
    { mode: 0o600 },
  );
  return {
    ...emu.info,
    home,
    env: {
      ...process.env,
      MONZOKIT_HOME: home,
      MONZO_API_URL: emu.info.url,
      MONZO_TOKEN_STORE: "file",
      NO_COLOR: "1",
    },
    db: join(home, "data", "default", "mirror.db"),
    stop: async () => {
      await emu.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

async function counters(b: Bank): Promise<{ list: number; total: number }> {
  const c = (await (await fetch(`${b.url}/_emulator/counters`)).json()) as {
    requests_total: number;
    requests: Record<string, number>;
  };
  return { list: c.requests["GET /transactions"] ?? 0, total: c.requests_total };
}

/** Σ over the accounts of 1 + ⌈n/100⌉, n = the account's transactions from the end of its last read − 14 days. */
function bound(db: string, ends: Map<string, number>): number {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    let sum = 0;
    for (const { id } of conn.prepare("SELECT id FROM accounts").all() as { id: string }[]) {
      const end = ends.get(id);
      const n =
        end === undefined
          ? 0
          : (
              conn
                .prepare("SELECT count(*) AS n FROM transactions WHERE account_id = ? AND created_ms >= ?")
                .get(id, end - TRAILING_DAYS * DAY) as { n: number }
            ).n;
      sum += 1 + Math.ceil(n / 100);
    }
    return sum;
  } finally {
    conn.close();
  }
}

/** The end of each account's last complete read, before a sync. */
function readEnds(db: string): Map<string, number> {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    const rows = conn
      .prepare("SELECT account_id, max(until_ms) AS until FROM coverage GROUP BY account_id")
      .all() as { account_id: string; until: number }[];
    return new Map(rows.map((r) => [r.account_id, r.until]));
  } finally {
    conn.close();
  }
}

function mirrored(db: string): number {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    return (conn.prepare("SELECT count(*) AS n FROM transactions").get() as { n: number }).n;
  } finally {
    conn.close();
  }
}

async function addPayments(b: Bank, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${b.url}/_emulator/transactions`, {
      method: "POST",
      body: JSON.stringify({ account_id: b.account, amount: -(100 + i), settled: i % 2 === 0 }),
    });
    if (res.status !== 201) throw new Error(`control API: ${res.status}`);
  }
}

async function measuredSync(b: Bank): Promise<{ ms: number; list: number; total: number; bound: number }> {
  const ends = readEnds(b.db);
  const before = await counters(b);
  const run = await runChild("cli-sync.ts", ["sync", "--quiet"], b.env, LOW_MEMORY_NODE_FLAGS);
  if (run.code !== 0) throw new Error(`monzo sync exited ${run.code}`);
  const after = await counters(b);
  return {
    ms: run.ms,
    list: after.list - before.list,
    // The second counters request counts itself: leave it out.
    total: after.total - before.total - 1,
    bound: bound(b.db, ends),
  };
}

export async function run(o: SyncBenchOptions): Promise<Result[]> {
  const large = await bank(o.transactions, YEARS);
  const small = await bank(Math.round((o.transactions * o.smallDays) / (YEARS * 365)), o.smallDays / 365);
  try {
    // 1. The first full sync, against exporting the main account's whole history in the same run.
    // With the V8 flags the bin re-executes itself with for syncs and exports.
    const first = await runChild("cli-sync.ts", ["sync", "--quiet"], large.env, LOW_MEMORY_NODE_FLAGS);
    if (first.code !== 0) throw new Error(`first sync exited ${first.code}`);
    const synced = mirrored(large.db);
    const exported = join(large.home, "export.csv");
    const exportRun = await runChild(
      "cli-export.ts",
      ["transactions", "export", "--all", "--quiet", exported],
      large.env,
      LOW_MEMORY_NODE_FLAGS,
    );
    if (exportRun.code !== 0) throw new Error(`export exited ${exportRun.code}`);
    const exportedCount = Number(
      (
        new DatabaseSync(large.db, { readOnly: true })
          .prepare("SELECT count(*) AS n FROM transactions WHERE account_id = ?")
          .get(large.account) as { n: number }
      ).n,
    );
    const smallFirst = await runChild("cli-sync.ts", ["sync", "--quiet"], small.env, LOW_MEMORY_NODE_FLAGS);
    if (smallFirst.code !== 0) throw new Error(`small first sync exited ${smallFirst.code}`);
    const syncUs = (first.ms * 1000) / synced;
    const exportUs = (exportRun.ms * 1000) / exportedCount;

    // 2 and 3, interleaved rounds: nothing new, then `newTransactions` new, on both mirrors.
    type Measured = Awaited<ReturnType<typeof measuredSync>>;
    const idle: { large: Measured[]; small: Measured[] } = { large: [], small: [] };
    const fresh: { large: Measured[]; small: Measured[] } = { large: [], small: [] };
    for (let i = 0; i < o.runs; i++) {
      idle.large.push(await measuredSync(large));
      idle.small.push(await measuredSync(small));
      await addPayments(large, o.newTransactions);
      await addPayments(small, o.newTransactions);
      fresh.large.push(await measuredSync(large));
      fresh.small.push(await measuredSync(small));
    }
    const med = (xs: { ms: number }[]) => median(xs.map((x) => x.ms));
    const worst = (xs: { list: number; bound: number }[]) => Math.max(...xs.map((x) => x.list / x.bound));
    const last = <T>(xs: T[]) => xs[xs.length - 1]!;
    const smallSize = mirrored(small.db);
    return [
      result({
        name: `sync: first full sync of ${synced.toLocaleString("en")} transactions (time per transaction)`,
        figure: `${(first.ms / 1000).toFixed(1)} s, ${syncUs.toFixed(0)} µs/transaction`,
        baseline: `export of ${exportedCount.toLocaleString("en")} to CSV: ${(exportRun.ms / 1000).toFixed(1)} s, ${exportUs.toFixed(0)} µs/transaction`,
        ratio: syncUs / exportUs,
        target: { op: "<=", value: 2 },
        notes:
          "both the published code in a child process against a loopback emulator; the sync covers every account",
      }),
      result({
        name: `sync: first full sync of ${synced.toLocaleString("en")} transactions (peak RSS)`,
        figure: `${(first.rssBytes / 1e6).toFixed(0)} MB`,
        baseline: `150 MB budget (the export's: ${(exportRun.rssBytes / 1e6).toFixed(0)} MB)`,
        ratio: first.rssBytes / 1e6 / 150,
        target: { op: "<=", value: 1 },
      }),
      result({
        name: `sync: nothing new, mirror of ${synced.toLocaleString("en")} (transaction requests vs the bound)`,
        figure: `${last(idle.large).list} transaction requests (${last(idle.large).total} in all)`,
        baseline: `bound Σ(1 + ⌈n/100⌉) = ${last(idle.large).bound}; a ${smallSize.toLocaleString("en")}-transaction mirror: ${last(idle.small).list} (${last(idle.small).total} in all)`,
        ratio: worst(idle.large),
        target: { op: "<=", value: 1 },
        notes: `worst of ${o.runs} runs; n = transactions in each account's trailing ${TRAILING_DAYS} days`,
      }),
      result({
        name: `sync: nothing new, mirror of ${synced.toLocaleString("en")} vs ${smallSize.toLocaleString("en")} (time)`,
        figure: `${med(idle.large).toFixed(0)} ms`,
        baseline: `${med(idle.small).toFixed(0)} ms`,
        ratio: med(idle.large) / med(idle.small),
        target: { op: "<=", value: 1.5 },
        notes: `${o.runs} interleaved runs, medians; a whole monzo sync process each`,
      }),
      result({
        name: `sync: ${o.newTransactions} new, mirror of ${synced.toLocaleString("en")} (transaction requests vs the bound)`,
        figure: `${last(fresh.large).list} transaction requests (${last(fresh.large).total} in all)`,
        baseline: `bound = ${last(fresh.large).bound}; the small mirror: ${last(fresh.small).list} (${last(fresh.small).total} in all)`,
        ratio: worst(fresh.large),
        target: { op: "<=", value: 1 },
        notes: `worst of ${o.runs} runs`,
      }),
      result({
        name: `sync: ${o.newTransactions} new, mirror of ${synced.toLocaleString("en")} vs ${smallSize.toLocaleString("en")} (time)`,
        figure: `${med(fresh.large).toFixed(0)} ms`,
        baseline: `${med(fresh.small).toFixed(0)} ms`,
        ratio: med(fresh.large) / med(fresh.small),
        target: { op: "<=", value: 1.5 },
        notes: `${o.runs} interleaved runs, medians`,
      }),
    ];
  } finally {
    await large.stop();
    await small.stop();
  }
}
