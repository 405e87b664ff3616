// List this month's transactions with merchants, page by page, with an access token from the playground.
import { formatMoney, MonzoClient } from "@monzokit/core";

const client = new MonzoClient({
  accessToken: process.env["MONZO_ACCESS_TOKEN"] ?? "",
  apiUrl: process.env["MONZO_API_URL"] ?? "https://api.monzo.com",
});
const [account] = await client.accounts.list({ accountType: "uk_retail" });
if (!account) throw new Error("no current account");
const since = new Date(new Date().getFullYear(), new Date().getMonth(), 1);
for await (const tx of client.transactions.list({ accountId: account.id, since, expandMerchant: true })) {
  const merchant = typeof tx.merchant === "object" && tx.merchant ? tx.merchant.name : tx.description;
  console.log(tx.created.slice(0, 10), formatMoney(tx.amount, tx.currency).padStart(12), merchant);
}
