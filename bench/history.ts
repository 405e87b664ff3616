/**
 * History benchmarks (issue: history that costs no more requests than a simple walk, holds transactions
 * compactly, and slows down by itself under rate limits). Every figure is against the plain walk other
 * libraries do — `since=<last id>`, 100 a page, one page at a time — measured in the same run against the
 * same emulator, which runs in its own process on a loopback port with a fixed latency per request:
 * 1. 20,000 transactions at 30 ms: time (target ≥ 5× faster at the default concurrency) and requests.
 * 2. 1,000 transactions at 5 ms: time (target: never slower) and requests.
 * 3. Requests on bursty and years-old-with-quiet-months accounts (target ≤ 1.05× everywhere).
 * 4. Heap per transaction and peak RSS of a 20,000-transaction history against a bare walk with
 *    `fetch` + `JSON.parse` holding the same transactions, each in a process of its own (target ≤ 1.2×).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MonzoClient } from "@monzokit/core";
import { countingFetch, type ShapeSpec, sequentialTransactions } from "../test-support/account-shapes.ts";
import { startChild } from "./lib/children.ts";
import { CPU, pin, pinnedLoadGenerator, placement } from "./lib/cpus.ts";
import { median, type Result, result } from "./lib/stats.ts";

export interface HistoryBenchOptions {
  /** Transactions on the dense account (seeded bank, main current account). */
  dense: number;
  denseLatencyMs: number;
  denseRounds: number;
  sparse: number;
  sparseLatencyMs: number;
  sparseRounds: number;
  /** The shapes whose requests are counted (no latency). */
  shapes: { name: string; spec: ShapeSpec }[];
  /** Transactions for the memory figures. */
  memory: number;
}

const BURSTY: ShapeSpec = {
  kind: "bursty",
  years: 3,
  grain: 1,
  seed: 11,
  count: 600,
  bursts: 14,
  burstSize: 500,
  burstHours: 48,
  activeShare: 0,
};
const QUIET: ShapeSpec = {
  kind: "quiet",
  years: 6,
  grain: 1,
  seed: 12,
  count: 220,
  bursts: 0,
  burstSize: 0,
  burstHours: 0,
  activeShare: 0.3,
};

export const FULL: HistoryBenchOptions = {
  dense: 20_000,
  denseLatencyMs: 30,
  denseRounds: 3,
  sparse: 1_000,
  sparseLatencyMs: 5,
  sparseRounds: 61,
  shapes: [
    { name: "bursty (14 bursts of up to 500 in two days, 600 between)", spec: BURSTY },
    { name: "six years old, 30% of months active (up to 220 each)", spec: QUIET },
  ],
  memory: 20_000,
};
export const TINY: HistoryBenchOptions = {
  dense: 600,
  denseLatencyMs: 1,
  denseRounds: 1,
  sparse: 150,
  sparseLatencyMs: 1,
  sparseRounds: 1,
  shapes: [{ name: "bursty", spec: { ...BURSTY, count: 50, bursts: 3, burstSize: 80 } }],
  memory: 600,
};

interface Served {
  url: string;
  token: string;
  account: string;
  firstId: string;
  count: number;
}

/** The seeded bank's `transactions` option that puts about `n` on the main current account. */
const seededFor = (n: number) => Math.round(n * 1.47);

async function serve(spec: { seeded?: number; shape?: ShapeSpec; latencyMs: number }) {
  return startChild<Served>("history-emulator.ts", [JSON.stringify(spec)]);
}

/**
 * Times the plain walk and `history` in interleaved rounds; counts the requests of each. Both start after
 * the first transaction, or both from the account's opening (what `monzo transactions export --all` asks).
 */
async function race(info: Served, rounds: number, fromOpening = false) {
  const seq = countingFetch((i, init) => fetch(i, init));
  const hist = countingFetch((i, init) => fetch(i, init));
  const make = (f: typeof fetch) => new MonzoClient({ accessToken: info.token, apiUrl: info.url, fetch: f });
  const plain = make(seq.fetch);
  const ours = make(hist.fetch);
  const plainMs: number[] = [];
  const oursMs: number[] = [];
  let plainRequests = 0;
  let ourRequests = 0;
  let same = true;
  const walkPlain = async () => {
    seq.counts.requests = 0;
    const started = performance.now();
    // It keeps what it fetched, as `history(…).toArray()` does: both hold the same transactions.
    const kept = await sequentialTransactions(plain, info.account, fromOpening ? undefined : info.firstId);
    plainMs.push(performance.now() - started);
    plainRequests = seq.counts.requests;
    return kept.map((t) => t.id);
  };
  const walkOurs = async () => {
    hist.counts.requests = 0;
    const started = performance.now();
    const got = await ours.transactions
      .history({ accountId: info.account, ...(fromOpening ? {} : { since: info.firstId }) })
      .toArray();
    oursMs.push(performance.now() - started);
    ourRequests = Math.max(ourRequests, hist.counts.requests);
    return got.map((t) => t.id);
  };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on the other's garbage.
    let a: string[];
    let b: string[];
    if (r % 2 === 0) {
      a = await walkPlain();
      b = await walkOurs();
    } else {
      b = await walkOurs();
      a = await walkPlain();
    }
    same &&= a.length === b.length && a.every((id, i) => id === b[i]);
  }
  if (!same) throw new Error("history differs from the plain walk");
  return {
    plain: median(plainMs),
    ours: median(oursMs),
    plainRequests,
    ourRequests,
    transactions: fromOpening ? info.count : info.count - 1,
  };
}

function requestsResult(
  label: string,
  r: { plainRequests: number; ourRequests: number; transactions: number },
) {
  return result({
    name: `history: requests, ${label}`,
    figure: `${r.ourRequests} requests`,
    baseline: `plain since=<last id> walk: ${r.plainRequests}`,
    ratio: r.ourRequests / r.plainRequests,
    target: { op: "<=", value: 1.05 },
    notes: `${r.transactions.toLocaleString("en")} transactions; identical results (same ids, same order)`,
  });
}

export async function speed(o: HistoryBenchOptions): Promise<Result[]> {
  const out: Result[] = [];
  for (const [n, latency, rounds, target] of [
    [o.dense, o.denseLatencyMs, o.denseRounds, 5],
    [o.sparse, o.sparseLatencyMs, o.sparseRounds, 1],
  ] as const) {
    const emu = await serve({ seeded: seededFor(n), latencyMs: latency });
    try {
      pin(emu.child.pid!, CPU.server);
      const r = await pinnedLoadGenerator(async () => {
        await race(emu.info, 1); // warm-up
        return race(emu.info, rounds);
      });
      out.push(
        result({
          name: `history: ${r.transactions.toLocaleString("en")} transactions, ${latency} ms latency, default concurrency`,
          figure: `${(r.ours / 1000).toFixed(2)} s`,
          baseline: `plain walk: ${(r.plain / 1000).toFixed(2)} s`,
          ratio: r.plain / r.ours,
          target: { op: ">=", value: target },
          notes: `${target === 1 ? "never slower" : `${target}× faster`} targeted; medians of ${rounds} interleaved rounds; emulator in its own process (${placement})`,
        }),
        requestsResult(`${r.transactions >= 10_000 ? "dense" : "sparse"} account`, r),
      );
      if (target === 1) {
        // The way the CLI calls it: from the account's opening, which both walks look up first.
        const opening = await pinnedLoadGenerator(() => race(emu.info, rounds, true));
        out.push(
          result({
            name: `history: ${opening.transactions.toLocaleString("en")} transactions from the account's opening, ${latency} ms latency`,
            figure: `${(opening.ours / 1000).toFixed(2)} s`,
            baseline: `plain walk (GET /accounts, then since=<opening>): ${(opening.plain / 1000).toFixed(2)} s`,
            ratio: opening.plain / opening.ours,
            target: { op: ">=", value: 1 },
            notes: `${opening.ourRequests} requests against ${opening.plainRequests}; the walk's first backward page goes out beside GET /accounts`,
          }),
        );
      }
    } finally {
      await emu.stop();
    }
  }
  return out;
}

export async function economy(o: HistoryBenchOptions): Promise<Result[]> {
  const out: Result[] = [];
  for (const { name, spec } of o.shapes) {
    const emu = await serve({ shape: spec, latencyMs: 0 });
    try {
      const r = await race(emu.info, 1);
      out.push(requestsResult(name, r));
    } finally {
      await emu.stop();
    }
  }
  return out;
}

interface MemoryFigures {
  count: number;
  heapPerTransaction: number;
  maxRssBytes: number;
}

function probe(mode: "bare" | "history", info: Served): Promise<MemoryFigures> {
  const script = fileURLToPath(new URL("./servers/history-memory.ts", import.meta.url));
  const args = ["--expose-gc", script, mode, info.url, info.token, info.account, info.firstId];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`history-memory ${mode} exited ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as MemoryFigures);
    });
  });
}

export async function memory(o: HistoryBenchOptions): Promise<Result[]> {
  const emu = await serve({ seeded: seededFor(o.memory), latencyMs: 0 });
  try {
    // Alternate the two, three times each, and take the lowest peak of each (RSS moves with the GC's
    // timing by ±10% between runs of the same code on this machine).
    const bare: MemoryFigures[] = [];
    const ours: MemoryFigures[] = [];
    for (let i = 0; i < 3; i++) {
      bare.push(await probe("bare", emu.info));
      ours.push(await probe("history", emu.info));
    }
    const low = (xs: MemoryFigures[], key: keyof MemoryFigures) => Math.min(...xs.map((x) => x[key]));
    const heapOurs = low(ours, "heapPerTransaction");
    const heapBare = low(bare, "heapPerTransaction");
    const rssOurs = low(ours, "maxRssBytes");
    const rssBare = low(bare, "maxRssBytes");
    const n = ours[0]!.count.toLocaleString("en");
    return [
      result({
        name: `history: heap per transaction held (${n} transactions, after GC)`,
        figure: `${heapOurs.toFixed(0)} B`,
        baseline: `JSON.parse of the same pages: ${heapBare.toFixed(0)} B`,
        ratio: heapOurs / heapBare,
        target: { op: "<=", value: 1.2 },
        notes: "each walk in a process of its own, holding every transaction; the lowest of three runs",
      }),
      result({
        name: `history: peak RSS holding ${n} transactions`,
        figure: `${(rssOurs / 2 ** 20).toFixed(0)} MB`,
        baseline: `bare walk (fetch + JSON.parse, one page at a time): ${(rssBare / 2 ** 20).toFixed(0)} MB`,
        ratio: rssOurs / rssBare,
        target: { op: "<=", value: 1.2 },
        notes: "history at its default concurrency; the lowest of three runs each",
      }),
    ];
  } finally {
    await emu.stop();
  }
}

export async function run(o: HistoryBenchOptions): Promise<Result[]> {
  return [...(await speed(o)), ...(await economy(o)), ...(await memory(o))];
}
