/**
 * Everything the CLI touches outside itself, injected so tests can drive it (STYLE: side effects
 * injected): output streams, standard input, environment, the browser, prompts and the clock.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Is a person at the terminal? Without one, nothing ever waits on a prompt. */
  interactive: boolean;
  /** The terminal's width for laying out help and tables: 80 when stdout is not a terminal. */
  columns: number;
  /**
   * stdout is a terminal (a TTY), not a file or a pipe: data meant for scripts (CSV) is shown there with
   * control characters as visible escapes, so bank text cannot drive the terminal; to a file or a pipe it
   * stays exact.
   */
  stdoutTty: boolean;
  /** Colours allowed in what goes to stderr (a TTY, no NO_COLOR, no TERM=dumb). */
  color: boolean;
  /** stderr is a terminal a person watches (a TTY, and CI not set): progress may redraw a line there. */
  live: boolean;
  /** A progress line redrawn in place on stderr; asked for only when `live` (see progress.ts). */
  liveLine(): Promise<LiveLine>;
  /** Opens `url` in the system browser, or says why it could not (no browser, no display, a refused URL). */
  openBrowser(url: string): Promise<BrowserResult>;
  prompt(question: string, options?: { secret?: boolean }): Promise<string>;
  /**
   * The next line of standard input (without its line ending), or "" once it has ended: how a secret or a
   * pasted address arrives when there is no terminal (`printf %s "$SECRET" | monzo …`).
   */
  stdinLine(): Promise<string>;
  now(): number;
}

/** A line of progress on a terminal: drawn, redrawn, then ended with a closing message or erased. */
export interface LiveLine {
  start(text: string): void;
  update(text: string): void;
  /** Ends the line: with `text` as its last state, or erased when there is none. */
  stop(text?: string): void;
  fail(text?: string): void;
}

/** Whether the browser started, and if not, why. */
export type BrowserResult = { opened: true } | { opened: false; reason: string };

/** `CI` set to anything but an empty string, `0` or `false`. */
export function inCi(env: Record<string, string | undefined>): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** The real terminal. */
export function processIo(): Io {
  const env = process.env;
  const stderrTty = Boolean(process.stderr.isTTY);
  // While a progress line is drawn, anything else written to stderr first erases it, then it is redrawn.
  let active: { suspend(): void; resume(): void } | undefined;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => {
      active?.suspend();
      process.stderr.write(text);
      active?.resume();
    },
    env,
    cwd: process.cwd(),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !inCi(env),
    columns: (process.stdout.isTTY && process.stdout.columns) || 80,
    stdoutTty: Boolean(process.stdout.isTTY),
    color: stderrTty && !("NO_COLOR" in env) && env["TERM"] !== "dumb",
    live: stderrTty && !inCi(env) && env["TERM"] !== "dumb",
    liveLine: async () => {
      // Loaded on use: only long jobs on a terminal draw progress.
      const { clackLine } = await import("./terminal.js");
      const line = clackLine(process.stderr, { onEnd: () => (active = undefined) });
      active = line;
      return line;
    },
    // Loaded on use: most commands never open a browser.
    openBrowser: async (url) => (await import("./browser.js")).openInBrowser(url),
    prompt: async (question, options) => (await import("./terminal.js")).ask(question, options),
    stdinLine: async () => (await import("./stdin.js")).processStdinLine(),
    now: Date.now,
  };
}
