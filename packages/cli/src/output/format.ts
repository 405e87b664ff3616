import { formatMoney, toDecimalString } from "@monzokit/core";
import { formatPounds } from "../money.js";
import { printable } from "./printable.js";

/**
 * Money in its currency for people: `-£12.34`; a currency Intl does not know falls back to the plain decimal
 * and the code as sent, its control characters shown as escapes (it comes from the API, like any bank text).
 */
export function money(amount: number | undefined, currency: string | undefined): string {
  if (amount === undefined) return "";
  if ((currency ?? "GBP").toUpperCase() === "GBP" && Number.isSafeInteger(amount))
    return formatPounds(amount);
  try {
    return formatMoney(amount, currency ?? "GBP");
  } catch {
    return `${decimal(amount, currency ?? "")} ${printable(currency ?? "")}`.trim();
  }
}

/**
 * Money for scripts, the one representation every `--json`, NDJSON and CSV output uses: the exact decimal
 * string in the currency's major unit (`-1234` GBP → `"-12.34"`, JPY `500` → `"500"`), with the currency
 * code beside it in its own field. A currency the runtime does not know keeps its minor units as digits.
 *
 * @example decimal(100, "GBP") // "1.00"
 */
export function decimal(amount: number, currency: string): string {
  // Pounds without Intl: `toDecimalString` asks Intl for the currency's decimals, and the first currency
  // lookup loads ICU's data (tens of ms; ADR 0006) — for every `monzo balance`, whose JSON is built anyway.
  if (currency.toUpperCase() === "GBP" && Number.isSafeInteger(amount)) {
    const pence = String(Math.abs(amount)).padStart(3, "0");
    return `${amount < 0 ? "-" : ""}${pence.slice(0, -2)}.${pence.slice(-2)}`;
  }
  try {
    return toDecimalString(amount, currency);
  } catch {
    return String(amount);
  }
}

/** `decimal`, or null when there is no amount. */
export function decimalOrNull(
  amount: number | null | undefined,
  currency: string | undefined,
): string | null {
  return typeof amount === "number" && currency ? decimal(amount, currency) : null;
}

/** An exact decimal number for CSV (`1.00`, `-12.34`): written as it is, never guarded or quoted. */
export class CsvDecimal {
  readonly text: string;
  constructor(text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new TypeError(`not a decimal: ${text}`);
    this.text = text;
  }
}

/** How a CSV field is written: exact (a file, a pipe), or for a terminal. */
export interface CsvOptions {
  /**
   * stdout is a terminal (`Io.stdoutTty`): control characters in text are shown as visible escapes
   * (`printable`, the CLI's one sanitiser), so bank text cannot drive the terminal. Line breaks and tabs stay:
   * they are data inside a quoted field. Off (a file or a pipe), the text is written exactly.
   */
  terminal?: boolean;
}

/**
 * One CSV field (RFC 4180), guarded against spreadsheet formula injection: text starting with `=`,
 * `+`, `-`, `@`, tab or carriage return gets a leading `'` so Excel and Sheets show it instead of
 * running it. Numbers and `CsvDecimal`s are written as numbers. With `terminal`, see {@link CsvOptions}.
 *
 * @example csvField("Caf\u001b[31m", { terminal: true }) // "Caf\\x1b[31m"
 */
export function csvField(value: unknown, options: CsvOptions = {}): string {
  if (value === null || value === undefined) return "";
  if (value instanceof CsvDecimal) return value.text;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  if (options.terminal) text = printable(text, { multiline: true });
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV row, ended by CRLF (RFC 4180); `options` as for {@link csvField}. */
export function csvRow(values: unknown[], options: CsvOptions = {}): string {
  return `${values.map((v) => csvField(v, options)).join(",")}\r\n`;
}

/** ANSI colour only where allowed (`NO_COLOR`, not a TTY). */
export function paint(enabled: boolean) {
  const wrap = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), cyan: wrap(36) };
}
