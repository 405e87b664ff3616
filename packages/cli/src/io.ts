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
  openBrowser(url: string): Promise<boolean>;
  prompt(question: string, options?: { secret?: boolean }): Promise<string>;
  now(): number;
}

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
    openBrowser,
    prompt,
    now: Date.now,
  };
}

/** Opens the system browser; resolves false when there is none (SSH, containers). */
async function openBrowser(url: string): Promise<boolean> {
  // Loaded on use: most commands never open a browser, and every module costs start-up time.
  const { spawn } = await import("node:child_process");
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", '""', url]]
        : ["xdg-open", [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command as string, args as string[], { stdio: "ignore", detached: true });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
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
