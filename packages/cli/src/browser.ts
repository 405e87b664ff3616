import { foreignEnv } from "./child-env.js";
import { ConfigError } from "./errors.js";
import type { BrowserResult, Io } from "./io.js";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Why `url` must not be handed to a browser, or `undefined` when it may: only `https:` addresses, or plain
 * `http:` on this machine (the emulator, a local broker). Anything else — `file:`, `javascript:`, a plain-http
 * host elsewhere — could come from a hostile setting and is refused.
 */
export function browserUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a URL";
  }
  if (parsed.protocol === "https:") return undefined;
  if (parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname)) return undefined;
  return parsed.protocol === "http:"
    ? `it is plain http to ${parsed.hostname}, not https`
    : `it is a ${parsed.protocol} address, not https`;
}

/** How long the launcher (`xdg-open`, `open`, PowerShell) may run before we take it that a browser started. */
const LAUNCHER_VERDICT_MS = 2000;

/**
 * Opens `url` in the system browser through the `open` package, which quotes it correctly on every OS
 * (on Windows it goes to PowerShell as an encoded command, never through `cmd`). A launcher that cannot be
 * started, or that exits with an error (no browser, no display), is reported with the reason.
 */
export async function openInBrowser(url: string): Promise<BrowserResult> {
  const problem = browserUrlProblem(url);
  if (problem) return { opened: false, reason: `refused to open it: ${problem}` };
  // Loaded on use: most commands never open a browser.
  const { default: open } = await import("open");
  let child: Awaited<ReturnType<typeof open>>;
  // `open` hands the launcher (and so the browser) this process's environment, and takes no other: for
  // the moment it spawns, that environment has no MONZO_* secret in it.
  const own = process.env;
  process.env = foreignEnv(own);
  try {
    child = await open(url);
  } catch (error) {
    return { opened: false, reason: (error as Error).message };
  } finally {
    process.env = own;
  }
  const code = await new Promise<number | null | "running">((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    // Not unref'd: `open` unrefs the launcher, and this wait is what lets its exit code arrive.
    const timer = setTimeout(() => resolve("running"), LAUNCHER_VERDICT_MS);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (code === 0 || code === "running") return { opened: true };
  return { opened: false, reason: `${child.spawnfile} exited with ${code ?? "a signal"}` };
}

/**
 * Shows a login address: always printed (so it works over SSH and when no browser starts), then opened in
 * the browser when asked, saying so when that failed. Refuses an address no browser should be sent to.
 *
 * @throws {ConfigError} when `url` is neither https nor loopback http
 */
export async function showUrl(
  io: Io,
  url: string,
  options: { intro: string; open: boolean; from: string },
): Promise<void> {
  const problem = browserUrlProblem(url);
  if (problem)
    throw new ConfigError(
      `Refusing the login address ${url}: ${problem}`,
      `Login pages must be https (or http on this machine). Check ${options.from}.`,
    );
  io.err(`${options.intro}:\n\n  ${url}\n\n`);
  if (!options.open) return;
  const result = await io.openBrowser(url);
  if (!result.opened)
    io.err(`Could not start a browser here (${result.reason}): open the address above yourself.\n`);
}
