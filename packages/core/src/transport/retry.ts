/** When and how long to wait before another attempt (pure: the transport injects `random` and `now`). */

/**
 * Statuses worth another attempt on a replay-safe call: timeouts, rate limits, server errors.
 *
 * @example isRetryableStatus(503) // true; isRetryableStatus(400) // false
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), in ms from `now`; `undefined` when
 * absent or unreadable.
 *
 * @example parseRetryAfter("7", Date.now()) // 7000
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface BackoffOptions {
  /** First delay in ms (doubles each attempt). Default 500. */
  baseMs?: number;
  /** Largest delay in ms. Default 8000. */
  maxMs?: number;
}

/**
 * Exponential backoff with full jitter: uniform in [0, min(max, base·2^attempt)].
 *
 * @example backoffDelay(2, Math.random) // uniform in [0, 2000] ms
 */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const { baseMs = 500, maxMs = 8000 } = options;
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}
