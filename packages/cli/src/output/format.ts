import { formatMoney } from "@monzokit/core";
import { formatPounds } from "../money.js";

/** Money in its currency for tables: `-£12.34`; unknown currencies fall back to the plain decimal. */
export function money(amount: number | undefined, currency: string | undefined): string {
  if (amount === undefined) return "";
  if ((currency ?? "GBP").toUpperCase() === "GBP" && Number.isSafeInteger(amount))
    return formatPounds(amount);
  try {
    return formatMoney(amount, currency ?? "GBP");
  } catch {
    return `${amount} ${currency ?? ""}`.trim();
  }
}

/** A plain aligned table; numbers-like columns right-aligned. */
export function table(
  rows: Record<string, string>[],
  columns: string[],
  options: { right?: string[] } = {},
): string {
  if (rows.length === 0) return "";
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => displayWidth(r[c] ?? "")));
  const widths = columns.map(width);
  const right = new Set(options.right ?? []);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const pad = " ".repeat(Math.max(0, widths[i]! - displayWidth(cell)));
        return right.has(columns[i]!) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return (
    [
      line(columns.map((c) => c.toUpperCase())),
      ...rows.map((r) => line(columns.map((c) => r[c] ?? ""))),
    ].join("\n") + "\n"
  );
}

/** Width on a terminal: emoji and wide characters take two cells. */
function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfe0f || (cp >= 0x300 && cp <= 0x36f)) continue;
    w +=
      cp >= 0x1100 &&
      (cp <= 0x115f ||
        (cp >= 0x2e80 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) ||
        (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0x1f300 && cp <= 0x1faff))
        ? 2
        : 1;
  }
  return w;
}

/**
 * One CSV field (RFC 4180), guarded against spreadsheet formula injection: text starting with `=`,
 * `+`, `-`, `@`, tab or carriage return gets a leading `'` so Excel and Sheets show it instead of
 * running it. Numbers are written as numbers.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** ANSI colour only where allowed (`NO_COLOR`, not a TTY). */
export function paint(enabled: boolean) {
  const wrap = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), cyan: wrap(36) };
}
