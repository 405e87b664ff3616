import { redact } from "./redact.js";

/**
 * Base class of every error Monzokit throws.
 *
 * `code` is a stable, dotted identifier you can switch on (it never changes between releases for the
 * same condition); `hint` is one sentence for a person saying what to do next. The message, the cause
 * and `toJSON()` are redacted: no token, code or client secret can leak through an error.
 *
 * @example
 * ```ts
 * try { await client.balance.retrieve(accountId) }
 * catch (e) { if (e instanceof MonzoError) console.error(`${e.message} — ${e.hint}`) }
 * ```
 */
export class MonzoError extends Error {
  static {
    MonzoError.prototype.name = "MonzoError";
  }

  /** Stable machine-readable identifier, e.g. `money.invalid_amount`. */
  readonly code: string;
  /** What a person should do about it. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: redactCause(options.cause) });
    // Each of our classes names itself on its prototype, in a string a minifier leaves alone (a class's own
    // name does not survive `esbuild --minify`); a subclass of yours without a `name` of its own is called
    // by its constructor's name.
    if (!Object.hasOwn(new.target.prototype, "name")) this.name = new.target.name;
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redact(options.hint);
  }

  /** A plain, redacted object for logs and `--json` output. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
  /** What Node's `util.inspect` (and so `console.log(error)`) shows: the redacted stack and fields only. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `${redact(this.stack ?? `${this.name}: ${this.message}`)}\n${JSON.stringify(this.toJSON(), null, 2)}`;
  }
}

/** Causes are kept for debugging, but only their name and redacted message. */
function redactCause(cause: unknown): unknown {
  if (cause instanceof MonzoError) return cause;
  if (cause instanceof Error) {
    const copy = new Error(redact(cause.message));
    copy.name = cause.name;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") Object.assign(copy, { code });
    return copy;
  }
  return typeof cause === "string" ? redact(cause) : undefined;
}
