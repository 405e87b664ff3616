/**
 * Everything the CLI touches outside itself, injected so tests can drive it (STYLE: side effects
 * injected): output streams, environment, the browser, prompts and the clock.
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
  /** Colours allowed (a TTY and no NO_COLOR). */
  color: boolean;
  /** Opens `url` in the system browser, or says why it could not (no browser, no display, a refused URL). */
  openBrowser(url: string): Promise<BrowserResult>;
  prompt(question: string, options?: { secret?: boolean }): Promise<string>;
  now(): number;
}

/** Whether the browser started, and if not, why. */
export type BrowserResult = { opened: true } | { opened: false; reason: string };

/** The real terminal. */
export function processIo(): Io {
  const env = process.env;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env,
    cwd: process.cwd(),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && env["CI"] !== "true",
    columns: (process.stdout.isTTY && process.stdout.columns) || 80,
    color: Boolean(process.stdout.isTTY) && !("NO_COLOR" in env) && env["TERM"] !== "dumb",
    // Loaded on use: most commands never open a browser.
    openBrowser: async (url) => (await import("./browser.js")).openInBrowser(url),
    prompt,
    now: Date.now,
  };
}

async function prompt(question: string, options: { secret?: boolean } = {}): Promise<string> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (options.secret) {
    // Echo nothing while a secret is typed.
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.includes(question)) write.call(rl, s);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    if (options.secret) process.stderr.write("\n");
    rl.close();
  }
}
