import { BadRequestError, HistoryWindowError, RateLimitError } from "../errors/api-error.js";
import { AbortError } from "../errors/client-errors.js";
import { InvalidResponseError, type Transaction } from "../models/schemas.js";
import { backoffDelay } from "../transport/retry.js";
import { Gap, type Lower, lowerAfter, PAGE, type Request, type Upper, upperBefore } from "./gap.js";
import { Pacer } from "./pacer.js";
import type { PagePeek } from "./peek.js";

const DAY = 86_400_000;

/**
 * Longest `since`…`before` span of a page from a timestamp: Monzo reportedly refuses more than about a
 * year and exporters cut ≤ 350–364 days (REFERENCE §3.1). Pages from a transaction id have no such span.
 */
export const MAX_SPAN_MS = 360 * DAY;
/**
 * The request budget: at most this share more requests than a plain forward walk (`since=<last id>`,
 * 100 a page), whose only short page is its last. Each gap costs up to one short page where its two
 * walkers meet, so the walk opens a new gap only while the estimate of the history pays for it.
 */
export const EXTRA_REQUESTS = 0.05;
/** Neither side of a split may be estimated below this many transactions (20 pages per short page). */
export const SPLIT_MIN = 2000;
/** While streaming, a split cuts this many transactions off the front of a gap (the look-ahead stays small). */
export const SPLIT_TARGET = 2500;
/**
 * A gap is split only when it is at most this many times longer than the time the pages so far covered:
 * a density seen over a week says little about three years. Walking from both ends samples both ends of
 * the history, so it may extrapolate further than walking forward only.
 */
export const EXTRAPOLATION = { bothEnds: 50, forwardOnly: 10 } as const;
/**
 * The unknown part is estimated at most this many times what the walk has seen (bursts mislead), half as
 * many for the first extra request.
 */
export const LINDY = 10;
/** More transactions than this at one instant at a backward walker's edge: it stops there. */
const TIE_RUN = 10;
/** 429 episodes in a row, with no page answered between them, before the walk gives up. */
const MAX_RATE_LIMIT_EPISODES = 10;

/** A page of the walk: `since` (an id or timestamp) and `before` (a timestamp), 100 transactions. */
export interface PageQuery {
  since?: string;
  before?: string;
}

/**
 * What `transactions.history` reports after each page (`HistoryParams.onProgress`).
 *
 * @example history({ accountId, onProgress: (p) => console.error(`${Math.round(p.fraction * 100)}%`) })
 */
export interface HistoryProgress {
  /** Stretches of the history known completely so far. */
  windowsDone: number;
  /** Stretches so far, done or not (grows when the walk splits one). */
  windows: number;
  /** Transactions ready in order (yielded, or about to be). */
  transactions: number;
  /** The last of those: pass it as `since` to resume after an interruption. */
  cursor: string | undefined;
  /** Share of the time range known, 0–1. */
  fraction: number;
  /** Pages the walk may have in flight now: the concurrency asked for, lower after a 429. */
  concurrency: number;
  /** Pages Monzo refused with 429 so far (each was sent again after its Retry-After). */
  rateLimited: number;
  /** Transactions the walk holds: fetched and not yet read, in order or waiting for what comes before. */
  buffered: number;
}

/** A page as the walk reads it: the transactions, checked, and each one's `created` in ms. */
export interface TransactionPage {
  items: Transaction[];
  ms: number[];
}

/** How a `HistoryWalk` fetches, where it starts and ends, and how it paces itself. */
export interface WalkOptions {
  /**
   * Fetches one page (`readTransactions` gives both arrays); the walk pages at 100 transactions. With
   * `onPeek`, it offers what the answer's text shows (`peekTransactions`, read only if the walk asks)
   * before parsing it; `true` back means the walk sent its next page from it, and the runtime should be
   * let write that request first.
   */
  fetchPage: (
    query: PageQuery,
    signal: AbortSignal,
    onPeek?: (peek: () => PagePeek | undefined) => boolean | Promise<boolean>,
  ) => Promise<TransactionPage>;
  /** Where the walk starts. `id` only (ms NaN): after that transaction. `ms` only: from that instant. */
  start: Lower;
  /** Resolves to the start instant when it is not known at once (the account's opening). */
  startLater?: Promise<number>;
  /** The walk ends before this instant. */
  endMs: number;
  /**
   * The end is only "now" (the caller gave no `before`): a forward page from a transaction towards it
   * leaves `before` out, exactly as the plain walk asks; anything newer than the end is not the walk's.
   */
  openEnd?: boolean;
  concurrency: number;
  /** Page backward from the upper edges too: true, false, or decide once the first page shows its dates. */
  backward: boolean | ((firstMs: number) => boolean);
  /** Transactions fetched ahead of the reader before the walk waits for it. */
  highWater: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  /** Longest Retry-After honoured, in ms. */
  maxRetryAfterMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: HistoryProgress) => void) | undefined;
}

/** What the walk did, for benchmarks and tests. */
export interface WalkStats {
  requests: number;
  rateLimited: number;
  splits: number;
  wasted: number;
}

/**
 * The history walk: the range from `start` to `end` is one gap at first, closed from its lower edge
 * forward (`since=<last id>`, as a plain walk does) and — where Monzo allows reads without a lower bound
 * — from its upper edge backward (`before=<oldest seen>`; REFERENCE §3.1). Where two walkers meet, one
 * short page is all that is lost. Once the pages show how dense the history is and the budget of extra
 * requests allows, a large gap is split in two (a backward walker at the split point for the part below,
 * a forward one for the part above), until the walk keeps `concurrency` pages in flight. Transactions are
 * handed on in order as soon as everything before them is known.
 *
 * @example
 * ```ts
 * const walk = new HistoryWalk({ fetchPage, start: { ms, id: undefined, ties: undefined }, endMs, concurrency: 8,
 *   backward: true, highWater: 10_000, sleep, random: Math.random, maxRetryAfterMs: 60_000 });
 * for await (const tx of walk) write(tx);
 * ```
 * @see ../../../../docs/adr/0010-history-walk-request-budget.md
 */
export class HistoryWalk {
  readonly #o: WalkOptions;
  readonly #gaps: Gap[];
  #queue: (Transaction | undefined)[] = [];
  #queueHead = 0;
  readonly #pacer: Pacer;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  #backward: boolean | undefined;
  #inflight = 0;
  #error: unknown;
  #failed = false;
  #done = false;
  #cancelled = false;
  /** A short backward page arrived before the opening was known: it holds the whole history. */
  #heldShort = false;
  /** Pages answered, and pages refused for good (a backward page Monzo would not serve). */
  #spent = 0;
  #wake: (() => void) | undefined;
  #fetched = 0;
  #emitted = 0;
  #cursor: string | undefined;
  #closedGaps = 0;
  #covered = 0;
  /** Densities of the latest full pages (transactions per ms), for a rate a burst cannot inflate. */
  readonly #rates: number[] = [];
  #overallKey = Number.NaN;
  #overallValue = Number.POSITIVE_INFINITY;
  #startMs: number;
  /** The last `before` sent, as ms and as text: a walker pages towards the same edge many times. */
  #isoMs = Number.NaN;
  #isoText = "";
  readonly stats: WalkStats = { requests: 0, rateLimited: 0, splits: 0, wasted: 0 };

  constructor(options: WalkOptions) {
    this.#o = options;
    this.#pacer = new Pacer(Math.max(1, Math.floor(options.concurrency)));
    this.#signal = options.signal
      ? AbortSignal.any([options.signal, this.#abort.signal])
      : this.#abort.signal;
    this.#backward = typeof options.backward === "boolean" ? options.backward : undefined;
    const hi: Upper = { ms: options.endMs, item: false, ties: undefined };
    this.#gaps = [new Gap(options.start, hi)];
    this.#startMs = options.start.ms;
    if (options.startLater) {
      options.startLater.then(
        (ms) => {
          this.#locate(ms);
          this.#schedule();
        },
        (error: unknown) => this.#fail(error),
      );
    }
  }

  /** Every transaction in order; stops the walk if the reader stops early. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Transaction> {
    this.#schedule();
    try {
      for (;;) {
        if (this.#queueHead < this.#queue.length) {
          const tx = this.#queue[this.#queueHead]!;
          this.#queue[this.#queueHead++] = undefined;
          if (this.#queueHead > 4096 && this.#queueHead * 2 > this.#queue.length) {
            this.#queue.splice(0, this.#queueHead);
            this.#queueHead = 0;
          }
          // The reader made room: walkers held back by the look-ahead may go on.
          if (this.#inflight < this.#pacer.slots) this.#schedule();
          yield tx;
          continue;
        }
        if (this.#failed) throw this.#error;
        if (this.#done) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.#cancel();
    }
  }

  /** Every transaction in order, in one array: the queue is the answer, no item is yielded one by one. */
  async collect(): Promise<Transaction[]> {
    this.#schedule();
    try {
      while (!this.#done && !this.#failed) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
      if (this.#failed) throw this.#error;
      // Nothing was read one by one: the queue itself is the answer.
      const all = (this.#queueHead === 0 ? this.#queue : this.#queue.slice(this.#queueHead)) as Transaction[];
      this.#queue = [];
      this.#queueHead = 0;
      return all;
    } finally {
      this.#cancel();
    }
  }

  // --- scheduling -------------------------------------------------------------------------------

  #schedule(): void {
    if (this.#failed || this.#done || this.#cancelled || this.#pacer.paused) return;
    this.#serve();
    while (
      this.#inflight < this.#pacer.slots &&
      this.#buffered() + this.#queue.length - this.#queueHead < this.#o.highWater
    ) {
      const sent = this.#inflight;
      if (!this.#split()) return;
      this.#serve();
      // The new walkers could not go out (no room): do not split any further for nothing.
      if (this.#inflight === sent) return;
    }
  }

  /** Sends the pages the open gaps can use, first gap first. */
  #serve(): void {
    const slots = this.#pacer.slots;
    const overall = this.#overall();
    const buffered = this.#buffered();
    const queued = this.#queue.length - this.#queueHead;
    for (let i = 0; i < this.#gaps.length && this.#inflight < slots; i++) {
      const gap = this.#gaps[i]!;
      if (gap.closed) continue;
      const located = !this.#startPending(gap);
      const estimate = gap.estimate(overall);
      // Two pages at once only where the gap seems to hold two pages or more, and the budget could pay
      // for the second if it were wasted after all.
      const allowed = estimate !== undefined && estimate >= 2 * PAGE && this.#afford(1) ? 2 : 1;
      let flying = (gap.forward ? 1 : 0) + (gap.backward ? 1 : 0);
      const backwardUsable = this.#backwardAllowed(gap);
      // The first gap's forward pages go straight to the reader; everything else waits in memory.
      const room = queued + buffered < this.#o.highWater;
      const forwardRoom = i === 0 ? queued < this.#o.highWater : room;
      const backwardRoom = room;
      // A backward page from a wall in time repeats nothing and reaches at most what a forward page would
      // have closed: free, and it measures the far end. Take it before the forward walker goes on alone.
      const backwardFree =
        backwardUsable && !gap.hi.item && gap.hiRate === undefined && !gap.backward && flying === 0;
      if (
        !gap.forward &&
        located &&
        flying < allowed &&
        forwardRoom &&
        !this.#startPending(gap) &&
        !(backwardFree && allowed === 1 && gap.forwardPages > 0)
      ) {
        this.#send(gap, false);
        flying++;
      }
      if (!gap.backward && flying < allowed && this.#inflight < slots && backwardRoom && backwardUsable) {
        this.#send(gap, true);
      }
    }
  }

  /** Whether the gap's upper edge may send a backward page now. */
  #backwardAllowed(gap: Gap): boolean {
    if (this.#backward !== true || this.#pacer.max <= 1 || gap.backwardOff || this.#heldShort) return false;
    if (!gap.hi.item) return true; // from a wall in time: it repeats nothing
    const r = repeats(gap);
    // A run of one instant at the edge would be repeated by every page: the forward walker's ids go through it.
    if (r > TIE_RUN) return false;
    return this.#afford(r / PAGE);
  }

  #startPending(gap: Gap): boolean {
    return gap.lo.id === undefined && Number.isNaN(gap.lo.ms);
  }

  #send(gap: Gap, backward: boolean): void {
    const query: PageQuery = {};
    let beforeMs = gap.hiBefore;
    let capped = false;
    if (backward) {
      query.before = this.#iso(beforeMs);
    } else {
      const lo = gap.lo;
      if (lo.id !== undefined) query.since = lo.id;
      else {
        query.since = this.#iso(lo.ms);
        if (beforeMs - lo.ms > MAX_SPAN_MS) {
          beforeMs = lo.ms + MAX_SPAN_MS;
          capped = true;
        }
      }
      if (lo.id !== undefined && this.#o.openEnd && !gap.hi.item && gap.hi.ms === this.#o.endMs)
        beforeMs = Number.POSITIVE_INFINITY;
      else query.before = this.#iso(beforeMs);
    }
    const request: Request = {
      gap,
      backward,
      epoch: this.#pacer.epoch,
      beforeMs,
      capped,
      anchorMs: gap.lo.ms,
      lower: gap.lo,
      repeats: backward ? repeats(gap) : 0,
      sinceId: backward ? undefined : gap.lo.id,
    };
    if (backward) gap.backward = request;
    else gap.forward = request;
    this.#dispatch(request, query);
  }

  #dispatch(request: Request, query: PageQuery): void {
    this.#inflight++;
    this.stats.requests++;
    const onPeek = request.backward
      ? undefined
      : (peek: () => PagePeek | undefined) => this.#early(request, peek);
    this.#o.fetchPage(query, this.#signal, onPeek).then(
      (page) => this.#settle(request, () => this.#answered(request, page)),
      (error: unknown) => this.#settle(request, () => this.#refused(request, error)),
    );
  }

  /** Handles an answer now, or once the page this one was sent from has been read. */
  #settle(request: Request, handle: () => void): void {
    if (request.predecessor) request.held = handle;
    else handle();
  }

  /**
   * A forward page's text showed it is full and where it ends, before it is parsed: send the page after it
   * now, when that is exactly the page the walk would send once this one is read — the gap's only walker
   * goes on (no backward page in flight, none free to take first), the page ends inside the gap, and
   * there is room and a slot. So for a page that reads, the walk sends no request it would not have sent,
   * only sooner: while this page is parsed and checked, the next one is already on its way (ADR 0012); a
   * page whose parse or checks then fail has cost one request more before the walk fails with its error.
   * True if it sent it. A page
   * that was itself sent early decides once the page before it has been read (on a fast connection its
   * answer can come first), so the chain of early pages does not break.
   */
  #early(request: Request, peek: () => PagePeek | undefined): boolean | Promise<boolean> {
    if (request.predecessor)
      return new Promise<boolean>((resolve) => {
        request.waiting = () => resolve(this.#early(request, peek) as boolean);
      });
    const gap = request.gap;
    // What can be decided without the text first: reading its structure costs about half a parse.
    if (
      this.#failed ||
      this.#done ||
      this.#cancelled ||
      this.#pacer.paused ||
      this.#backward === undefined ||
      gap.closed ||
      gap.forward !== request ||
      gap.backward !== undefined ||
      request.successor !== undefined ||
      this.#startPending(gap) ||
      this.#inflight - 1 >= this.#pacer.slots ||
      this.#buffered() + this.#queue.length - this.#queueHead + 2 * PAGE >= this.#o.highWater ||
      // A free backward page would be taken before the forward walker goes on (see #serve).
      (this.#backwardAllowed(gap) && !gap.hi.item && gap.hiRate === undefined)
    )
      return false;
    const seen = peek();
    const last = seen?.last;
    if (
      seen?.count !== PAGE ||
      last === undefined ||
      !(last.ms < gap.hi.ms && last.ms < request.beforeMs) ||
      // The page must move its edge: one that ignores `since` is refused when it is read.
      !gap.afterLo(last, last.ms)
    )
      return false;
    const query: PageQuery = { since: last.id };
    let beforeMs = gap.hiBefore;
    if (this.#o.openEnd && !gap.hi.item && gap.hi.ms === this.#o.endMs) beforeMs = Number.POSITIVE_INFINITY;
    else query.before = this.#iso(beforeMs);
    const next: Request = {
      gap,
      backward: false,
      epoch: this.#pacer.epoch,
      beforeMs,
      capped: false,
      anchorMs: last.ms,
      // Set when this page has been read (#adopt): the edge it moves to.
      lower: gap.lo,
      repeats: 0,
      sinceId: last.id,
      predecessor: request,
    };
    request.successor = next;
    gap.forward = next;
    this.#dispatch(next, query);
    return true;
  }

  /**
   * The page an early request was sent from has been read: the early one goes on from that page's last
   * transaction (its answer, if it came meanwhile, is handed back to run next). Its "nothing after `since`" check holds only if that is still the gap's edge (a page from
   * an earlier gap may have reached past it meanwhile, as it may past any page in flight).
   */
  #adopt(request: Request): (() => void) | undefined {
    const next = request.successor;
    if (!next) return undefined;
    request.successor = undefined;
    const lo = next.gap.lo;
    next.lower = lo.id === next.sinceId ? lo : { ms: next.anchorMs, id: next.sinceId, ties: undefined };
    next.predecessor = undefined;
    // Either its text waits for a decision, or its answer came whole and waits to be handled.
    const then = next.waiting ?? next.held;
    next.waiting = undefined;
    next.held = undefined;
    return then;
  }

  #iso(ms: number): string {
    if (ms !== this.#isoMs) {
      this.#isoText = new Date(ms).toISOString();
      this.#isoMs = ms;
    }
    return this.#isoText;
  }

  /** Opens a gap where the estimate and the request budget allow; true if it did. */
  #split(): boolean {
    const streaming = Number.isFinite(this.#o.highWater);
    let best: Gap | undefined;
    let bestScore = 0;
    const overall = this.#overall();
    if (!this.#afford(1)) return false;
    for (const gap of this.#gaps) {
      if (gap.closed || !(gap.span > 2)) continue;
      const estimate = gap.estimate(overall);
      if (estimate === undefined || estimate < 2 * SPLIT_MIN) continue;
      // Both edges measured (one, where nobody pages backward), and a span the pages so far can vouch for.
      if (gap.loRate === undefined) continue;
      if (gap.hiRate === undefined && this.#backwardAllowed(gap)) continue;
      const reach = this.#backward && !gap.backwardOff ? EXTRAPOLATION.bothEnds : EXTRAPOLATION.forwardOnly;
      if (gap.span > reach * this.#covered) continue;
      const walkers = 1 + (this.#backward && !gap.backwardOff ? 1 : 0);
      const score = estimate / walkers;
      if (streaming) {
        best = gap;
        break;
      }
      if (score > bestScore) {
        best = gap;
        bestScore = score;
      }
    }
    if (!best) return false;
    const estimate = best.estimate(overall)!;
    const rate = best.rate(overall)!;
    let at = best.lo.ms + best.span / 2;
    if (streaming && estimate >= SPLIT_TARGET + SPLIT_MIN) at = best.lo.ms + SPLIT_TARGET / rate;
    at = Math.round(at);
    if (!(at > best.lo.ms && at < best.hi.ms)) return false;
    this.#splitAt(best, at);
    return true;
  }

  #splitAt(gap: Gap, at: number): void {
    const upper = new Gap({ ms: at, id: undefined, ties: undefined }, gap.hi);
    upper.right.push(...gap.right);
    gap.right.length = 0;
    upper.backward = gap.backward;
    if (upper.backward) upper.backward.gap = upper;
    gap.backward = undefined;
    upper.backwardOff = gap.backwardOff;
    const rate = gap.rate(this.#overall());
    upper.hiRate = gap.hiRate;
    upper.loRate = rate;
    gap.hiRate = rate;
    gap.hi = { ms: at, item: false, ties: undefined };
    this.#gaps.splice(this.#gaps.indexOf(gap) + 1, 0, upper);
    this.stats.splits++;
  }

  // --- answers ----------------------------------------------------------------------------------

  #answered(request: Request, page: TransactionPage): void {
    const items = page.items;
    this.#inflight--;
    this.#release(request);
    if (this.#cancelled || this.#failed) return;
    this.#pacer.answered();
    this.#spent++;
    try {
      const ms = page.ms;
      checkOrder(ms, request);
      const first = this.#backward === undefined && !request.backward;
      const useful = request.backward
        ? this.#backwardPage(request, items, ms)
        : this.#forwardPage(request, items, ms);
      if (!useful) this.stats.wasted++;
      if (first && this.#backward === undefined) {
        const decide = this.#o.backward as (firstMs: number) => boolean;
        this.#backward = items.length > 0 && decide(ms[0]!);
        if (Number.isNaN(this.#startMs)) this.#startMs = items.length > 0 ? ms[0]! : this.#o.endMs;
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    // Its early successor's answer, if it came while this page was read, is handled after it.
    const held = this.#adopt(request);
    this.#emit();
    this.#progress();
    this.#schedule();
    held?.();
  }

  /** The request no longer holds its gap's walker slot (an early successor may hold it already). */
  #release(request: Request): void {
    const gap = request.gap;
    if (request.backward) {
      if (gap.backward === request) gap.backward = undefined;
    } else if (gap.forward === request) gap.forward = undefined;
  }

  /** A forward page: into its gap, then on into the gaps after it while it reaches past their starts. */
  #forwardPage(request: Request, items: Transaction[], ms: number[]): boolean {
    const full = items.length >= PAGE;
    let index = this.#gaps.indexOf(request.gap);
    if (index < 0) return false;
    const anchor = Number.isNaN(request.anchorMs) ? (ms[0] ?? request.beforeMs) : request.anchorMs;
    if (full) {
      const span = ms[items.length - 1]! - anchor;
      request.gap.loRate = items.length / Math.max(1, span);
      this.#sample(request.gap.loRate);
      this.#covered += Math.max(0, span);
    } else {
      // A short page covered everything up to its `before` (the walk's end when it asked without one).
      const until = Number.isFinite(request.beforeMs) ? request.beforeMs : this.#o.endMs;
      this.#covered += Math.max(0, until - anchor);
    }
    request.gap.forwardPages++;
    let rest = 0;
    let useful = false;
    for (let first = true; index < this.#gaps.length; index++, first = false) {
      const gap = this.#gaps[index]!;
      // Between two gaps everything is known: skip it, the page goes on where this gap starts.
      while (rest < items.length && !gap.afterLo(items[rest]!, ms[rest]!)) rest++;
      const from = rest;
      while (rest < items.length && gap.beforeHi(items[rest]!, ms[rest]!)) rest++;
      if (rest > from && !gap.closed) {
        for (let i = from; i < rest; i++) gap.left.push(items[i]!);
        gap.lo = lowerAfter(items, ms, from, rest, gap.lo);
        this.#fetched += rest - from;
        useful = true;
      }
      // The gap is complete when the page went past its end, or stopped short with `before` beyond it.
      const complete = rest < items.length || (!full && request.beforeMs >= gap.hiBefore);
      if (!complete) {
        if (first && !full && request.capped) {
          // Nothing more before the one-year cut. After a transaction, `since=<its id>` has no span limit
          // and goes on from there; with none yet, the gap starts at the cut.
          if (rest === from) gap.lo = { ms: request.beforeMs, id: undefined, ties: undefined };
          useful = true;
        } else if (first && full && rest === from && gap.lo === request.lower) {
          throw new InvalidResponseError(
            "GET /transactions",
            "a full page brought nothing after `since` (the answer ignores it)",
          );
        }
        break;
      }
      if (!gap.closed) {
        this.#close(gap);
        useful = true;
      }
    }
    return useful;
  }

  /** A backward page: into its gap, then on into the gaps before it while it reaches past their ends. */
  #backwardPage(request: Request, items: Transaction[], ms: number[]): boolean {
    const full = items.length >= PAGE;
    let index = this.#gaps.indexOf(request.gap);
    if (index < 0) return false;
    if (full) {
      const span = request.beforeMs - ms[0]!;
      request.gap.hiRate = items.length / Math.max(1, span);
      this.#sample(request.gap.hiRate);
      this.#covered += Math.max(0, span);
    }
    let end = items.length;
    let useful = false;
    for (let first = true; index >= 0; index--, first = false) {
      const gap = this.#gaps[index]!;
      while (end > 0 && !gap.beforeHi(items[end - 1]!, ms[end - 1]!)) end--;
      const to = end;
      while (end > 0 && gap.afterLo(items[end - 1]!, ms[end - 1]!)) end--;
      if (to > end && !gap.closed) {
        gap.right.unshift(items.slice(end, to));
        gap.hi = upperBefore(items, ms, end, to, gap.hi);
        this.#fetched += to - end;
        useful = true;
      }
      // Without a lower bound, a short page holds everything older: every gap before it is complete.
      const complete = end > 0 || !full;
      if (!complete) {
        // Nothing new and the lower edge not reached: a run of ties longer than a page.
        if (first && to === end && !gap.closed) gap.backwardOff = true;
        break;
      }
      if (gap.closed) continue;
      if (this.#startPending(gap)) {
        // The opening is not known yet: keep the pages; #locate trims what is older and closes the gap.
        gap.backwardOff = true;
        this.#heldShort = true;
        break;
      }
      this.#close(gap);
      useful = true;
    }
    return useful;
  }

  /** The account's opening arrived: the walk's first gap starts there. */
  #locate(ms: number): void {
    if (this.#failed || this.#cancelled) return;
    const gap = this.#gaps[0]!;
    this.#startMs = ms;
    gap.lo = { ms, id: undefined, ties: undefined };
    let trimmed = false;
    for (const page of gap.right) {
      let cut = 0;
      while (cut < page.length && Date.parse(page[cut]!.created) < ms) cut++;
      if (cut > 0) {
        page.splice(0, cut);
        this.#fetched -= cut;
        trimmed = true;
      }
    }
    // A backward page already reached the opening, or a short one held the whole history.
    if (trimmed || this.#heldShort) this.#close(gap);
    this.#emit();
    this.#progress();
  }

  #close(gap: Gap): void {
    gap.closed = true;
    this.#closedGaps++;
  }

  #refused(request: Request, error: unknown): void {
    this.#inflight--;
    this.#release(request);
    if (this.#cancelled || this.#failed) return;
    if (error instanceof RateLimitError) {
      this.stats.requests--;
      this.stats.rateLimited++;
      const episode = this.#pacer.limited(request.epoch);
      this.#progress();
      if (episode) {
        const wait =
          error.retryAfter === undefined
            ? backoffDelay(this.#pacer.strikes - 1, this.#o.random)
            : error.retryAfter * 1000;
        if (this.#pacer.strikes > MAX_RATE_LIMIT_EPISODES || wait > this.#o.maxRetryAfterMs) {
          this.#fail(error);
          return;
        }
        this.#pacer.paused = true;
        this.#o.sleep(wait, this.#signal).then(
          () => {
            this.#pacer.paused = false;
            this.#schedule();
          },
          (e: unknown) => this.#fail(e),
        );
      }
      this.#schedule();
      return;
    }
    // Monzo may refuse reads without a lower bound (the 90-day rule, REFERENCE §2.12): page forward only.
    if (request.backward && (error instanceof HistoryWindowError || error instanceof BadRequestError)) {
      this.#backward = false;
      for (const gap of this.#gaps) gap.backwardOff = true;
      this.stats.wasted++;
      this.#spent++;
      this.#schedule();
      return;
    }
    this.#fail(error);
  }

  // --- output -----------------------------------------------------------------------------------

  /** Hands on everything known before the first gap that is still open. */
  #emit(): void {
    while (this.#gaps.length > 0) {
      const gap = this.#gaps[0]!;
      // Handed on and let go: a long export must not keep what its reader has already written.
      for (const tx of gap.left) this.#push(tx);
      gap.left.length = 0;
      if (!gap.closed) break;
      for (const page of gap.right) for (const tx of page) this.#push(tx);
      gap.right.length = 0;
      this.#gaps.shift();
    }
    if (this.#gaps.length === 0) this.#done = true;
    this.#wake?.();
    this.#wake = undefined;
  }

  #push(tx: Transaction): void {
    this.#queue.push(tx);
    this.#emitted++;
    this.#cursor = tx.id;
  }

  /**
   * Whether `cost` more requests fit the budget: at most `EXTRA_REQUESTS` more than a plain walk of
   * everything, as far as the pages so far let one estimate it. What the walk has spent beyond a plain
   * walk is measured, not assumed: the pages answered, plus the short page every open gap will still end
   * with, less the pages a plain walk needs for what was fetched (100 new transactions each) and its own
   * last page. So a page that repeated what was known, a short page where walkers met, a page cut at the
   * one-year span all count as they happen, and the walk stops taking chances once they add up.
   */
  #afford(cost: number): boolean {
    const overall = this.#overall();
    let unknown = 0;
    let open = 0;
    for (const gap of this.#gaps) {
      if (gap.closed) continue;
      open++;
      unknown += gap.estimate(overall) ?? 0;
    }
    const spent = this.#spent + open - this.#fetched / PAGE - 1;
    // The first extra request is the one a small account cannot pay for: trust the estimate less for it,
    // and not at all when nothing has measured the far end (walking forward only).
    const lindy = spent >= 1 ? LINDY : this.#backward ? LINDY / 2 : 0;
    const plain = (this.#fetched + Math.min(unknown, lindy * this.#fetched)) / PAGE + 1;
    return Math.max(0, spent) + cost <= Math.floor(EXTRA_REQUESTS * plain);
  }

  /** Transactions per ms over everything the pages so far covered. */
  #overall(): number {
    // Computed once per change of what the pages showed: the scheduler asks for it many times a page.
    const key = this.#fetched * 1e3 + this.#covered + this.#rates.length;
    if (key === this.#overallKey) return this.#overallValue;
    const average = this.#covered > 0 ? this.#fetched / this.#covered : Number.POSITIVE_INFINITY;
    // A burst adds transactions but hardly any time, so the average alone would take a busy day for the
    // whole history: plan with the lower fifth of the pages' own densities too (all of them, while few).
    const rates = [...this.#rates].sort((a, b) => a - b);
    const low = rates.length === 0 ? Number.POSITIVE_INFINITY : rates[Math.floor((rates.length - 1) / 5)]!;
    this.#overallKey = key;
    this.#overallValue = Math.min(average, low);
    return this.#overallValue;
  }

  #sample(rate: number): void {
    this.#rates.push(rate);
    if (this.#rates.length > 64) this.#rates.shift();
    this.#overallKey = Number.NaN;
  }

  /** Every transaction the walk still references: its queue, and every gap's pages. */
  #held(): number {
    let n = this.#queue.length - this.#queueHead;
    for (const gap of this.#gaps) {
      n += gap.left.length;
      for (const page of gap.right) n += page.length;
    }
    return n;
  }

  #buffered(): number {
    let n = 0;
    for (const gap of this.#gaps) n += gap.buffered;
    return n;
  }

  #progress(): void {
    const onProgress = this.#o.onProgress;
    if (!onProgress) return;
    const total = this.#o.endMs - this.#startMs;
    let open = 0;
    for (const gap of this.#gaps) if (!gap.closed && gap.span > 0) open += gap.span;
    const fraction = this.#done
      ? 1
      : total > 0 && Number.isFinite(total)
        ? Math.min(1, Math.max(0, 1 - open / total))
        : 0;
    onProgress({
      windowsDone: this.#closedGaps,
      windows: this.#closedGaps + this.#gaps.filter((g) => !g.closed).length,
      transactions: this.#emitted,
      cursor: this.#cursor,
      fraction,
      concurrency: this.#pacer.slots,
      rateLimited: this.stats.rateLimited,
      buffered: this.#held(),
    });
  }

  #fail(error: unknown): void {
    if (this.#failed || this.#cancelled) return;
    this.#failed = true;
    this.#error = error;
    this.#abort.abort(error);
    this.#wake?.();
    this.#wake = undefined;
  }

  #cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (!this.#done && !this.#failed) this.#abort.abort(new AbortError("the history walk was stopped"));
  }
}

/** Checks a page's times (`created`, in ms) are in Monzo's order and inside what was asked for. */
function checkOrder(ms: readonly number[], request: Request): void {
  let previous = Number.NEGATIVE_INFINITY;
  for (const t of ms) {
    if (t < previous)
      throw new InvalidResponseError("GET /transactions", "transactions are not in time order");
    previous = t;
  }
  if (previous >= request.beforeMs)
    throw new InvalidResponseError("GET /transactions", "a transaction is not before `before`");
}

/** Transactions a backward page from this gap's upper edge repeats: those known at its instant. */
function repeats(gap: Gap): number {
  return gap.hi.item ? Math.max(1, gap.hi.ties?.size ?? 1) : 0;
}
