/**
 * CLI benchmarks (issue: CLI performance):
 * 1. `monzo --version` vs `node -e ""` (target ≤ 1.6×).
 * 2. `monzo --help` vs `node -e ""` (target ≤ 2×): the program, every command's summary, no command loaded.
 * 3. `monzo balance` against a local emulator vs `node -e ""` (target ≤ 2.5×): one command's module, the
 *    session and one HTTP round trip.
 * 4. Exporting 100,000 transactions to CSV: peak RSS (target < 150 MB).
 * All three start-up figures are measured in the same interleaved rounds against the same baseline.
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

/**
 * Each child reports its own CPU time (user + system, from `process.cpuUsage()` at exit) on fd 3: on a
 * shared, loaded machine wall time mostly measures the queue for a CPU, while CPU time is the start-up cost
 * itself. The same preload runs in the baseline, so its tiny cost cancels out.
 */
const CPU_PRELOAD = `data:text/javascript,${encodeURIComponent(
  'import { writeSync } from "node:fs"; process.on("exit", () => { const u = process.cpuUsage(); try { writeSync(3, String((u.user + u.system) / 1000)); } catch {} });',
)}`;

function timeProcess(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ wall: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", CPU_PRELOAD, ...args], {
      env,
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    let err = "";
    let cpu = "";
    child.stderr!.on("data", (d) => {
      err += d;
    });
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (d) => {
      cpu += d;
    });
    child.once("close", (code) =>
      code === 0
        ? resolve({ wall: performance.now() - started, cpu: Number(cpu) })
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
    const runs = { base: [], version: [], help: [], balance: [] } as Record<
      "base" | "version" | "help" | "balance",
      { wall: number; cpu: number }[]
    >;
    const commands = {
      base: ["-e", ""],
      version: [BIN, "--version"],
      help: [BIN, "--help"],
      balance: [BIN, "balance"],
    } as const;
    // Warm-up: the first runs fill the OS file cache and Node's compile cache.
    for (let i = 0; i < 2; i++) for (const args of Object.values(commands)) await timeProcess([...args], env);
    for (let i = 0; i < o.runs; i++)
      for (const [name, args] of Object.entries(commands))
        runs[name as keyof typeof runs].push(await timeProcess([...args], env));
    const wall = (name: keyof typeof runs) => median(runs[name].map((r) => r.wall));
    const cpu = (name: keyof typeof runs) => median(runs[name].map((r) => r.cpu));
    const b = wall("base");
    const row = (name: "version" | "help" | "balance", title: string, target: number, what: string) =>
      result({
        name: `cli: ${title} vs node -e ""`,
        figure: `${wall(name).toFixed(0)} ms`,
        baseline: `${b.toFixed(0)} ms`,
        ratio: wall(name) / b,
        target: { op: "<=", value: target },
        notes: `${what}; ${o.runs} interleaved runs, medians; CPU time ${cpu(name).toFixed(0)} ms vs ${cpu("base").toFixed(0)} ms = ${(cpu(name) / cpu("base")).toFixed(2)}`,
      });
    return [
      row("version", "monzo --version", 1.6, "answered before anything else loads"),
      row("help", "monzo --help", 2, "the program and every command's summary; no command module loaded"),
      row(
        "balance",
        "monzo balance (local emulator)",
        2.5,
        "one command's module, the session, one HTTP round trip",
      ),
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
