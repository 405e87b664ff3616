/**
 * Everything the CLI touches outside itself, injected so tests can drive it (STYLE: side effects
 * injected): output streams, standard input, environment, the browser, prompts and the clock.
 */
export interface Io {
  /** Writes to stdout; once its reader has gone away (`stdoutClosed`), a no-op. */
  out(text: string): void;
  /**
   * Aborted once the reader of stdout has gone away (`monzo … | head`: EPIPE): long jobs whose only product
   * is stdout stop there, and `main` ends the run with exit 141 (README: Exit codes). Work that changes
   * something (a pot move and its journal) goes on to its end; only the printing stops.
   */
  stdoutClosed?: AbortSignal;
  /**
   * Resolves once stdout has room again (at once when it has), or its reader is gone: output streamed row by
   * row awaits it, so a slow reader holds the job back instead of memory filling, and a reader that left is
   * noticed before the next row (a pipe's EPIPE arrives only through the event loop), or `signal` aborts.
   */
  drain?(signal?: AbortSignal): Promise<void>;
  /** Resolves once all written to stdout has reached the OS, or its reader is gone (before the exit code). */
  flush?(): Promise<void>;
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
   * pasted address arrives when there is no terminal (`printf %s "$SECRET" | monzo …`). `signal` gives up
   * the wait (Ctrl+C): the read rejects and stdin no longer holds the process open.
   */
  stdinLine(signal?: AbortSignal): Promise<string>;
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

/** The errors a stream reports when the reader at its other end has gone away. */
export function readerGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED";
}

/**
 * Watches `stream` for its reader going away: the signal aborts at the first failed write (seen at once when
 * the write fails synchronously, as to a pipe on Linux, else by the stream's `error` event), and that error is
 * handled here instead of ending the process with Node's "Unhandled 'error' event". Any other write error
 * (ENOSPC, EIO) ends the output the same way; `main` says it on stderr, since no reader chose it.
 */
export function watchReader(stream: NodeJS.WriteStream): {
  write(text: string): void;
  drain(signal?: AbortSignal): Promise<void>;
  flush(): Promise<void>;
  signal: AbortSignal;
} {
  const gone = new AbortController();
  // Any failed write ends the output (a full disk, an I/O error, a reset socket as much as a reader that
  // left): never a crash, which would end a finished pot move with exit 1 and invite a script to retry it.
  stream.on("error", (error: unknown) => {
    if (!gone.signal.aborted) gone.abort(error);
  });
  return {
    signal: gone.signal,
    write(text) {
      if (gone.signal.aborted) return;
      stream.write(text, (error) => {
        if (error && !gone.signal.aborted) gone.abort(error);
      });
      // A synchronous EPIPE destroys the stream before write returns; its `error` event comes later.
      if (stream.destroyed && !gone.signal.aborted)
        gone.abort(Object.assign(new Error("EPIPE"), { code: "EPIPE" }));
    },
    // Also settles when the job is stopped (Ctrl+C): a reader that never reads must not hold it.
    drain: (signal) =>
      stream.writableNeedDrain
        ? settled(stream, "drain", signal ? AbortSignal.any([gone.signal, signal]) : gone.signal)
        : Promise.resolve(),
    flush: () =>
      gone.signal.aborted || stream.destroyed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            stream.write("", () => resolve());
          }),
  };
}

/** Resolves at `event` on `stream`, or when `signal` aborts (or has). */
function settled(stream: NodeJS.WriteStream, event: string, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off(event, done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    stream.once(event, done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The real terminal. */
export function processIo(): Io {
  const env = process.env;
  const stderrTty = Boolean(process.stderr.isTTY);
  // While a progress line is drawn, anything else written to stderr first erases it, then it is redrawn.
  let active: { suspend(): void; resume(): void } | undefined;
  const stdout = watchReader(process.stdout);
  // stderr read by a pipe that closes (`2>&1 | head`) must not crash a run either; its lines are then lost.
  const stderr = watchReader(process.stderr);
  return {
    out: (text) => stdout.write(text),
    stdoutClosed: stdout.signal,
    drain: stdout.drain,
    flush: stdout.flush,
    err: (text) => {
      active?.suspend();
      stderr.write(text);
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
    stdinLine: async (signal) => (await import("./stdin.js")).processStdinLine(signal),
    now: Date.now,
  };
}
