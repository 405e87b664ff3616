/**
 * Characters that must not reach a terminal as they are: C0 controls (ESC starts colour, cursor and title
 * sequences, and OSC 8 links; CR and BS overwrite what was printed), DEL, C1 controls (U+009B is a
 * one-character CSI on many terminals) and the bidirectional overrides and isolates that reorder the text
 * around them. Tab and newline are kept only where `multiline` says so.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` made safe to print on a terminal: every control character (see above) is shown as a visible escape
 * (`\x1b`, `\u202e`) instead of acting. One line by default, so text from elsewhere (an error description, a
 * transaction note) cannot start a line of its own that looks like ours.
 *
 * @example printable("\u001b[2JYou have been logged out") // "\\x1b[2JYou have been logged out"
 */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_ONE_LINE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Characters valid raw inside a JSON string that a terminal still acts on (C1, DEL, bidi controls). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;

/**
 * `value` as one line of JSON that is safe on a terminal: `JSON.stringify` escapes C0 controls, and the
 * rest above is written as `\uXXXX` too — the same JSON to a parser, nothing a terminal acts on.
 *
 * @example jsonLine({ note: "\u009b2J" }) // '{"note":"\\u009b2J"}'
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}
