/**
 * Emulator benchmarks (issue: emulator performance):
 * 1. GET /balance throughput vs a bare node:http server answering the same JSON (target ≥ 0.70).
 * 2. A GET /transactions page (limit 100) with 100,000 seeded transactions vs with 1,000 (target ≤ 2×).
 * 3. Seeding 100,000 transactions: time (target < 5 s) and peak RSS (target < 300 MB).
 */

import { createEmulator } from "@monzokit/emulator";
import autocannon from "autocannon";
import { startChild } from "./lib/children.ts";
import { CPU, pin, pinnedLoadGenerator, placement } from "./lib/cpus.ts";
import { median, type Result, result } from "./lib/stats.ts";

export interface EmulatorBenchOptions {
  rounds: number;
  /** Seconds per autocannon run. */
  seconds: number;
  connections: number;
  bigBank: number;
  smallBank: number;
  pageRequests: number;
}

export const FULL: EmulatorBenchOptions = {
  rounds: 5,
  seconds: 4,
  connections: 20,
  bigBank: 100_000,
  smallBank: 1_000,
  pageRequests: 2000,
};
export const TINY: EmulatorBenchOptions = {
  rounds: 1,
  seconds: 0.3,
  connections: 2,
  bigBank: 2_000,
  smallBank: 200,
  pageRequests: 20,
};

async function requestsPerSecond(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<number> {
  const out = await autocannon({ url, headers, duration: seconds, connections, pipelining: 1 });
  if (out.non2xx > 0 || out.errors > 0)
    throw new Error(`${url}: ${out.non2xx} non-2xx and ${out.errors} errors under load`);
  return out.requests.average;
}

export async function balanceThroughput(o: EmulatorBenchOptions): Promise<Result> {
  const emu = await startChild<{ url: string; token: string; account: string; balance: string }>(
    "emulator.ts",
    ["2000"],
  );
  const bare = await startChild<{ url: string }>("bare-balance.ts", [emu.info.balance]);
  const hono = await startChild<{ url: string }>("bare-hono.ts");
  try {
    for (const server of [emu, bare, hono]) pin(server.child.pid!, CPU.server);
    return await pinnedLoadGenerator(() => balanceRounds(o, emu.info, bare.info.url, hono.info.url));
  } finally {
    await Promise.all([emu.stop(), bare.stop(), hono.stop()]);
  }
}

async function balanceRounds(
  o: EmulatorBenchOptions,
  emu: { url: string; token: string; account: string },
  bareUrl: string,
  honoUrl: string,
): Promise<Result> {
  const path = `/balance?account_id=${emu.account}`;
  const auth = { authorization: `Bearer ${emu.token}` };
  // Warm-up, then interleaved A/B rounds.
  await requestsPerSecond(`${bareUrl}${path}`, {}, Math.min(1, o.seconds), o.connections);
  await requestsPerSecond(`${emu.url}${path}`, auth, Math.min(1, o.seconds), o.connections);
  await requestsPerSecond(`${honoUrl}/balance`, {}, Math.min(1, o.seconds), o.connections);
  const a: number[] = [];
  const b: number[] = [];
  const h: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    b.push(await requestsPerSecond(`${bareUrl}${path}`, {}, o.seconds, o.connections));
    a.push(await requestsPerSecond(`${emu.url}${path}`, auth, o.seconds, o.connections));
    h.push(await requestsPerSecond(`${honoUrl}/balance`, {}, o.seconds, o.connections));
  }
  const emulator = median(a);
  const baseline = median(b);
  return result({
    name: "emulator: GET /balance throughput vs bare node:http",
    figure: `${emulator.toFixed(0)} req/s`,
    baseline: `${baseline.toFixed(0)} req/s`,
    ratio: emulator / baseline,
    target: { op: ">=", value: 0.7 },
    notes: `${o.rounds} interleaved rounds of ${o.seconds}s, ${o.connections} connections, medians; ${placement}; a bare Hono app reached ${median(h).toFixed(0)} req/s (${(median(h) / baseline).toFixed(2)} of node:http) in the same rounds`,
  });
}

export async function pageCost(o: EmulatorBenchOptions): Promise<Result> {
  const setup = async (n: number) => {
    const e = createEmulator({
      seed: "bench",
      transactions: n,
      clock: { start: "2026-06-01T00:00:00Z", frozen: true },
    });
    const token = e.control.token();
    const account = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
    const ids = account.transactions.map((t) => t.json.id);
    return { e, token, account: account.json.id, ids };
  };
  const big = await setup(o.bigBank);
  const small = await setup(o.smallBank);
  // Pages start from ids in the last 80 days (readable after the history window), spread over the list.
  const timeOne = async (s: typeof big, i: number) => {
    const recent = s.ids.slice(-Math.max(200, Math.floor(s.ids.length / 20)));
    const since = recent[i % Math.max(1, recent.length - 100)]!;
    const started = performance.now();
    const res = await s.e.app.request(
      `/transactions?account_id=${s.account}&since=${since}&limit=100&expand[]=merchant`,
      {
        headers: { authorization: `Bearer ${s.token}` },
      },
    );
    await res.text();
    if (res.status !== 200) throw new Error(`page status ${res.status}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 50; i++) {
    await timeOne(big, i);
    await timeOne(small, i);
  }
  const bigTimes: number[] = [];
  const smallTimes: number[] = [];
  for (let i = 0; i < o.pageRequests; i++) {
    bigTimes.push(await timeOne(big, i * 7));
    smallTimes.push(await timeOne(small, i * 7));
  }
  const b = median(bigTimes);
  const s = median(smallTimes);
  return result({
    name: `emulator: /transactions page (limit 100) with ${o.bigBank.toLocaleString("en")} vs ${o.smallBank.toLocaleString("en")} transactions`,
    figure: `${(b * 1000).toFixed(0)} µs/page`,
    baseline: `${(s * 1000).toFixed(0)} µs/page`,
    ratio: b / s,
    target: { op: "<=", value: 2 },
    notes: `${o.pageRequests} interleaved in-process requests each, medians`,
  });
}

export async function seeding(o: EmulatorBenchOptions): Promise<Result[]> {
  const runs: { ms: number; rssBytes: number; transactions: number }[] = [];
  for (let i = 0; i < Math.max(1, Math.min(3, o.rounds)); i++) {
    const child = await startChild<{ ms: number; rssBytes: number; transactions: number }>("seed.ts", [
      String(o.bigBank),
    ]);
    runs.push(child.info);
    await child.stop();
  }
  const ms = median(runs.map((r) => r.ms));
  const rss = median(runs.map((r) => r.rssBytes)) / 1e6;
  return [
    result({
      name: `emulator: seeding ${runs[0]!.transactions.toLocaleString("en")} transactions (time)`,
      figure: `${(ms / 1000).toFixed(2)} s`,
      baseline: "5 s budget",
      ratio: ms / 5000,
      target: { op: "<=", value: 1 },
    }),
    result({
      name: `emulator: seeding ${runs[0]!.transactions.toLocaleString("en")} transactions (peak RSS)`,
      figure: `${rss.toFixed(0)} MB`,
      baseline: "300 MB budget",
      ratio: rss / 300,
      target: { op: "<=", value: 1 },
      notes: "peak RSS of a fresh process that only seeds",
    }),
  ];
}

export async function run(o: EmulatorBenchOptions): Promise<Result[]> {
  return [await balanceThroughput(o), await pageCost(o), ...(await seeding(o))];
}
