/**
 * CPU pinning for throughput runs. On a small machine the load generator (autocannon, in this process) and the
 * server under test otherwise fight for the same cores, and the scheduler, not the server, decides the figure.
 * With `taskset` (Linux) and at least two allowed CPUs: this process on the first, servers on the second,
 * helpers (Redis) on a third when there is one, else with the load generator. Elsewhere, or if `taskset`
 * fails, every function here does nothing.
 */
import { execFileSync } from "node:child_process";

function taskset(args: string[]): string | undefined {
  try {
    return execFileSync("taskset", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}

/** This process's allowed CPUs as taskset prints them ("0-3", "0,2"), and expanded. */
const original = taskset(["-c", "-p", String(process.pid)])
  ?.split(":")
  .at(-1)
  ?.trim();
const allowed = (original ?? "").split(",").flatMap((part) => {
  const [from, to] = part.split("-").map(Number);
  if (from === undefined || Number.isNaN(from)) return [];
  const last = to === undefined || Number.isNaN(to) ? from : to;
  return Array.from({ length: last - from + 1 }, (_, i) => from + i);
});

export const pinning = allowed.length >= 2;

export const CPU = {
  loadGenerator: allowed[0] ?? 0,
  server: allowed[1] ?? 0,
  helper: allowed[2] ?? allowed[0] ?? 0,
} as const;

/** Pins every thread of `pid` to one CPU (no-op without pinning). */
export function pin(pid: number, cpu: number): void {
  if (pinning) taskset(["-a", "-c", "-p", String(cpu), String(pid)]);
}

/** Runs `work` with this process (the load generator) pinned, and gives its CPUs back afterwards. */
export async function pinnedLoadGenerator<T>(work: () => Promise<T>): Promise<T> {
  pin(process.pid, CPU.loadGenerator);
  try {
    return await work();
  } finally {
    if (pinning && original) taskset(["-a", "-c", "-p", original, String(process.pid)]);
  }
}

/** What the notes of a throughput result say about placement. */
export const placement = pinning
  ? `load generator pinned to CPU ${CPU.loadGenerator}, servers to CPU ${CPU.server}`
  : "no CPU pinning (taskset unavailable or one CPU)";
