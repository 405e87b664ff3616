// Keep a local SQLite mirror of every account (what `monzo sync` does), then ask it a question offline.
import { DatabaseSync } from "node:sqlite";
import { syncMirror } from "@monzokit/cli";
import { MonzoClient } from "@monzokit/core";

const client = new MonzoClient({
  accessToken: process.env["MONZO_ACCESS_TOKEN"] ?? "",
  apiUrl: process.env["MONZO_API_URL"] ?? "https://api.monzo.com",
});
const db = process.env["MIRROR"] ?? "mirror.db";
const report = await syncMirror({ client, db });
for (const a of report.accounts)
  console.log(
    a.type.padEnd(28),
    `${a.added} new, ${a.changed} changed`,
    a.history.complete ? "" : "(older history missing)",
  );

// Read-only: any SQLite tool can, while a sync writes.
const mirror = new DatabaseSync(db, { readOnly: true });
const months = mirror
  .prepare(
    "SELECT month, sum(spent) AS spent FROM spending_by_category_month WHERE currency = 'GBP' GROUP BY month ORDER BY month DESC LIMIT 6",
  )
  .all() as { month: string; spent: number }[];
for (const m of months) console.log(m.month, `£${(m.spent / 100).toFixed(2)}`);
mirror.close();
