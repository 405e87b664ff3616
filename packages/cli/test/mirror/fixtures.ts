import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MonzoClient } from "@monzokit/core";
import { createEmulator, type Emulator } from "@monzokit/emulator";
import { tempHome } from "../helpers.js";

export const DAY = 86_400_000;

/** One request as the emulator received it: its route and, for list reads, the account asked for. */
export interface SeenRequest {
  method: string;
  path: string;
  accountId: string | null;
}

/**
 * An in-process emulator on a frozen clock (so "now" is the same instant for the test, the sync and the
 * bank), a client for its first user, a fresh mirror path, and every request the emulator answered.
 */
export async function mirrorFixture(options: { transactions?: number; seed?: string | number } = {}) {
  const emulator: Emulator = createEmulator({
    seed: options.seed ?? "mirror",
    transactions: options.transactions ?? 1500,
    clock: { start: "2026-06-01T12:00:00Z", frozen: true },
  });
  const requests: SeenRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    requests.push({
      method,
      path: url.pathname,
      accountId: url.searchParams.get("account_id") ?? url.searchParams.get("current_account_id"),
    });
    // A real network always lets the event loop run between a request and its answer; so does this.
    await new Promise((resolve) => setImmediate(resolve));
    return emulator.fetch(input, init);
  }) as typeof globalThis.fetch;
  const clientFor = (token: string) =>
    new MonzoClient({ accessToken: token, fetch, apiUrl: "http://localhost" });
  const client = clientFor(emulator.control.token({ ttlSeconds: 86_400 * 30 }));
  const db = join(await tempHome(), "mirror.db");
  return {
    emulator,
    client,
    /** A client for a new login (its full-history window open now). */
    freshLogin: () => clientFor(emulator.control.token({ ttlSeconds: 86_400 * 30 })),
    db,
    requests,
    now: () => emulator.control.now(),
    /** The requests made while `fn` ran. */
    async counting<T>(fn: () => Promise<T>): Promise<{ result: T; seen: SeenRequest[] }> {
      const from = requests.length;
      const result = await fn();
      return { result, seen: requests.slice(from) };
    },
    /** A card payment at the emulator "now" (its control API), returning the transaction. */
    async spend(accountId: string, amount: number, extra: Record<string, unknown> = {}) {
      const res = await emulator.app.request("/_emulator/transactions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ account_id: accountId, amount, ...extra }),
      });
      if (res.status !== 201) throw new Error(`control API: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { transaction: { id: string } }).transaction;
    },
    /** Rows of the mirror, read with a separate connection. */
    query(sql: string, ...params: (string | number)[]): Record<string, unknown>[] {
      const conn = new DatabaseSync(db, { readOnly: true });
      try {
        return conn.prepare(sql).all(...params) as Record<string, unknown>[];
      } finally {
        conn.close();
      }
    },
  };
}

export type MirrorFixture = Awaited<ReturnType<typeof mirrorFixture>>;
