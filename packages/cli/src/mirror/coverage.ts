/**
 * Which stretches of an account's history the mirror holds completely. A range `[sinceMs, untilMs)` is
 * covered when every transaction created in it is in the mirror. Ranges come from finished reads (and
 * from the committed part of a read that was interrupted), so a mirror knows exactly what it is missing.
 */
export interface Range {
  sinceMs: number;
  untilMs: number;
}

/**
 * The ranges merged: sorted, overlapping or touching ranges joined, empty ones dropped.
 *
 * @example mergeRanges([{ sinceMs: 5, untilMs: 9 }, { sinceMs: 0, untilMs: 5 }]) // [{ sinceMs: 0, untilMs: 9 }]
 */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.untilMs > r.sinceMs).sort((a, b) => a.sinceMs - b.sinceMs);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.sinceMs <= last.untilMs) last.untilMs = Math.max(last.untilMs, r.untilMs);
    else out.push({ sinceMs: r.sinceMs, untilMs: r.untilMs });
  }
  return out;
}

/**
 * What `[fromMs, toMs)` has that the (merged) ranges do not: the history the mirror is missing there.
 *
 * @example missingRanges([{ sinceMs: 3, untilMs: 5 }], 0, 9) // [{ sinceMs: 0, untilMs: 3 }, { sinceMs: 5, untilMs: 9 }]
 */
export function missingRanges(ranges: readonly Range[], fromMs: number, toMs: number): Range[] {
  const out: Range[] = [];
  let at = fromMs;
  for (const r of mergeRanges(ranges)) {
    if (r.untilMs <= at) continue;
    if (r.sinceMs >= toMs) break;
    if (r.sinceMs > at) out.push({ sinceMs: at, untilMs: Math.min(r.sinceMs, toMs) });
    at = Math.max(at, r.untilMs);
    if (at >= toMs) break;
  }
  if (at < toMs) out.push({ sinceMs: at, untilMs: toMs });
  return out;
}

/**
 * The ranges without `[cut.sinceMs, cut.untilMs)`: a stretch that can no longer be called complete (say, one
 * that should have been read again but could not be).
 *
 * @example subtractRange([{ sinceMs: 0, untilMs: 9 }], { sinceMs: 3, untilMs: 5 }) // [{0, 3}, {5, 9}]
 */
export function subtractRange(ranges: readonly Range[], cut: Range): Range[] {
  if (cut.untilMs <= cut.sinceMs) return mergeRanges(ranges);
  const out: Range[] = [];
  for (const r of mergeRanges(ranges)) {
    if (r.untilMs <= cut.sinceMs || r.sinceMs >= cut.untilMs) out.push(r);
    else {
      if (r.sinceMs < cut.sinceMs) out.push({ sinceMs: r.sinceMs, untilMs: cut.sinceMs });
      if (r.untilMs > cut.untilMs) out.push({ sinceMs: cut.untilMs, untilMs: r.untilMs });
    }
  }
  return out;
}
