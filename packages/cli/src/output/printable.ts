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
