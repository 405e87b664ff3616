/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Result {
  name: string;
  figure: string;
  baseline: string;
  ratio: number;
  /** How the ratio is judged: at least or at most `target`. */
  target: { op: ">=" | "<="; value: number };
  holds: boolean;
  notes?: string;
}

export function result(r: Omit<Result, "holds">): Result {
  const holds = r.target.op === ">=" ? r.ratio >= r.target.value : r.ratio <= r.target.value;
  return { ...r, holds };
}

export function printResults(results: Result[]): void {
  for (const r of results) {
    process.stdout.write(
      `${r.holds ? "PASS" : "MISS"}  ${r.name}\n      figure ${r.figure} | baseline ${r.baseline} | ratio ${r.ratio.toFixed(3)} (target ${r.target.op} ${r.target.value})${r.notes ? `\n      ${r.notes}` : ""}\n`,
    );
  }
}
