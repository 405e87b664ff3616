/**
 * Faulty network: core against the emulator with 20% injected faults (5xx, 429 with Retry-After, dropped
 * connections, latency spikes). Every read ends in success within the retry budget or a typed error; pot
 * deposits with retries move money exactly once each (checked against the emulator's ledger); no
 * unhandled rejection.
 */
import { MonzoClient, MonzoError } from "@monzokit/core";
import { createEmulator } from "@monzokit/emulator";

export interface FaultSuiteOptions {
  reads: number;
  deposits: number;
  concurrency: number;
}

export const SOAK: FaultSuiteOptions = { reads: 10_000, deposits: 1_000, concurrency: 16 };
export const CI: FaultSuiteOptions = { reads: 600, deposits: 60, concurrency: 8 };

export interface FaultSuiteResult {
  reads: number;
  readSuccesses: number;
  readTypedErrors: number;
  readUntyped: number;
  deposits: number;
  depositSuccesses: number;
  depositTypedErrors: number;
  movements: number;
  movedPence: number;
  expectedPence: number;
  faultsFired: number;
  unhandled: number;
  ms: number;
}

export async function runFaultSuite(o: FaultSuiteOptions): Promise<FaultSuiteResult> {
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  process.on("unhandledRejection", onUnhandled);
  const started = performance.now();
  const e = createEmulator({
    seed: "faults",
    transactions: 500,
    faults: {
      jitterMs: 3,
      rules: [
        { kind: 503, rate: 0.07 },
        { kind: 500, rate: 0.03 },
        { kind: 429, rate: 0.04, retryAfter: 1 },
        { kind: "reset", rate: 0.06 },
      ],
    },
  });
  const token = e.control.token({ ttlSeconds: 86400 });
  const account = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
  const pot = e.state.bank.potsOf(account.json.id).find((p) => p.json.name === "Savings")!;
  // Retries wait for real but briefly: Retry-After is honoured (1 s would dominate), so it is scaled down.
  const client = new MonzoClient({
    accessToken: token,
    fetch: e.fetch,
    apiUrl: "http://127.0.0.1",
    maxRetries: 4,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
  });

  const result: FaultSuiteResult = {
    reads: o.reads,
    readSuccesses: 0,
    readTypedErrors: 0,
    readUntyped: 0,
    deposits: o.deposits,
    depositSuccesses: 0,
    depositTypedErrors: 0,
    movements: 0,
    movedPence: 0,
    expectedPence: 0,
    faultsFired: 0,
    unhandled: 0,
    ms: 0,
  };
  const reads = [
    () => client.balance.retrieve(account.json.id),
    () => client.accounts.list(),
    () => client.pots.list(account.json.id),
    () => client.transactions.list({ accountId: account.json.id, limit: 20 }),
  ];
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.reads) {
        const i = next++;
        try {
          await reads[i % reads.length]!();
          result.readSuccesses++;
        } catch (error) {
          if (error instanceof MonzoError) result.readTypedErrors++;
          else result.readUntyped++;
        }
      }
    }),
  );

  const before = account.transactions.length;
  let d = 0;
  const keys: string[] = [];
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (d < o.deposits) {
        const i = d++;
        const dedupeId = `soak-${i}`;
        keys.push(dedupeId);
        // A failed deposit is retried by the caller with the same dedupe id until it lands: at most once each.
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            await client.pots.deposit({
              potId: pot.json.id,
              accountId: account.json.id,
              amount: 1,
              dedupeId,
            });
            result.depositSuccesses++;
            break;
          } catch (error) {
            if (!(error instanceof MonzoError)) throw error;
            result.depositTypedErrors++;
          }
        }
      }
    }),
  );
  const moves = account.transactions.slice(before).filter((t) => t.json.metadata["pot_id"] === pot.json.id);
  result.movements = moves.length;
  result.movedPence = -moves.reduce((s, t) => s + t.amount, 0);
  result.expectedPence = o.deposits;
  result.faultsFired = e.state.faultFired.reduce((a, b) => a + b, 0);
  await new Promise((r) => setTimeout(r, 20));
  process.off("unhandledRejection", onUnhandled);
  result.unhandled = unhandled;
  result.ms = Math.round(performance.now() - started);
  e.close();
  return result;
}
