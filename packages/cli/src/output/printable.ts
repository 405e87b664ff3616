/**
 * The CLI's one sanitiser: every piece of text from elsewhere (bank data, Monzo's messages, a callback's
 * query) passes through here before it reaches a terminal.
 *
 * Characters that must not reach a terminal as they are: C0 controls (ESC starts colour, cursor and title
 * sequences, and OSC 8 links; CR and BS overwrite what was printed), DEL, C1 controls (U+009B is a
 * one-character CSI on many terminals), the line and paragraph separators, and the bidirectional marks,
 * overrides and isolates that reorder the text around them. Tab and newline are kept only where
 * `multiline` says so.
 */
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_ONE_LINE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** What `JSON.stringify` leaves raw that a terminal acts on or reorders (it escapes C0 itself). */
const JSON_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` made safe to print on a terminal: every control character (see above) is shown as a visible escape
 * (`\x1b`, `\u202e`) instead of acting. One line by default, so text from elsewhere (an error description, a
 * transaction note) cannot start a line of its own that looks like ours, nor break a table row.
 *
 * @example printable("\u001b[2JYou have been logged out") // "\\x1b[2JYou have been logged out"
 */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_ONE_LINE, visible);
}

/**
 * JSON for stdout, exact: the value read back is identical, but the characters `JSON.stringify` leaves raw
 * and a terminal would act on (DEL, C1 controls, U+2028/2029, bidi controls) are written as `\uXXXX`.
 *
 * @example jsonText({ name: "\u009b2J" }) // '{"name":"\\u009b2J"}'
 */
export function jsonText(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? "null").replace(
    JSON_RAW,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
