import { ApprovalRequiredError, AuthenticationError, RateLimitError } from "../errors/api-error.js";
import { AbortError, ReauthenticationRequiredError } from "../errors/client-errors.js";
import { MonzoError } from "../errors/monzo-error.js";

/**
 * The login was declined in the app, or replaced by another login, while we waited.
 *
 * @example if (e instanceof ApprovalDeclinedError) await startLogin();
 */
export class ApprovalDeclinedError extends MonzoError {
  static {
    ApprovalDeclinedError.prototype.name = "ApprovalDeclinedError";
  }

  constructor(cause: unknown) {
    super("approval.declined", "The login was declined in the Monzo app, or replaced by another login", {
      cause,
      hint: "Log in again and tap Allow in the Monzo app.",
    });
  }
}

/**
 * Nobody approved within the time allowed.
 *
 * @example if (e instanceof ApprovalTimeoutError) console.log(e.hint);
 */
export class ApprovalTimeoutError extends MonzoError {
  static {
    ApprovalTimeoutError.prototype.name = "ApprovalTimeoutError";
  }

  constructor(timeoutMs: number) {
    super(
      "approval.timeout",
      `Nobody approved the login in the Monzo app within ${Math.round(timeoutMs / 1000)} s`,
      {
        hint: "Open the Monzo app, tap Allow access to your data, then run the command again (no new login needed).",
      },
    );
  }
}

export interface WaitForApprovalOptions {
  signal?: AbortSignal;
  /** Between polls. Default 2 s. */
  intervalMs?: number;
  /** Give up after. Default 5 minutes. */
  timeoutMs?: number;
  /** Called before each wait with the time left, for a countdown. */
  onTick?: (info: { elapsedMs: number; remainingMs: number; attempts: number }) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Waits for the person to approve the new token in the Monzo app (Strong Customer Authentication,
 * REFERENCE §2.11) by polling a cheap data call until it stops answering 403
 * `forbidden.insufficient_permissions`. Backs off on 429; a 401 means declined or evicted.
 *
 * @param probe - the data call, e.g. `() => client.accounts.list()`
 * @example
 * ```ts
 * await waitForApproval(() => client.accounts.list(), { onTick: ({ remainingMs }) => draw(remainingMs) });
 * ```
 */
export async function waitForApproval(
  probe: (signal?: AbortSignal) => Promise<unknown>,
  options: WaitForApprovalOptions = {},
): Promise<void> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const interval = options.intervalMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const started = now();
  let delay = interval;
  for (let attempts = 1; ; attempts++) {
    if (options.signal?.aborted) throw new AbortError("Stopped waiting for approval");
    try {
      await probe(options.signal);
      return;
    } catch (error) {
      if (error instanceof ApprovalRequiredError) delay = interval;
      else if (error instanceof RateLimitError)
        delay = Math.max(delay * 2, (error.retryAfter ?? 0) * 1000, interval);
      // A 401, or a refresh Monzo refused: the login itself has ended.
      else if (error instanceof AuthenticationError || error instanceof ReauthenticationRequiredError)
        throw new ApprovalDeclinedError(error);
      else throw error;
    }
    const elapsedMs = now() - started;
    const remainingMs = timeoutMs - elapsedMs;
    if (remainingMs <= 0) throw new ApprovalTimeoutError(timeoutMs);
    options.onTick?.({ elapsedMs, remainingMs, attempts });
    await sleep(Math.min(delay, remainingMs), options.signal);
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new AbortError("Stopped waiting for approval"));
      },
      { once: true },
    );
  });
}
