/**
 * JSON with object keys sorted at every level: two values that differ only in key order give the same
 * text, so "changed" means a value changed, not that Monzo reordered its fields.
 *
 * @example canonicalJson({ b: 1, a: [ { d: 2, c: 3 } ] }) === '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined || typeof v === "function") continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * The top-level fields whose values differ between two objects (a field only one side has counts),
 * sorted. Empty when they are equal but for key order.
 *
 * @example changedFields({ amount: -100, settled: "" }, { amount: -120, settled: "2026-01-02T00:00:00Z" }) // ["amount", "settled"]
 */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: string[] = [];
  for (const key of keys) {
    const a = before[key];
    const b = after[key];
    if (a === b) continue;
    if (canonicalJson(a ?? null) !== canonicalJson(b ?? null) || (a === undefined) !== (b === undefined))
      out.push(key);
  }
  return out.sort();
}
