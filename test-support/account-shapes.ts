/**
 * Account shapes for the history walk's tests and benchmarks: dense, sparse, bursty, and years-old with
 * quiet months, as lists of creation times, put on an otherwise empty emulator account; and the plain
 * walk every other Monzo library does (`since=<last id>`, 100 a page), with its requests counted, as the
 * baseline the walk must match.
 */
import { createEmulator, type Emulator, type EmulatorOptions } from "@monzokit/emulator";
import fc from "fast-check";

const DAY = 86_400_000;
const YEAR = 365 * DAY;

export type ShapeKind = "dense" | "sparse" | "bursty" | "quiet";

/** How to lay transactions out over an account's life. Times are relative to `now` (ms before it). */
export interface ShapeSpec {
  kind: ShapeKind;
  /** How old the account is. */
  years: number;
  /** Creation times are rounded to this many ms: 1000 or 60000 make ties (several at the same instant). */
  grain: number;
  seed: number;
  /** dense/sparse: how many; bursty: the background count; quiet: per active month at most. */
  count: number;
  /** bursty: how many bursts, each of up to `burstSize` within `burstHours`. */
  bursts: number;
  burstSize: number;
  burstHours: number;
  /** quiet: the share of months with any activity. */
  activeShare: number;
}

/** A small deterministic generator (mulberry32), so a shape is a function of its spec. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Creation times (epoch ms, ascending, ties allowed) for a shape ending at `now`, none before the
 * account's opening nor later than a minute before `now`.
 */
export function shapeTimes(spec: ShapeSpec, now: number): number[] {
  const rnd = random(spec.seed);
  const opened = now - spec.years * YEAR;
  const last = now - 60_000;
  const span = last - opened;
  const out: number[] = [];
  const at = (ms: number) => {
    const t = Math.min(last, Math.max(opened + 1, Math.floor(ms / spec.grain) * spec.grain));
    out.push(t);
  };
  if (spec.kind === "dense" || spec.kind === "sparse") {
    for (let i = 0; i < spec.count; i++) at(opened + rnd() * span);
  } else if (spec.kind === "bursty") {
    for (let i = 0; i < spec.count; i++) at(opened + rnd() * span);
    for (let b = 0; b < spec.bursts; b++) {
      const start = opened + rnd() * span;
      const size = 1 + Math.floor(rnd() * spec.burstSize);
      for (let i = 0; i < size; i++) at(start + rnd() * spec.burstHours * 3_600_000);
    }
  } else {
    const months = Math.floor(span / (30 * DAY));
    for (let m = 0; m < months; m++) {
      if (rnd() >= spec.activeShare) continue;
      const n = Math.floor(rnd() * spec.count);
      for (let i = 0; i < n; i++) at(opened + (m + rnd()) * 30 * DAY);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Shapes of each kind, small enough for property tests against the in-process emulator. */
export function shapeArbitrary(kinds: ShapeKind[] = ["dense", "sparse", "bursty", "quiet"]) {
  return fc
    .record({
      kind: fc.constantFrom(...kinds),
      years: fc.integer({ min: 1, max: 7 }),
      grain: fc.constantFrom(1, 1, 1000, 60_000),
      seed: fc.integer(),
      countDense: fc.integer({ min: 1500, max: 5000 }),
      countSparse: fc.integer({ min: 0, max: 1500 }),
      background: fc.integer({ min: 0, max: 800 }),
      bursts: fc.integer({ min: 1, max: 12 }),
      burstSize: fc.integer({ min: 20, max: 600 }),
      burstHours: fc.constantFrom(0.001, 2, 24, 24 * 7),
      perMonth: fc.integer({ min: 1, max: 250 }),
      activeShare: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
    })
    .map(
      (r): ShapeSpec => ({
        kind: r.kind,
        years: r.years,
        grain: r.grain,
        seed: r.seed,
        count:
          r.kind === "dense"
            ? r.countDense
            : r.kind === "sparse"
              ? r.countSparse
              : r.kind === "bursty"
                ? r.background
                : r.perMonth,
        bursts: r.bursts,
        burstSize: r.burstSize,
        burstHours: r.burstHours,
        activeShare: r.activeShare,
      }),
    );
}

export interface ShapedAccount {
  emulator: Emulator;
  token: string;
  accountId: string;
  /** The account's transaction ids, in Monzo's order. */
  ids: string[];
}

/**
 * An emulator whose main current account holds exactly `times` (and was opened `years` ago), on a frozen
 * clock at `now`. The transactions are put on the emulator's bank directly: building 20,000 of them
 * through the control API, one request each, would be most of a test's time.
 */
export function shapedAccount(
  times: number[],
  years: number,
  options: { now?: number; emulator?: EmulatorOptions } = {},
): ShapedAccount {
  const now = options.now ?? Date.now();
  const emulator = createEmulator({
    seed: "shapes",
    transactions: 0,
    years,
    clock: { start: now, frozen: true },
    ...options.emulator,
  });
  const { accountId, ids } = fillAccount(emulator, times);
  const token = emulator.control.token({ ttlSeconds: 7 * 86400 });
  return { emulator, token, accountId, ids };
}

/**
 * Puts transactions created at `times` on the emulator's main current account (seed it with
 * `transactions: 0` for an account holding only these). Returns the account and its ids in Monzo's order.
 */
export function fillAccount(emulator: Emulator, times: number[]): { accountId: string; ids: string[] } {
  const account = [...emulator.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
  type Json = Parameters<Emulator["state"]["bank"]["add"]>[1];
  const ids: string[] = [];
  for (const [i, ms] of times.entries()) {
    const created = new Date(ms).toISOString();
    const amount = -(100 + ((i * 7919) % 9000));
    const json = {
      id: emulator.state.ids.next("tx"),
      created,
      updated: created,
      description: `SHAPE ${i}`,
      amount,
      fees: {},
      currency: "GBP",
      merchant: null,
      notes: "",
      metadata: { shape_index: String(i) },
      labels: null,
      attachments: null,
      international: null,
      category: "general",
      categories: { general: amount },
      is_load: false,
      settled: created,
      local_amount: amount,
      local_currency: "GBP",
      account_id: account.json.id,
      user_id: "",
      counterparty: {},
      scheme: "mastercard",
      dedupe_id: "",
      originator: false,
      include_in_spending: true,
      can_be_excluded_from_breakdown: false,
      can_be_made_subscription: false,
      can_split_the_bill: false,
      can_add_to_tab: false,
      can_match_transactions_in_categorization: false,
      amount_is_pending: false,
      atm_fees_detailed: null,
      parent_account_id: "",
    } as unknown as Json;
    emulator.state.bank.add(account, json, ms, false, false);
  }
  for (const record of account.transactions) ids.push(record.id);
  return { accountId: account.json.id, ids };
}

/** A `fetch` that counts what it sends, by answer status. */
export function countingFetch(inner: typeof globalThis.fetch) {
  const counts = { requests: 0, rateLimited: 0, byPath: new Map<string, number>() };
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    counts.byPath.set(url.pathname, (counts.byPath.get(url.pathname) ?? 0) + 1);
    const response = await inner(input, init);
    if (response.status === 429) counts.rateLimited++;
    else counts.requests++;
    return response;
  }) as typeof globalThis.fetch;
  return { fetch, counts };
}

interface MinimalClient {
  transactions: {
    list(params: { accountId: string; since?: Date | string; before?: Date | string; limit?: number }): {
      then: PromiseLike<{ items: { id: string }[]; hasMore: boolean }>["then"];
    } & AsyncIterable<{ id: string }>;
  };
  accounts: { list(): Promise<{ id: string; created: string }[]> };
}

/** Longest span of a page from a timestamp (see core's history walk): Monzo's one-year limit. */
const MAX_SPAN_MS = 360 * DAY;

/**
 * The plain walk: from `since` (a transaction id, or a timestamp; default the account's opening less a day,
 * as history starts) it steps through years until it knows a transaction, then pages `since=<last id>`,
 * 100 a page, until a short page. `end` bounds only the year steps (pass the history's `before` so both
 * cut the same years). Returns the ids in order; count its requests with `countingFetch`.
 */
export async function sequentialWalk(
  client: MinimalClient,
  accountId: string,
  since?: string | Date,
  end: number = Date.now() + 60_000,
): Promise<string[]> {
  return (await sequentialTransactions(client, accountId, since, end)).map((tx) => tx.id);
}

/**
 * The plain walk of `sequentialWalk`, keeping every transaction it fetched, as a caller of such a walk
 * would (and as `history(…).toArray()` does): the benchmarks time the two holding the same objects.
 */
export async function sequentialTransactions(
  client: MinimalClient,
  accountId: string,
  since?: string | Date,
  end: number = Date.now() + 60_000,
): Promise<{ id: string }[]> {
  const kept: { id: string }[] = [];
  let cursor: string | undefined;
  if (typeof since === "string" && since.startsWith("tx_")) cursor = since;
  else {
    let from: number;
    if (since !== undefined) from = since instanceof Date ? since.getTime() : Date.parse(since);
    else {
      const account = (await client.accounts.list()).find((a) => a.id === accountId)!;
      from = Date.parse(account.created) - DAY;
    }
    while (cursor === undefined && from < end) {
      const to = Math.min(end, from + MAX_SPAN_MS);
      const page = await client.transactions.list({
        accountId,
        since: new Date(from),
        before: new Date(to),
        limit: 100,
      });
      for (const tx of page.items) kept.push(tx);
      if (page.items.length === 100 || (page.items.length > 0 && to < end))
        cursor = page.items[page.items.length - 1]!.id;
      if (page.items.length > 0 && page.items.length < 100 && to >= end) return kept;
      from = to;
    }
    if (cursor === undefined) return kept;
  }
  for (;;) {
    const page = await client.transactions.list({ accountId, since: cursor, limit: 100 });
    for (const tx of page.items) kept.push(tx);
    if (page.items.length < 100) return kept;
    cursor = page.items[page.items.length - 1]!.id;
  }
}
