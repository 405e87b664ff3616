// Seeds a bank of N transactions in a fresh process and reports the time and the peak RSS.
import { createEmulator } from "@monzokit/emulator";

const n = Number(process.argv[2] ?? 100000);
const started = performance.now();
const emulator = createEmulator({ seed: "bench", transactions: n });
const ms = performance.now() - started;
const rss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  `${JSON.stringify({ ms, rssBytes: rss, transactions: emulator.state.bank.transactionCount })}\n`,
);
