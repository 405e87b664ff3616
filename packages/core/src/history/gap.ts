import type { Transaction } from "../models/schemas.js";

/** Transactions per request: Monzo's maximum (REFERENCE §3.1). */
export const PAGE = 100;

/**
 * The lower edge of a gap: everything before it in Monzo's order is known (or outside the walk).
 * Monzo orders transactions by `created`, ties in its own order, and pages forward with
 * `since=<id>` (exclusive) or `since=<timestamp>` (inclusive) (REFERENCE §3.1).
 */
export interface Lower {
  /** When the last known transaction was created; or, without `id`, the instant from which nothing is known. */
  ms: number;
  /** The last known transaction: the next page asks `since=<id>`. Without it: `since=<ms>`. */
  id: string | undefined;
  /** Known transactions created exactly at `ms` (with `id` only): a page from the other side skips them. */
  ties: Set<string> | undefined;
}

/** The upper edge of a gap: everything after it is known (or outside the walk). */
export interface Upper {
  ms: number;
  /**
   * `true`: the oldest known transaction after the gap was created at `ms`; others created at `ms` may still
   * be unknown (`before` is exclusive and a timestamp only, so pages ask `before=ms+1` and skip `ties`).
   * `false`: a wall in time; nothing at or after `ms` belongs to the gap.
   */
  item: boolean;
  ties: Set<string> | undefined;
}

/** One page in flight, and what it was asked for. */
export interface Request {
  /** The gap it serves; a split hands a backward request to the new upper gap. */
  gap: Gap;
  backward: boolean;
  /** The pacing epoch it was sent in (a 429 from an older epoch does not slow the walk twice). */
  epoch: number;
  /** `before` as sent, in ms (infinite when left out). */
  beforeMs: number;
  /** A forward page from a timestamp, cut short of the gap's end by Monzo's one-year span. */
  capped: boolean;
  /** Where the page starts: the lower edge's time when sent (forward pages), for the density. */
  anchorMs: number;
  /** The lower edge when sent: a full page that brings nothing after an unmoved edge is a broken answer. */
  lower: Lower;
  /** A backward page from a transaction's time (`before=<its time>+1 ms`) repeats those known there. */
  repeats: number;
  /** `since` as sent: a transaction id (the edge the page goes on from), or undefined. */
  sinceId?: string | undefined;
  /** The page sent as soon as this one's text showed its last transaction, before this one was read. */
  successor?: Request | undefined;
  /** Set on that page until the page it was sent from is read: its answer waits for that. */
  predecessor?: Request | undefined;
  /** Its answer, held while the predecessor is still being read. */
  held?: (() => void) | undefined;
  /** Its text's peek, waiting for the same before the walk decides on an early page from it. */
  waiting?: (() => void) | undefined;
}

/**
 * What is not known yet between two known stretches of the history, and the two walkers that close
 * it: one paging forward from its lower edge, one paging backward from its upper edge. A gap closes
 * when a page from one side reaches the other.
 */
export class Gap {
  lo: Lower;
  hi: Upper;
  /** Pages from the lower edge, in order, not handed on yet (the first gap hands them on at once). */
  readonly left: Transaction[] = [];
  /** Pages from the upper edge, oldest first. */
  readonly right: Transaction[][] = [];
  /** Forward pages this gap received. */
  forwardPages = 0;
  closed = false;
  forward: Request | undefined;
  backward: Request | undefined;
  /** No more backward pages here: a run of ties longer than a page, or backward pages refused. */
  backwardOff = false;
  /** Transactions per ms seen by the latest full page at each edge. */
  loRate: number | undefined;
  hiRate: number | undefined;

  constructor(lo: Lower, hi: Upper) {
    this.lo = lo;
    this.hi = hi;
  }

  /** Known here and not handed on yet. */
  get buffered(): number {
    let n = this.left.length;
    for (const page of this.right) n += page.length;
    return n;
  }

  /**
   * True when a transaction (created at `ms`) comes after the lower edge. An edge not located yet (NaN) is
   * passed. Its id is read only where its time cannot decide: a parsed transaction's properties are slow
   * to look up, and pages check every one.
   */
  afterLo(tx: { readonly id: string }, ms: number): boolean {
    const lo = this.lo;
    if (lo.id === undefined) return !(ms < lo.ms);
    if (Number.isNaN(lo.ms)) return tx.id !== lo.id;
    if (ms !== lo.ms) return ms > lo.ms;
    const id = tx.id;
    return id !== lo.id && !lo.ties?.has(id);
  }

  /** True when a transaction (created at `ms`) comes before the upper edge; its id is read only at the edge's instant. */
  beforeHi(tx: { readonly id: string }, ms: number): boolean {
    const hi = this.hi;
    if (ms !== hi.ms || !hi.item) return ms < hi.ms;
    return !hi.ties?.has(tx.id);
  }

  /** `before` for a page that may reach the upper edge. */
  get hiBefore(): number {
    return this.hi.item ? this.hi.ms + 1 : this.hi.ms;
  }

  /** The gap's length in time, NaN while its lower edge is not located. */
  get span(): number {
    return this.hi.ms - this.lo.ms;
  }

  /**
   * The density to plan with: the lowest of the two edges' and the walk's average so far (`overall`), so
   * that a burst at an edge is not taken for the whole gap (an estimate should rather fall short).
   */
  rate(overall: number): number | undefined {
    let rate = this.loRate;
    if (this.hiRate !== undefined) rate = rate === undefined ? this.hiRate : Math.min(rate, this.hiRate);
    return rate === undefined ? undefined : Math.min(rate, overall);
  }

  /** Transactions still unknown here, estimated (see `rate`); undefined before a full page. */
  estimate(overall: number): number | undefined {
    const rate = this.rate(overall);
    const span = this.span;
    if (rate === undefined || !(span >= 0)) return undefined;
    return rate * span;
  }
}

/** The lower edge after `items[from..to)` (in order, the last one known now); `ms` their times. */
export function lowerAfter(
  items: readonly Transaction[],
  ms: readonly number[],
  from: number,
  to: number,
  previous: Lower,
): Lower {
  const last = to - 1;
  const at = ms[last]!;
  const ties = new Set<string>();
  if (previous.id !== undefined && previous.ms === at) {
    ties.add(previous.id);
    for (const id of previous.ties ?? []) ties.add(id);
  }
  for (let i = last; i >= from && ms[i] === at; i--) ties.add(items[i]!.id);
  return { ms: at, id: items[last]!.id, ties };
}

/** The upper edge before `items[from..to)` (in order, the first one known now); `ms` their times. */
export function upperBefore(
  items: readonly Transaction[],
  ms: readonly number[],
  from: number,
  to: number,
  previous: Upper,
): Upper {
  const at = ms[from]!;
  const ties = new Set<string>();
  if (previous.item && previous.ms === at) for (const id of previous.ties ?? []) ties.add(id);
  for (let i = from; i < to && ms[i] === at; i++) ties.add(items[i]!.id);
  return { ms: at, item: true, ties };
}
