/**
 * Scaling curves (no targets, figures for BENCHMARKS.md):
 * - `transactions.history` time (and requests) for 1k / 10k / 100k transactions × 0 / 10 / 50 ms latency ×
 *   concurrency 1 / 4 / 16 (concurrency 1 is the plain sequential walk every other library does);
 * - the emulator's page cost (limit 100) against the bank's size.
 */
import { MonzoClient } from "@monzokit/core";
import { createEmulator } from "@monzokit/emulator";
import { countingFetch } from "../test-support/account-shapes.ts";
import { median } from "./lib/stats.ts";

export interface CurveOptions {
  sizes: number[];
  latencies: number[];
  concurrencies: number[];
  pageSizes: number[];
}

export const FULL: CurveOptions = {
  sizes: [1_000, 10_000, 100_000],
  latencies: [0, 10, 50],
  concurrencies: [1, 4, 16],
  pageSizes: [1_000, 10_000, 100_000],
};
export const TINY: CurveOptions = { sizes: [300], latencies: [0], concurrencies: [1, 4], pageSizes: [300] };

export async function historyCurve(o: CurveOptions, print: (line: string) => void): Promise<number[][]> {
  const rows: number[][] = [];
  print(`history, s (requests)${o.concurrencies.map((c) => `c=${c}`.padStart(14)).join("")}`);
  for (const size of o.sizes) {
    for (const latency of o.latencies) {
      const e = createEmulator({
        seed: "curve",
        transactions: Math.round(size * 1.47),
        faults: { latencyMs: latency },
      });
      const token = e.control.token({ ttlSeconds: 86400 });
      const account = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
      const counted = countingFetch(e.fetch);
      const client = new MonzoClient({
        accessToken: token,
        fetch: counted.fetch,
        apiUrl: "http://127.0.0.1",
      });
      const row: number[] = [];
      const requests: number[] = [];
      for (const concurrency of o.concurrencies) {
        counted.counts.requests = 0;
        const started = performance.now();
        const got = await client.transactions
          .history({ accountId: account.json.id, since: account.transactions[0]!.id, concurrency })
          .toArray();
        if (got.length !== account.transactions.length - 1)
          throw new Error(`history returned ${got.length} of ${account.transactions.length - 1}`);
        row.push((performance.now() - started) / 1000);
        requests.push(counted.counts.requests);
      }
      e.close();
      rows.push([size, latency, ...row]);
      print(
        `${`${size.toLocaleString("en")} tx, ${latency} ms`.padEnd(14)}${row.map((s, i) => `${s.toFixed(2)} (${requests[i]})`.padStart(14)).join("")}`,
      );
    }
  }
  return rows;
}

export async function pageCurve(o: CurveOptions, print: (line: string) => void): Promise<number[][]> {
  const rows: number[][] = [];
  for (const size of o.pageSizes) {
    const e = createEmulator({
      seed: "curve",
      transactions: size,
      clock: { start: "2026-06-01T00:00:00Z", frozen: true },
    });
    const token = e.control.token();
    const account = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
    const ids = account.transactions
      .slice(-Math.max(200, Math.floor(account.transactions.length / 20)))
      .map((t) => t.id);
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      const since = ids[(i * 7) % Math.max(1, ids.length - 100)]!;
      const started = performance.now();
      const res = await e.app.request(
        `/transactions?account_id=${account.json.id}&since=${since}&limit=100`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      await res.text();
      if (i >= 50) times.push(performance.now() - started);
    }
    const us = median(times) * 1000;
    rows.push([size, us]);
    print(`page cost with ${size.toLocaleString("en")} transactions: ${us.toFixed(0)} µs`);
  }
  return rows;
}

export async function run(
  o: CurveOptions,
  print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
) {
  return { history: await historyCurve(o, print), pages: await pageCurve(o, print) };
}
