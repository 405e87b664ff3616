// One walk of a whole history in a process of its own, for memory: `bare` pages since=<last id> with
// fetch and JSON.parse (what any client holds at least), `history` runs core's transactions.history.
// Both keep every transaction; prints heap per transaction (after GC) and peak RSS. Needs --expose-gc.
import { MonzoClient, type Transaction } from "@monzokit/core";

const [mode, url, token, account, firstId] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const settle = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

let kept: unknown[] = [];
const client = new MonzoClient({ accessToken: token, apiUrl: url, maxRetries: 0 });
// Warm both paths on a few pages first, so compiled code is not counted as data.
await client.transactions.list({ accountId: account, since: firstId, limit: 100 });
const headers = { authorization: `Bearer ${token}`, accept: "application/json" };
await (
  await fetch(`${url}/transactions?account_id=${account}&since=${firstId}&limit=100`, { headers })
).json();
const before = settle();
if (mode === "bare") {
  let since = firstId;
  for (;;) {
    const res = await fetch(`${url}/transactions?account_id=${account}&since=${since}&limit=100`, {
      headers,
    });
    const page = ((await res.json()) as { transactions: { id: string }[] }).transactions;
    for (const tx of page) kept.push(tx);
    if (page.length < 100) break;
    since = page[page.length - 1]!.id;
  }
} else {
  kept = (await client.transactions
    .history({ accountId: account, since: firstId })
    .toArray()) as Transaction[];
}
const after = settle();
process.stdout.write(
  `${JSON.stringify({
    count: kept.length,
    heapPerTransaction: (after - before) / kept.length,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
kept = [];
