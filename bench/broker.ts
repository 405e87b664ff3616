/**
 * Broker benchmarks (issue: broker performance): pending-session throughput — `/new` then `/token` polls —
 * with the memory store vs a bare Hono "hello" app (target ≥ 0.6) and with Redis (target ≥ 0.4), p50/p99
 * latencies, and heap per pending session.
 */

import { MemorySessionStore } from "@monzokit/broker";
import autocannon from "autocannon";
import { RedisServer } from "../test-support/redis.ts";
import { startChild } from "./lib/children.ts";
import { CPU, pin, pinnedLoadGenerator, pinning, placement } from "./lib/cpus.ts";
import { median, type Result, result } from "./lib/stats.ts";

export interface BrokerBenchOptions {
  rounds: number;
  seconds: number;
  connections: number;
  sessions: number;
}

export const FULL: BrokerBenchOptions = { rounds: 5, seconds: 3, connections: 20, sessions: 20_000 };
export const TINY: BrokerBenchOptions = { rounds: 1, seconds: 0.3, connections: 2, sessions: 200 };

// What a desktop app sends: its own loopback address for the browser's return (logins are bound to the app).
const NEW = `/new?return_to=${encodeURIComponent("http://127.0.0.1:53682/monzokit-broker/0123456789abcdef")}`;

interface Load {
  rps: number;
  p50: number;
  p99: number;
}

async function load(url: string, o: BrokerBenchOptions, id?: string): Promise<Load> {
  // One /new for every four /token polls of a pending session: what a waiting desktop app does.
  const requests = id
    ? [
        { method: "POST" as const, path: NEW },
        ...Array.from({ length: 4 }, () => ({ method: "GET" as const, path: `/token?id=${id}` })),
      ]
    : [
        { method: "POST" as const, path: NEW },
        ...Array.from({ length: 4 }, () => ({ method: "GET" as const, path: "/token" })),
      ];
  const out = await autocannon({ url, connections: o.connections, duration: o.seconds, requests });
  // Every answer must be a success (201 logins, 202 pending polls): a refused /new would measure the wrong thing.
  if (out.errors > 0 || out.non2xx > 0)
    throw new Error(`${url}: ${out.errors} errors, ${out.non2xx} non-2xx answers under load`);
  return { rps: out.requests.average, p50: out.latency.p50, p99: out.latency.p99 };
}

async function pendingId(url: string): Promise<string> {
  return ((await (await fetch(`${url}${NEW}`, { method: "POST" })).json()) as { id: string }).id;
}

export async function throughput(o: BrokerBenchOptions): Promise<Result[]> {
  const redis = new RedisServer();
  await redis.start();
  const hono = await startChild<{ url: string }>("bare-hono.ts");
  const memory = await startChild<{ url: string }>("broker.ts");
  const shared = await startChild<{ url: string }>("broker.ts", [redis.url]);
  try {
    for (const server of [hono, memory, shared]) pin(server.child.pid!, CPU.server);
    if (redis.pid) pin(redis.pid, CPU.helper);
    return await pinnedLoadGenerator(() => measure(o, hono.info.url, memory.info.url, shared.info.url));
  } finally {
    await Promise.all([hono.stop(), memory.stop(), shared.stop()]);
    await redis.dispose();
  }
}

async function measure(o: BrokerBenchOptions, honoUrl: string, memoryUrl: string, redisUrl: string) {
  const memId = await pendingId(memoryUrl);
  const redisId = await pendingId(redisUrl);
  // Warm-up: the broker's handlers take about a second of load to be compiled.
  const warm = { ...o, seconds: Math.min(2, o.seconds) };
  await load(honoUrl, warm);
  await load(memoryUrl, warm, memId);
  await load(redisUrl, warm, redisId);
  const runs: { hono: Load[]; memory: Load[]; redis: Load[] } = { hono: [], memory: [], redis: [] };
  for (let r = 0; r < o.rounds; r++) {
    runs.hono.push(await load(honoUrl, o));
    runs.memory.push(await load(memoryUrl, o, memId));
    runs.redis.push(await load(redisUrl, o, redisId));
  }
  const m = (xs: Load[], k: keyof Load) => median(xs.map((x) => x[k]));
  const base = m(runs.hono, "rps");
  return [
    result({
      name: "broker: pending sessions (/new + /token polls), memory store vs bare Hono",
      figure: `${m(runs.memory, "rps").toFixed(0)} req/s (p50 ${m(runs.memory, "p50")} ms, p99 ${m(runs.memory, "p99")} ms)`,
      baseline: `${base.toFixed(0)} req/s`,
      ratio: m(runs.memory, "rps") / base,
      target: { op: ">=", value: 0.6 },
      notes: `${o.rounds} interleaved rounds of ${o.seconds}s, ${o.connections} connections, medians; ${placement}`,
    }),
    result({
      name: "broker: pending sessions (/new + /token polls), Redis store vs bare Hono",
      figure: `${m(runs.redis, "rps").toFixed(0)} req/s (p50 ${m(runs.redis, "p50")} ms, p99 ${m(runs.redis, "p99")} ms)`,
      baseline: `${base.toFixed(0)} req/s`,
      ratio: m(runs.redis, "rps") / base,
      target: { op: ">=", value: 0.4 },
      notes: `a real redis-server on loopback, started by the benchmark${pinning ? `, on CPU ${CPU.helper}` : ""}`,
    }),
  ];
}

export async function memoryPerSession(o: BrokerBenchOptions): Promise<Result> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const store = new MemorySessionStore();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const now = Date.now();
  for (let i = 0; i < o.sessions; i++) {
    await store.create({
      id: `id-${i}-${"x".repeat(38)}`,
      state: `st-${i}-${"y".repeat(38)}`,
      createdAt: now,
      expiresAt: now + 600_000,
    });
  }
  gc?.();
  const perSession = (process.memoryUsage().heapUsed - before) / o.sessions;
  await store.close();
  return result({
    name: `broker: heap per pending session (memory store, ${o.sessions.toLocaleString("en")} sessions)`,
    figure: `${perSession.toFixed(0)} B`,
    baseline: "1 KiB reference",
    ratio: perSession / 1024,
    target: { op: "<=", value: 1 },
    notes: gc ? "measured after full GCs" : "run with --expose-gc for exact figures",
  });
}

export async function run(o: BrokerBenchOptions): Promise<Result[]> {
  return [...(await throughput(o)), await memoryPerSession(o)];
}
