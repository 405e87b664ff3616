import { AbortError, InvalidArgumentError } from "../errors/client-errors.js";
import { type Lower, PAGE } from "../history/gap.js";
import { type PagePeek, peekTransactions, yieldToEventLoop } from "../history/peek.js";
import { type HistoryProgress, HistoryWalk, type PageQuery, type TransactionPage } from "../history/walk.js";
import type { AccountId, TransactionId } from "../models/ids.js";
import {
  type Merchant,
  readTransactions,
  type Transaction,
  TransactionSchema,
  unwrap,
} from "../models/schemas.js";
import { type Page, PagePromise } from "../pagination.js";
import { type CallOptions, parseJson } from "../transport/transport.js";
import { Resource } from "./resource.js";

/** What `transactions.list` pages through (REFERENCE §3.1, §7.3). */
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

/** What `transactions.history` walks, and how (see its TSDoc and ADR 0010). */
export interface HistoryParams {
  accountId: AccountId | string;
  /** Start here (a timestamp, or a transaction id to resume after it). Default: when the account opened. */
  since?: Date | string;
  /** Stop before this instant. Default: now. */
  before?: Date;
  /**
   * Pages in flight at most. Default 16: the walk halves it on a 429 and grows back, and the request
   * budget, not the concurrency, decides how many walkers a history gets.
   */
  concurrency?: number;
  /**
   * @deprecated Ignored, kept so existing callers still compile: the walk sizes its stretches from the
   * density the first pages show (see `transactions.history`).
   */
  windowDays?: number;
  /**
   * Also page backward from the newest end (`before` without `since`), where Monzo allows reads without a
   * lower bound — only when the walk needs the full-history window anyway (REFERENCE §2.12, §3.1). It
   * halves the requests lost where walkers meet. Default true; a refusal falls back to forward pages.
   */
  backward?: boolean;
  /**
   * Transactions fetched ahead of the one you are reading, at most, before the walk waits for you.
   * Default 1,250 per page in flight, at most 10,000, when iterating; `toArray()`
   * keeps everything anyway and does not limit it.
   */
  maxBuffered?: number;
  /** Inline the merchant object (`expand[]=merchant`); each merchant is one shared object. */
  expandMerchant?: boolean;
  /**
   * After each page: stretches done and known so far, transactions ready in order, the resume cursor (the
   * last of those), the share of the time range covered, the pages allowed in flight now (lower after a
   * 429) and the 429s so far.
   */
  onProgress?: (info: HistoryProgress) => void;
}

const DAY = 86_400_000;
const LIST = { method: "GET", path: "/transactions" } as const;
/** How far back Monzo lets a client read once the 5-minute window is over (REFERENCE §2.12), plus a margin. */
const RECENT_MS = 91 * DAY;
/** Pages the history walk keeps in flight unless told otherwise (see `HistoryParams.concurrency`). */
const DEFAULT_CONCURRENCY = 16;

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
      const { items } = readTransactions(body, "GET /transactions");
      return { items, hasMore: items.length === limit };
    };
    if (since !== undefined)
      return new PagePromise<Transaction>((previous) =>
        fetchPage({
          since: previous ? previous.items[previous.items.length - 1]!.id : since,
          ...(before ? { before } : {}),
        }),
      );
    // Newest first, then back in time. `before` is an exclusive timestamp (REFERENCE §3.1): a page that
    // ended inside an instant must ask for that instant again (`before=<it>+1 ms`) and skip what it had,
    // or the rest of the instant is lost.
    const edge = { ms: Number.NaN, ids: new Set<string>(), complete: false };
    const remember = (items: Transaction[]) => {
      const oldest = Date.parse(items[0]!.created);
      if (oldest !== edge.ms) {
        edge.ms = oldest;
        edge.ids = new Set();
        edge.complete = false;
      }
      for (const tx of items) if (Date.parse(tx.created) === oldest) edge.ids.add(tx.id);
    };
    const older = async (): Promise<Page<Transaction>> => {
      for (;;) {
        const page = await fetchPage({ before: iso(edge.complete ? edge.ms : edge.ms + 1) });
        const fresh = page.items.filter((tx) => !edge.ids.has(tx.id));
        if (fresh.length > 0) {
          remember(fresh);
          return { items: fresh, hasMore: page.hasMore };
        }
        if (!page.hasMore) return { items: [], hasMore: false };
        // A whole page of one instant already seen: read the rest of that instant forward, oldest first.
        const rest: Transaction[] = [];
        let cursor = iso(edge.ms);
        for (;;) {
          const run = await fetchPage({ since: cursor, before: iso(edge.ms + 1) });
          const stop = run.items.findIndex((tx) => edge.ids.has(tx.id));
          rest.push(...(stop < 0 ? run.items : run.items.slice(0, stop)));
          if (stop >= 0 || !run.hasMore) break;
          cursor = run.items[run.items.length - 1]!.id;
        }
        for (const tx of rest) edge.ids.add(tx.id);
        edge.complete = true;
        if (rest.length > 0) return { items: rest, hasMore: true };
      }
    };
    return new PagePromise<Transaction>(async (previous) => {
      if (previous) return older();
      const first = await fetchPage(before ? { before } : {});
      if (first.items.length > 0) remember(first.items);
      return first;
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
   * The whole history of an account, oldest → newest — the same transactions in the same order as paging
   * `since=<last id>` from the start, in fewer round trips: the walk pages forward from the start and,
   * while the full-history window is open, backward from the end; once the first pages show how dense the
   * history is, it splits what is left among more walkers, as long as that costs at most 5% more requests
   * than a plain walk. On a 429 it waits out `Retry-After`, halves its pages in flight and grows back.
   * Transactions are yielded in order while later ones are still loading. Resume after an interruption by
   * passing the last id you stored as `since`. Call it within 5 minutes of a fresh login and approval to
   * get more than 90 days (REFERENCE §2.12).
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
      [Symbol.asyncIterator](): AsyncIterator<Transaction> {
        const concurrency = Math.max(1, Math.floor(params.concurrency ?? DEFAULT_CONCURRENCY));
        const highWater = params.maxBuffered ?? Math.min(10_000, 1250 * concurrency);
        return self.#walk(params, options, highWater)[Symbol.asyncIterator]();
      },
      toArray(): Promise<Transaction[]> {
        return self.#walk(params, options, Number.POSITIVE_INFINITY).collect();
      },
    };
    return iterable;
  }

  /** The walk behind `history`. */
  #walk(params: HistoryParams, options: CallOptions | undefined, highWater: number): HistoryWalk {
    const concurrency = Math.max(1, Math.floor(params.concurrency ?? DEFAULT_CONCURRENCY));
    const config = this.transport.config;
    const now = (config.now ?? Date.now)();
    if (params.before !== undefined && Number.isNaN(params.before.getTime()))
      throw new InvalidArgumentError("before is an invalid Date", "Pass a valid Date.");
    // A little past now: the server's clock may run ahead of ours.
    const endMs = params.before?.getTime() ?? now + 60_000;
    const wantBackward = params.backward !== false;
    let start: Lower;
    let startLater: Promise<number> | undefined;
    let backward: boolean | ((firstMs: number) => boolean);
    if (typeof params.since === "string" && params.since.startsWith("tx_")) {
      start = { ms: Number.NaN, id: params.since, ties: undefined };
      // Only a walk that needs the full-history window anyway pages without a lower bound.
      backward = (firstMs) => wantBackward && firstMs < now - RECENT_MS;
    } else if (params.since !== undefined) {
      const ms = params.since instanceof Date ? params.since.getTime() : Date.parse(params.since);
      if (Number.isNaN(ms))
        throw new InvalidArgumentError(
          `since "${String(params.since)}" is neither a timestamp nor a transaction id`,
          "Pass an RFC 3339 time or a tx_ id.",
        );
      start = { ms, id: undefined, ties: undefined };
      backward = wantBackward && ms < now - RECENT_MS;
    } else {
      start = { ms: Number.NaN, id: undefined, ties: undefined };
      backward = wantBackward;
      startLater = this.send({ method: "GET", path: "/accounts", replaySafe: true }, options).then((body) => {
        const accounts = (body as { accounts?: { id?: unknown; created?: unknown }[] }).accounts;
        const account = Array.isArray(accounts)
          ? accounts.find((a) => a?.id === params.accountId)
          : undefined;
        const opened = typeof account?.created === "string" ? Date.parse(account.created) : Number.NaN;
        // A day of margin before the opening; an unknown account reads the last year, as Monzo allows.
        return Number.isNaN(opened) ? endMs - 366 * DAY : opened - DAY;
      });
    }
    // One object per merchant, shared by all its transactions: a long history repeats a few hundred
    // merchants tens of thousands of times (REFERENCE §3.2).
    const merchants = new Map<string, Merchant>();
    const fetchPage = async (
      query: PageQuery,
      signal: AbortSignal,
      onPeek?: (peek: () => PagePeek | undefined) => boolean | Promise<boolean>,
    ): Promise<TransactionPage> => {
      const text = await this.send(
        {
          method: "GET",
          path: "/transactions",
          query: {
            account_id: params.accountId,
            since: query.since,
            before: query.before,
            limit: PAGE,
            "expand[]": params.expandMerchant ? ["merchant"] : undefined,
          },
          replaySafe: true,
          onRateLimit: "throw",
          text: true,
        },
        { ...options, signal },
      );
      // The walk may send its next page from what the text shows; that request goes out before this one
      // is parsed only if the runtime gets to write it first.
      if (onPeek && typeof text === "string" && (await onPeek(() => peekTransactions(text))))
        await yieldToEventLoop();
      const page = readTransactions(parseJson(text as string, LIST), "GET /transactions");
      // Merchants are objects only when expanded; otherwise this loop would only cost a lookup a transaction.
      if (params.expandMerchant)
        for (const tx of page.items) {
          const merchant = tx.merchant;
          if (merchant && typeof merchant === "object" && typeof merchant.id === "string") {
            const known = merchants.get(merchant.id);
            if (known) tx.merchant = known;
            else merchants.set(merchant.id, merchant);
          }
        }
      return page;
    };
    return new HistoryWalk({
      fetchPage,
      start,
      ...(startLater ? { startLater } : {}),
      endMs,
      openEnd: params.before === undefined,
      concurrency,
      backward,
      highWater,
      sleep: config.sleep ?? sleep,
      random: config.random ?? Math.random,
      maxRetryAfterMs: config.maxRetryAfterMs ?? 60_000,
      signal: options?.signal,
      onProgress: params.onProgress,
    });
  }
}

/** Waits `ms`, or rejects with `AbortError` when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(undefined, signal.reason));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(undefined, signal?.reason));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
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
