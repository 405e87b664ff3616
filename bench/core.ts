/**
 * Core benchmarks (issue: core performance):
 * 1. 4,000 sequential `balance.retrieve` calls against the emulator on a loopback port vs the same requests
 *    with bare `fetch` (target ≤ 1.15×).
 * 2. Core's ESM bundle with its dependencies, minified and gzipped (target ≤ 25 kB).
 * The history walk has its own suite (`bench/history.ts`).
 */
import { gzipSync } from "node:zlib";
import { MonzoClient } from "@monzokit/core";
import { build } from "esbuild";
import { startChild } from "./lib/children.ts";
import { CPU, pin, pinnedLoadGenerator, placement } from "./lib/cpus.ts";
import { median, type Result, result } from "./lib/stats.ts";

export interface CoreBenchOptions {
  calls: number;
  rounds: number;
}

export const FULL: CoreBenchOptions = { calls: 4000, rounds: 40 };
export const TINY: CoreBenchOptions = { calls: 20, rounds: 1 };

export async function clientOverhead(o: CoreBenchOptions): Promise<Result> {
  const emu = await startChild<{ url: string; token: string; account: string }>("emulator.ts", ["2000"]);
  try {
    const client = new MonzoClient({ accessToken: emu.info.token, apiUrl: emu.info.url, maxRetries: 0 });
    const url = `${emu.info.url}/balance?account_id=${emu.info.account}`;
    const headers = { authorization: `Bearer ${emu.info.token}`, accept: "application/json" };
    const perRound = Math.max(1, Math.floor(o.calls / o.rounds));
    const timeBare = async () => {
      const start = performance.now();
      for (let i = 0; i < perRound; i++) await (await fetch(url, { headers })).json();
      return (performance.now() - start) / perRound;
    };
    const timeClient = async () => {
      const start = performance.now();
      for (let i = 0; i < perRound; i++) await client.balance.retrieve(emu.info.account);
      return (performance.now() - start) / perRound;
    };
    pin(emu.child.pid!, CPU.server);
    // Many short interleaved rounds, pinned: the machine's drift between two long rounds was larger than
    // the difference being measured.
    const { bare, ours } = await pinnedLoadGenerator(async () => {
      await timeBare();
      await timeClient();
      const bare: number[] = [];
      const ours: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        bare.push(await timeBare());
        ours.push(await timeClient());
      }
      return { bare, ours };
    });
    const b = median(bare);
    const c = median(ours);
    return result({
      name: `core: ${o.calls.toLocaleString("en")} sequential balance.retrieve vs bare fetch (loopback emulator)`,
      figure: `${(c * 1000).toFixed(0)} µs/call`,
      baseline: `${(b * 1000).toFixed(0)} µs/call`,
      ratio: c / b,
      target: { op: "<=", value: 1.15 },
      notes: `${o.rounds} interleaved rounds of ${perRound} calls each, medians; ${placement}; the client parses and validates every answer`,
    });
  } finally {
    await emu.stop();
  }
}

export async function bundleSize(): Promise<Result> {
  const out = await build({
    entryPoints: [new URL("../packages/core/dist/index.js", import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    write: false,
    treeShaking: true,
  });
  const bytes = out.outputFiles[0]!.contents;
  const gz = gzipSync(bytes, { level: 9 }).length;
  return result({
    name: "core: ESM bundle with dependencies, minified + gzipped",
    figure: `${(gz / 1024).toFixed(1)} kB`,
    baseline: "25 kB budget",
    ratio: gz / (25 * 1024),
    target: { op: "<=", value: 1 },
    notes: `${(bytes.length / 1024).toFixed(1)} kB minified before gzip (esbuild, every export kept)`,
  });
}

export async function run(o: CoreBenchOptions): Promise<Result[]> {
  return [await clientOverhead(o), await bundleSize()];
}
