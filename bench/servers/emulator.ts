// The emulator on a loopback port, with an approved token and the main current account, for load tests.
import { serveEmulator } from "@monzokit/emulator";

const transactions = Number(process.argv[2] ?? 2000);
const running = await serveEmulator({ seed: "bench", transactions, requestLogSize: 100 }, { port: 0 });
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
const balance = await (
  await fetch(`${running.url}/balance?account_id=${account}`, {
    headers: { authorization: `Bearer ${token.access_token}` },
  })
).text();
process.stdout.write(
  `${JSON.stringify({ url: running.url, token: token.access_token, account, balance })}\n`,
);
process.on("SIGTERM", () => void running.close().then(() => process.exit(0)));
