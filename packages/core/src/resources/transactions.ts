import * as v from "valibot";
import { InvalidArgumentError } from "../errors/client-errors.js";
import type { AccountId, TransactionId } from "../models/ids.js";
import { type Merchant, type Transaction, TransactionSchema, unwrap } from "../models/schemas.js";
import { type Page, PagePromise } from "../pagination.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

export interface ListTransactionsParams {
  accountId: AccountId | string;
  /** A timestamp (inclusive) or a transaction id (exclusive) (REFERENCE §3.1). */
  since?: Date | string;
  /** A timestamp (exclusive). */
  before?: Date | string;
  /** Page size, 1–100. Default 100 (Monzo's own default is 30). */
  limit?: number;
  /** Inline the merchant object (`expand[]=merchant`). */
  expandMerchant?: boolean;
}

export interface HistoryParams {
  accountId: AccountId | string;
  /** Start here (a timestamp, or a transaction id to resume after it). Default: when the account opened. */
  since?: Date | string;
  /** Stop before this instant. Default: now. */
  before?: Date;
  /** Time windows fetched at once. Default 8. */
  concurrency?: number;
  /** Width of each window in days (at most 365, Monzo's per-request span). Default 30. */
  windowDays?: number;
  expandMerchant?: boolean;
  /** After each finished window, with how many transactions were yielded so far. */
  /** After each finished window: windows done, an estimate of all, transactions so far, the resume cursor, and the share of the time range covered. */
  onProgress?: (info: {
    windowsDone: number;
    windows: number;
    transactions: number;
    cursor: string | undefined;
    fraction: number;
  }) => void;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Transactions per window the history walk aims for. */
const TARGET = 400;
const TRANSACTIONS = v.array(TransactionSchema);

/**
 * Transactions (REFERENCE §7).
 *
 * @example for await (const tx of client.transactions.list({ accountId, since })) console.log(tx.id);
 */
export class Transactions extends Resource {
  /**
   * A page of transactions, oldest → newest; `for await` walks on. With `since`, pages go forward
   * (`since=<last id>`); without it, Monzo returns the newest page and further pages go back in time.
   *
   * @example
   * ```ts
   * for await (const tx of client.transactions.list({ accountId, since: "2026-01-01T00:00:00Z" })) console.log(tx.amount);
   * ```
   * @see https://docs.monzo.com/#list-transactions
   */
  list(params: ListTransactionsParams, options?: CallOptions): PagePromise<Transaction> {
    const limit = params.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new InvalidArgumentError(
        `limit must be a whole number from 1 to 100, not ${limit}`,
        "Monzo allows at most 100 transactions per page.",
      );
    }
    const since = params.since === undefined ? undefined : bound(params.since);
    const before = params.before === undefined ? undefined : bound(params.before);
    const fetchPage = async (query: { since?: string; before?: string }): Promise<Page<Transaction>> => {
      const body = await this.send(
        {
          method: "GET",
          path: "/transactions",
          query: {
            account_id: params.accountId,
            since: query.since,
            before: query.before,
            limit,
            "expand[]": params.expandMerchant ? ["merchant"] : undefined,
          },
          replaySafe: true,
        },
        options,
      );
      const items = unwrap(TRANSACTIONS, body, "transactions", "GET /transactions");
      return { items, hasMore: items.length === limit };
    };
    return new PagePromise<Transaction>((previous) => {
      if (!previous) return fetchPage({ ...(since ? { since } : {}), ...(before ? { before } : {}) });
      if (since !== undefined)
        return fetchPage({
          since: previous.items[previous.items.length - 1]!.id,
          ...(before ? { before } : {}),
        });
      // Newest-first walk: everything older than the oldest item seen.
      return fetchPage({ before: previous.items[0]!.created });
    });
  }

  /**
   * One transaction.
   *
   * @see https://docs.monzo.com/#retrieve-transaction
   */
  async retrieve(
    id: TransactionId | string,
    params: { expandMerchant?: boolean } = {},
    options?: CallOptions,
  ): Promise<Transaction> {
    const body = await this.send(
      {
        method: "GET",
        path: `/transactions/${encodeURIComponent(id)}`,
        query: { "expand[]": params.expandMerchant ? ["merchant"] : undefined },
        replaySafe: true,
      },
      options,
    );
    return unwrap(TransactionSchema, body, "transaction", "GET /transactions/{id}");
  }

  /**
   * Sets your own metadata on a transaction (REFERENCE §7.5): a value sets the key, `null` or `""`
   * deletes it, and `notes` also sets the top-level notes shown in the app.
   *
   * @example await client.transactions.annotate(txId, { notes: "Team lunch", project: "alpha", old: null });
   * @see https://docs.monzo.com/#annotate-transaction
   */
  async annotate(
    id: TransactionId | string,
    metadata: Record<string, string | null>,
    options?: CallOptions,
  ): Promise<Transaction> {
    const keys = Object.keys(metadata);
    if (keys.length === 0)
      throw new InvalidArgumentError("annotate needs at least one metadata key", 'Pass e.g. { notes: "…" }.');
    const form: Record<string, string> = {};
    for (const key of keys) form[`metadata[${key}]`] = metadata[key] ?? "";
    // Setting the same values again changes nothing: safe to replay.
    const body = await this.send(
      { method: "PATCH", path: `/transactions/${encodeURIComponent(id)}`, form, replaySafe: true },
      options,
    );
    return unwrap(TransactionSchema, body, "transaction", "PATCH /transactions/{id}");
  }

  /**
   * The whole history of an account, oldest → newest, fetched in parallel time windows (each paged
   * with `since=<last id>`), de-duplicated and yielded in order while later windows are still loading.
   * Resume after an interruption by passing the last id you stored as `since`. Call it within 5 minutes
   * of a fresh login and approval to get more than 90 days (REFERENCE §2.12).
   *
   * @example
   * ```ts
   * const all = await client.transactions.history({ accountId }).toArray();
   * ```
   */
  history(
    params: HistoryParams,
    options?: CallOptions,
  ): AsyncIterable<Transaction> & { toArray(): Promise<Transaction[]> } {
    const self = this;
    const iterable = {
      async *[Symbol.asyncIterator](): AsyncGenerator<Transaction> {
        yield* self.#history(params, options);
      },
      async toArray(): Promise<Transaction[]> {
        const out: Transaction[] = [];
        for await (const tx of iterable) out.push(tx);
        return out;
      },
    };
    return iterable;
  }

  async *#history(params: HistoryParams, options?: CallOptions): AsyncGenerator<Transaction> {
    const concurrency = Math.max(1, Math.floor(params.concurrency ?? 8));
    const windowMs = Math.min(365, Math.max(1, params.windowDays ?? 30)) * DAY;
    const end = (params.before ?? new Date()).getTime() + 1000;
    let startMs: number;
    let afterId: string | undefined;
    if (typeof params.since === "string" && params.since.startsWith("tx_")) {
      const resumeFrom = await this.retrieve(params.since, {}, options);
      startMs = Date.parse(resumeFrom.created);
      afterId = resumeFrom.id;
    } else if (params.since !== undefined) {
      startMs = params.since instanceof Date ? params.since.getTime() : Date.parse(params.since);
      if (Number.isNaN(startMs))
        throw new InvalidArgumentError(
          `since "${params.since}" is neither a timestamp nor a transaction id`,
          "Pass an RFC 3339 time or a tx_ id.",
        );
    } else {
      const body = await this.send({ method: "GET", path: "/accounts", replaySafe: true }, options);
      const accounts = (body as { accounts?: { id: string; created: string }[] }).accounts ?? [];
      const account = accounts.find((a) => a.id === params.accountId);
      startMs = account ? Date.parse(account.created) - DAY : end - 366 * DAY;
    }
    // Windows are cut as we go: narrower where the history is dense, wider where it is sparse, so each
    // holds about `TARGET` transactions and the look-ahead buffer stays small whatever the account.
    const windows: [number, number][] = [];
    let width = Math.min(windowMs, 7 * DAY);
    let nextFrom = startMs;
    const cut = (): boolean => {
      if (nextFrom >= end) return false;
      const to = Math.min(end, nextFrom + width);
      windows.push([nextFrom, to]);
      nextFrom = to;
      return true;
    };
    const adapt = ([from, to]: [number, number], count: number) => {
      // Aim the next windows at TARGET transactions from the density just seen; grow slowly, shrink at once.
      const ideal = ((to - from) * TARGET) / Math.max(count, 1);
      width = Math.max(HOUR, Math.min(windowMs, ideal, width * 1.5));
    };

    // Each window: a forward walk from its start (inclusive) to its end (exclusive).
    const fetchWindow = async ([from, to]: [number, number], first: boolean): Promise<Transaction[]> => {
      const out: Transaction[] = [];
      const pages = this.list(
        {
          accountId: params.accountId,
          since: first && afterId ? afterId : new Date(from),
          before: new Date(to),
          ...(params.expandMerchant ? { expandMerchant: true } : {}),
        },
        options,
      ).pages();
      for await (const page of pages) {
        for (const tx of page.items) {
          // One object per merchant, shared by all its transactions: a long history repeats a few hundred
          // merchants tens of thousands of times, and the copies would sit in the look-ahead buffers.
          if (tx.merchant && typeof tx.merchant === "object") {
            const known = merchants.get(tx.merchant.id);
            if (known) tx.merchant = known;
            else merchants.set(tx.merchant.id, tx.merchant);
          }
          out.push(tx);
        }
      }
      return out;
    };
    const merchants = new Map<string, Merchant>();

    const pending = new Map<number, Promise<Transaction[]>>();
    let next = 0;
    const launch = () => {
      while (pending.size < concurrency && (next < windows.length || cut())) {
        const index = next++;
        const window = windows[index]!;
        const promise = fetchWindow(window, index === 0).then((items) => {
          adapt(window, items.length);
          return items;
        });
        promise.catch(() => {});
        pending.set(index, promise);
      }
    };
    const seen = new Set<string>();
    let yielded = 0;
    let cursor: string | undefined;
    for (let index = 0; ; index++) {
      launch();
      const current = pending.get(index);
      if (!current) break;
      const items = await current;
      pending.delete(index);
      // Windows do not overlap (since inclusive, before exclusive); the set guards the boundaries anyway.
      const boundary = new Set<string>();
      for (const tx of items) {
        boundary.add(tx.id);
        if (seen.has(tx.id)) continue;
        yielded++;
        cursor = tx.id;
        yield tx;
      }
      seen.clear();
      for (const id of boundary) seen.add(id);
      const done = windows[index]![1];
      const estimate =
        index + 1 + Math.ceil((end - Math.max(done, nextFrom)) / width) + (windows.length - index - 1);
      params.onProgress?.({
        windowsDone: index + 1,
        windows: Math.max(index + 1, estimate),
        transactions: yielded,
        cursor,
        fraction: (done - startMs) / (end - startMs),
      });
    }
  }
}

function bound(value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new InvalidArgumentError(
        "since/before is an invalid Date",
        "Pass a valid Date or an RFC 3339 string.",
      );
    return value.toISOString();
  }
  return value;
}
