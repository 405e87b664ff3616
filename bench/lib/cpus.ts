/**
 * CPU pinning for throughput runs. On a small machine the load generator (autocannon, in this process) and the
 * server under test otherwise fight for the same cores, and the scheduler, not the server, decides the figure.
 * With `taskset` (Linux) and at least two CPUs: this process on CPU 0, servers on CPU 1, helpers (Redis) on
 * CPU 2 when there is one, else with the load generator. Elsewhere every function here does nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

const cpus = availableParallelism();
export const pinning = cpus >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;

export const CPU = { loadGenerator: 0, server: 1, helper: cpus >= 3 ? 2 : 0 } as const;

/** Pins every thread of `pid` to one CPU (no-op without pinning). */
export function pin(pid: number, cpu: number): void {
  if (pinning) execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}

/** Runs `work` with this process (the load generator) pinned, and gives it every CPU back afterwards. */
export async function pinnedLoadGenerator<T>(work: () => Promise<T>): Promise<T> {
  pin(process.pid, CPU.loadGenerator);
  try {
    return await work();
  } finally {
    if (pinning)
      execFileSync("taskset", ["-a", "-p", "-c", `0-${cpus - 1}`, String(process.pid)], { stdio: "ignore" });
  }
}

/** What the notes of a throughput result say about placement. */
export const placement = pinning
  ? `load generator pinned to CPU ${CPU.loadGenerator}, servers to CPU ${CPU.server}`
  : "no CPU pinning (taskset unavailable or one CPU)";
