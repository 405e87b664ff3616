import type { MonzoClient, Transaction } from "@monzokit/core";

const DAY = 86_400_000;
/**
 * Monzo refuses a timestamp `since` more than ~365 days before `before` (REFERENCE §3.1: exporters cut
 * ≤ 350–364-day windows); the CLI walks longer ranges in windows this wide, with room for clock skew.
 */
export const WINDOW_DAYS = 360;

export interface RangeParams {
  accountId: string;
  /** An RFC 3339 time (inclusive) or a transaction id (exclusive). */
  since?: string | undefined;
  /** An RFC 3339 time (exclusive). */
  before?: string | undefined;
  /** Page size; without `all`, how many transactions at most. */
  limit: number;
  /** Every transaction in the range, not only the first page. */
  all: boolean;
  expandMerchant?: boolean;
  /** Now, for the end of a range without `before`. */
  now: number;
}

/**
 * The transactions of a `--since`/`--before` range, oldest first: one request for a page, pages with
 * `all`, and a range longer than Monzo's 365-day span cut into `WINDOW_DAYS` windows walked in order
 * (without `all`, only as far as the first `limit` transactions).
 *
 * @example for await (const tx of walkRange(client, { accountId, since, limit: 30, all: false, now: Date.now() })) …
 */
export async function* walkRange(client: MonzoClient, params: RangeParams): AsyncGenerator<Transaction> {
  const base = {
    accountId: params.accountId,
    limit: params.limit,
    ...(params.expandMerchant ? { expandMerchant: true } : {}),
  };
  const since = params.since;
  const sinceMs = since === undefined || since.startsWith("tx_") ? undefined : Date.parse(since);
  const endMs = params.before === undefined ? params.now + 60_000 : Date.parse(params.before);
  if (sinceMs === undefined || endMs - sinceMs <= WINDOW_DAYS * DAY) {
    const pages = client.transactions.list({
      ...base,
      ...(since ? { since } : {}),
      ...(params.before ? { before: params.before } : {}),
    });
    if (params.all) yield* pages;
    else yield* (await pages).items;
    return;
  }
  let left = params.limit;
  for (let from = sinceMs; from < endMs; from += WINDOW_DAYS * DAY) {
    const to = Math.min(endMs, from + WINDOW_DAYS * DAY);
    // The last window of an open range goes to "now" (no `before`), as a single request would have.
    const openEnd = params.before === undefined && to === endMs;
    const pages = client.transactions.list({
      ...base,
      since: new Date(from).toISOString(),
      ...(openEnd ? {} : { before: new Date(to).toISOString() }),
    });
    for await (const tx of pages) {
      yield tx;
      if (!params.all && --left === 0) return;
    }
  }
}
