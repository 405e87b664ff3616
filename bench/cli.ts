/**
 * CLI benchmarks (issue: CLI performance):
 * 1. `monzo --version` vs `node -e ""` (target ≤ 1.6×).
 * 2. `monzo accounts --json` against a local emulator vs `node -e ""` (target ≤ 2.5×).
 * 3. Exporting 100,000 transactions to CSV: peak RSS (target < 150 MB).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOW_MEMORY_NODE_FLAGS } from "@monzokit/cli";
import { startChild } from "./lib/children.ts";
import { median, type Result, result } from "./lib/stats.ts";

export interface CliBenchOptions {
  runs: number;
  exportTransactions: number;
}

export const FULL: CliBenchOptions = { runs: 15, exportTransactions: 100_000 };
export const TINY: CliBenchOptions = { runs: 2, exportTransactions: 500 };

// What npm links as `monzo`: the committed entry, which loads the bundle.
const BIN = fileURLToPath(new URL("../packages/cli/bin/monzo.js", import.meta.url));

function timeProcess(args: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.once("exit", (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${args.join(" ")} exited ${code}: ${err}`)),
    );
  });
}

async function loggedInHome(url: string, token: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "monzokit-bench-"));
  await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
  const tokens = {
    accessToken: token,
    expiresAt: Date.now() + 86_400_000,
    userId: "user_bench",
    clientId: "oauth2client_bench",
  };
  await writeFile(join(home, "tokens", "default.json"), JSON.stringify(tokens), { mode: 0o600 });
  void url;
  return home;
}

export async function startup(o: CliBenchOptions): Promise<Result[]> {
  const emu = await startChild<{ url: string; token: string }>("emulator.ts", ["500"]);
  const home = await loggedInHome(emu.info.url, emu.info.token);
  const env = { ...process.env, MONZOKIT_HOME: home, MONZO_API_URL: emu.info.url, NO_COLOR: "1" };
  try {
    const base: number[] = [];
    const version: number[] = [];
    const accounts: number[] = [];
    await timeProcess(["-e", ""], env);
    await timeProcess([BIN, "--version"], env);
    await timeProcess([BIN, "accounts", "--json"], env);
    for (let i = 0; i < o.runs; i++) {
      base.push(await timeProcess(["-e", ""], env));
      version.push(await timeProcess([BIN, "--version"], env));
      accounts.push(await timeProcess([BIN, "accounts", "--json"], env));
    }
    const b = median(base);
    return [
      result({
        name: 'cli: monzo --version vs node -e ""',
        figure: `${median(version).toFixed(0)} ms`,
        baseline: `${b.toFixed(0)} ms`,
        ratio: median(version) / b,
        target: { op: "<=", value: 1.6 },
        notes: `${o.runs} interleaved runs, medians`,
      }),
      result({
        name: 'cli: monzo accounts --json (local emulator) vs node -e ""',
        figure: `${median(accounts).toFixed(0)} ms`,
        baseline: `${b.toFixed(0)} ms`,
        ratio: median(accounts) / b,
        target: { op: "<=", value: 2.5 },
        notes: "lazy-loaded command; one HTTP round trip to a loopback emulator",
      }),
    ];
  } finally {
    await emu.stop();
    await rm(home, { recursive: true, force: true });
  }
}

export async function exportMemory(o: CliBenchOptions): Promise<Result> {
  // The emulator's `transactions` is the whole bank; about 68% lands on the main current account.
  const emu = await startChild<{ url: string; token: string; account: string }>("emulator.ts", [
    String(Math.round(o.exportTransactions * 1.47)),
  ]);
  const home = await loggedInHome(emu.info.url, emu.info.token);
  const file = join(home, "export.csv");
  try {
    const child = await new Promise<{ code: number; rssBytes: number }>((resolve, reject) => {
      const p = spawn(
        process.execPath,
        // The same V8 flags the `monzo` bin re-executes itself with for exports.
        [
          ...LOW_MEMORY_NODE_FLAGS,
          fileURLToPath(new URL("./servers/cli-export.ts", import.meta.url)),
          "transactions",
          "export",
          "--all",
          file,
        ],
        {
          env: { ...process.env, MONZOKIT_HOME: home, MONZO_API_URL: emu.info.url },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let out = "";
      p.stdout.on("data", (d) => {
        out += d;
      });
      p.once("exit", () => {
        try {
          resolve(JSON.parse(out.trim().split("\n").pop()!));
        } catch {
          reject(new Error(`export run printed: ${out}`));
        }
      });
    });
    if (child.code !== 0) throw new Error(`export exited ${child.code}`);
    const mb = child.rssBytes / 1e6;
    // Reference: the history as raw JSON, what a library that collects it all before writing would hold.
    const jsonMb = (await rawJsonBytes(emu.info.url, emu.info.token, emu.info.account)) / 1e6;
    return result({
      name: `cli: export ~${o.exportTransactions.toLocaleString("en")} transactions to CSV (peak RSS)`,
      figure: `${mb.toFixed(0)} MB`,
      baseline: "150 MB budget",
      ratio: mb / 150,
      target: { op: "<=", value: 1 },
      notes: `streamed to the file as windows arrive; the same history as raw JSON is ${jsonMb.toFixed(0)} MB (parsed, several times that)`,
    });
  } finally {
    await emu.stop();
    await rm(home, { recursive: true, force: true });
  }
}

/** Bytes of the whole history as the API sends it (JSON): from the oldest transaction, since=<last id> pages. */
async function rawJsonBytes(url: string, token: string, account: string): Promise<number> {
  let total = 0;
  let since = await oldestId(url, token, account);
  for (;;) {
    const q = new URLSearchParams({ account_id: account, limit: "100", since });
    const text = await (
      await fetch(`${url}/transactions?${q}`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    const page = JSON.parse(text) as { transactions: { id: string }[] };
    total += text.length;
    if (page.transactions.length < 100) return total;
    since = page.transactions.at(-1)!.id;
  }
}

async function oldestId(url: string, token: string, account: string): Promise<string> {
  // Walk back from the newest page with before=<oldest created> until nothing older remains.
  let before = new Date(Date.now() + 60_000).toISOString();
  let oldest = "";
  for (;;) {
    const q = new URLSearchParams({ account_id: account, limit: "100", before });
    const page = (await (
      await fetch(`${url}/transactions?${q}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { transactions: { id: string; created: string }[] };
    if (page.transactions.length === 0) return oldest;
    oldest = page.transactions[0]!.id;
    before = page.transactions[0]!.created;
  }
}

export async function run(o: CliBenchOptions): Promise<Result[]> {
  return [...(await startup(o)), await exportMemory(o)];
}
