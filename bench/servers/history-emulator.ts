// The emulator on a loopback port for the history benchmarks: a seeded bank (its main current account),
// or an otherwise empty account of a given shape, with latency per request. Prints what a walk needs.
import { serveEmulator } from "@monzokit/emulator";
import { fillAccount, type ShapeSpec, shapeTimes } from "../../test-support/account-shapes.ts";

interface Spec {
  /** Seeded bank of this many transactions (about 68% on the main account), or a shape. */
  seeded?: number;
  shape?: ShapeSpec;
  latencyMs: number;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as Spec;
const now = Date.now();
const running = await serveEmulator(
  {
    seed: "bench-history",
    transactions: spec.seeded ?? 0,
    years: spec.shape?.years ?? 3,
    faults: { latencyMs: spec.latencyMs },
    // The benchmark reads whole histories for longer than Monzo's 5 minutes.
    historyWindowMs: 86_400_000,
    requestLogSize: 100,
  },
  { port: 0 },
);
const e = running.emulator;
let account: string;
let ids: string[];
if (spec.shape) ({ accountId: account, ids } = fillAccount(e, shapeTimes(spec.shape, now)));
else {
  const main = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
  account = main.json.id;
  ids = main.transactions.map((t) => t.id);
}
const token = e.control.token({ ttlSeconds: 86_400 });
process.stdout.write(
  `${JSON.stringify({ url: running.url, token, account, firstId: ids[0], count: ids.length })}\n`,
);
process.on("SIGTERM", () => void running.close().then(() => process.exit(0)));
