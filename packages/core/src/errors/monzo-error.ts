/**
 * Base class of every error Monzokit throws.
 *
 * `code` is a stable, dotted identifier you can switch on (it never changes between releases for the
 * same condition); `hint` is one sentence for a person saying what to do next.
 *
 * @example
 * ```ts
 * try { await client.balance.retrieve(accountId) }
 * catch (e) { if (e instanceof MonzoError) console.error(`${e.message} (${e.hint})`) }
 * ```
 */
export class MonzoError extends Error {
  /** Stable machine-readable identifier, e.g. `money.invalid_amount`. */
  readonly code: string;
  /** What a person should do about it. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** A plain object for logs and `--json` output. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}
