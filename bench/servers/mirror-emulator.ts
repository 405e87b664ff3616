// An emulator for the sync benchmark: a bank of `transactions` over `years`, an approved token whose
// full-history window stays open for the run, and the control API for counters and new payments.
import { serveEmulator } from "@monzokit/emulator";

const transactions = Number(process.argv[2] ?? 2000);
const years = Number(process.argv[3] ?? 3);
const running = await serveEmulator(
  { seed: "bench-sync", transactions, years, requestLogSize: 100, historyWindowMs: 6 * 3_600_000 },
  { port: 0 },
);
const token = (await (
  await fetch(`${running.url}/_emulator/tokens`, {
    method: "POST",
    body: JSON.stringify({ ttl_seconds: 86400 }),
  })
).json()) as { access_token: string };
const users = (await (await fetch(`${running.url}/_emulator/users`)).json()) as {
  users: { accounts: { id: string; type: string }[] }[];
};
const account = users.users[0]!.accounts.find((a) => a.type === "uk_retail")!.id;
process.stdout.write(`${JSON.stringify({ url: running.url, token: token.access_token, account })}\n`);
process.on("SIGTERM", () => void running.close().then(() => process.exit(0)));
