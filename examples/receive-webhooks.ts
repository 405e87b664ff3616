// Receive Monzo's transaction.created events live, each exactly once, at a secret URL (REFERENCE §11.4).
// MONZO_WEBHOOK_SECRET: make it once with createWebhookSecret() and keep it; PUBLIC_URL: where Monzo reaches
// this machine (your tunnel or server; http://127.0.0.1:6610 with the emulator).
import { serve } from "@hono/node-server";
import { createWebhookHandler, formatMoney, MonzoClient, webhookPath } from "@monzokit/core";

const secret = process.env["MONZO_WEBHOOK_SECRET"] ?? "";
const publicUrl = (process.env["PUBLIC_URL"] ?? "http://127.0.0.1:6610").replace(/\/+$/, "");
const client = new MonzoClient({
  accessToken: process.env["MONZO_ACCESS_TOKEN"] ?? "",
  apiUrl: process.env["MONZO_API_URL"] ?? "https://api.monzo.com",
});

const handler = createWebhookHandler({
  secret,
  basePath: "/monzo",
  // Resolve once the event is safely kept: a throw here makes Monzo deliver it again.
  onEvent(event) {
    if (event.kind === "transaction.created")
      console.log(
        event.data.created,
        formatMoney(event.data.amount, event.data.currency),
        event.data.description,
      );
  },
});
serve({ fetch: handler, port: 6610, hostname: "127.0.0.1" });

const [account] = await client.accounts.list({ accountType: "uk_retail" });
if (!account) throw new Error("no current account");
const { webhook, created } = await client.webhooks.ensure({
  accountId: account.id,
  url: `${publicUrl}${webhookPath(secret, "/monzo")}`,
});
console.log(
  `${created ? "Registered" : "Already registered"} ${webhook.id}; waiting for transactions (Ctrl+C stops).`,
);
