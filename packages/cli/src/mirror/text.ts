/**
 * Bank text (merchant names, descriptions, notes, counterparties) for a terminal: C0 and C1 control
 * characters, DEL and the bidirectional overrides are removed, so a transaction cannot move the cursor,
 * retitle the window, hide text or reorder what is shown. Tabs and line breaks become spaces so a table
 * row stays one line.
 *
 * A shared sanitiser for every command's output is being written in `output/`; this is the mirror's own
 * until it lands (one function, to be replaced by it).
 *
 * @example terminalText("Caf\u001b[31mé\n") === "Café "
 */
export function terminalText(text: string): string {
  // Fast path: almost every string has nothing to remove.
  if (!UNSAFE.test(text)) return text;
  return text.replace(/[\t\n\r\v\f]/g, " ").replace(UNSAFE_ALL, "");
}

/**
 * Bank text for CSV, where line breaks and tabs are data (the CSV quoting keeps them) but escape sequences
 * never are: every other control character, DEL and the bidi overrides are removed.
 *
 * @example plainText("Lunch\n\u001b[2Jwith Sam") === "Lunch\n[2Jwith Sam"
 */
export function plainText(text: string): string {
  return PLAIN_UNSAFE.test(text) ? text.replace(PLAIN_UNSAFE_ALL, "") : text;
}

const PLAIN_UNSAFE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const PLAIN_UNSAFE_ALL = new RegExp(PLAIN_UNSAFE.source, "g");

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/**
 * JSON for a terminal: `JSON.stringify` escapes C0 controls but leaves C1 controls (U+0080–U+009F, which
 * some terminals obey) and the bidi overrides raw; this escapes them too. The result parses to the same value.
 *
 * @example JSON.parse(terminalJson({ name: "\u009b2J" })).name === "\u009b2J"
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, replacer, indent).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** SQLite integers read as bigint (beyond 2^53) print as exact decimal strings. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint")
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return value;
}
