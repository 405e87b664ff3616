// Move £12.34 into a pot, safely: the dedupe id makes retries move money once; a lost answer says so.
import { MonzoClient, OutcomeUnknownError, parseAmount } from "@monzokit/core";

const client = new MonzoClient({
  accessToken: process.env["MONZO_ACCESS_TOKEN"] ?? "",
  apiUrl: process.env["MONZO_API_URL"] ?? "https://api.monzo.com",
});
const [account] = await client.accounts.list({ accountType: "uk_retail" });
if (!account) throw new Error("no current account");
const pot = (await client.pots.list(account.id)).find((p) => !p.deleted && p.name === "Savings");
if (!pot) throw new Error("no pot called Savings");
try {
  const moved = await client.pots.deposit({
    potId: pot.id,
    accountId: account.id,
    amount: parseAmount("12.34", "GBP"),
  });
  console.log(`Pot balance now ${moved.balance} (dedupe id ${moved.dedupeId})`);
} catch (error) {
  if (error instanceof OutcomeUnknownError)
    console.error(`Unknown whether it moved; retry with dedupeId ${error.dedupeId}`);
  else throw error;
}
