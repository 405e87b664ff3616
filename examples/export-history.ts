// Export the whole history right after logging in (the 5-minute full-history window, REFERENCE §2.12),
// refreshing tokens as needed and saving every rotation.
import { MemoryTokenStore, MonzoClient, monzoRefresh, TokenManager, type TokenSet } from "@monzokit/core";

export async function exportHistory(tokens: TokenSet, clientSecret: string, write: (line: string) => void) {
  const manager = new TokenManager({
    store: new MemoryTokenStore(tokens),
    refresh: monzoRefresh({ clientId: tokens.clientId, clientSecret }),
    onTokens: (next) => console.error(`tokens rotated; expires ${new Date(next.expiresAt).toISOString()}`),
  });
  const client = new MonzoClient({ tokens: manager });
  const [account] = await client.accounts.list({ accountType: "uk_retail" });
  if (!account) throw new Error("no current account");
  let count = 0;
  for await (const tx of client.transactions.history({ accountId: account.id, concurrency: 8 })) {
    write(JSON.stringify(tx));
    count++;
  }
  return count;
}
